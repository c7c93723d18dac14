"""sovwatch: watch a Flux-based Kubernetes Sovereign bootstrap itself, live.

Importing the package is cheap: it carries only the version. Everything heavy (textual, aiohttp,
the kubernetes loader) is imported where it is used.
"""

__version__ = "0.1.0"
