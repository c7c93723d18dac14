"""Simulated cluster controllers that move the emulator's objects the way the real ones would.

Each controller owns one job, as in a real cluster: `flux` (cloud-init's Flux install, the
kustomize- and source-controller), `helm` (helm-controller), `workloads` (Helm's rendered objects and
the apps/v1 controllers), `kubelet` (the scheduler and the kubelet) and `storage` (the PV controller,
the external provisioners and the attach-detach controller). They share a `Sim` (clock, scheduler,
store access, event recorder) and talk to each other with plain method calls, because in a
simulation "the watch fired" is just a function call at the right simulated time.
"""
