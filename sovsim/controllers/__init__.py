"""Simulated cluster controllers that move the emulator's objects the way the real ones would.

Each controller owns one job, as in a real cluster: `flux` (cloud-init's Flux install and the
kustomize-controller), `source` (source-controller), `helm` (helm-controller), `workloads` (Helm's
rendered objects and the apps/v1 controllers), `kubelet` (the scheduler and the kubelet),
`containers` (the container runtime and probes) and `storage` (the PV controller, the external
provisioners and the attach-detach controller). They share a `Sim` (clock, scheduler, store
access) and an `EventRecorder`, and each is handed the few others it calls (the runner wires
them); they talk with plain method calls, because in a simulation "the watch fired" is just a
function call at the right simulated time. Where one calls back into a controller built on top
of it (source-controller into helm-controller, storage into the kubelet), it names what it needs
as a small Protocol of its own, so no module imports another in a circle.
"""
