"""sovsim: a Kubernetes API emulator that plays a Sovereign's bootstrap, for sovwatch and its tests.

A read-only API server (`server.Emulator`: discovery, list, watch, Table output, pod logs, bearer
or client-certificate auth, HTTPS with a generated CA from the `tls` extra) over an object store,
controllers that act out Flux and Kubernetes (`controllers/`), scenarios that script a bootstrap
and its failures (`scenarios/*.yaml`, docs/scenarios.md) and fault hooks for the watch engine's
tests (`faults`). It imports nothing of sovwatch; `sovwatch sim` and `sovwatch demo` start it.
"""
