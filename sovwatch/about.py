"""What `sovwatch --version` says: the version, the Python it runs on, and which build this is.

Three builds exist (README, Install): the one-file `executable` (PyInstaller: Python is inside
it), the `zipapp` (a pex run by the target's own CPython) and an `installed` package (pip, pipx
or a checkout). Cheap to import: standard library only.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from pathlib import Path

from sovwatch import __version__


def build_kind(environ: Mapping[str, str]) -> str:
    """`executable`, `zipapp` or `installed`, with where it runs from.

    PyInstaller sets `sys.frozen` and `sys._MEIPASS` (the unpacked bundle); staticx, which wraps
    it with its own C library, puts the path of the file that was started into
    `STATICX_PROG_PATH`; pex's boot code puts the path of the running `.pyz` into `PEX`."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        if environ.get("STATICX_PROG_PATH"):
            return (
                f"executable (PyInstaller one-file with its own C library (staticx) "
                f"{environ['STATICX_PROG_PATH']}, unpacked in {sys._MEIPASS})"
            )
        return f"executable (PyInstaller one-file {sys.executable}, unpacked in {sys._MEIPASS})"
    if environ.get("PEX"):
        return f"zipapp (pex {environ['PEX']})"
    return f"installed ({Path(__file__).resolve().parent})"


def version_text(environ: Mapping[str, str]) -> str:
    """Three lines: `sovwatch X.Y.Z`, the Python, and `build: <kind> (<where>)`."""
    frozen = getattr(sys, "frozen", False)
    interpreter = "bundled" if frozen else sys.executable
    return (
        f"sovwatch {__version__}\n"
        f"Python {platform.python_version()} ({platform.python_implementation()}, {interpreter})"
        f" on {platform.system()} {platform.machine()}\n"
        f"build: {build_kind(environ)}"
    )
