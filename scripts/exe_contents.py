"""What makes up the one-file executable's size, by distribution (README, Install):

    .venv/bin/python scripts/exe_contents.py build/release/frozen/sovwatch dist/sovwatch

Reads the PyInstaller executable's archive (its table of contents, as `pyi-archive_viewer` does)
and adds up the stored (compressed) bytes of each entry: Python modules by the distribution they
come from (this environment's `packages_distributions()`), the standard library and the
interpreter's own files as `python`, shared libraries copied from the system as `system libs`,
and the rest (bootloader, archive headers) as the difference to the file's size; then what
staticx adds (the C library, the dynamic loader, its bootloader) in the released file.
"""

from __future__ import annotations

import sys
from collections import Counter
from importlib.metadata import packages_distributions
from pathlib import Path

from PyInstaller.archive.readers import CArchiveReader

PYTHON = "python (interpreter, standard library)"
SYSTEM = "system libs (OpenSSL, libstdc++, zlib, libffi...)"


def _owner(name: str, owners: dict[str, list[str]]) -> str:
    """The distribution of an archive entry (`aiohttp/_http_parser....so`, `libssl.so.3`)."""
    top = name.split("/")[0].split(".")[0]
    if top in owners:
        return owners[top][0]
    if name.startswith("lib") and ".so" in name and not name.startswith("libpython"):
        return SYSTEM
    return PYTHON


def contents(executable: Path) -> Counter:
    """Stored bytes per distribution (or `PYTHON`, `SYSTEM`, `bootloader and headers`)."""
    owners = packages_distributions()
    archive = CArchiveReader(str(executable))
    sizes: Counter = Counter()
    for name, (_, length, _, _, typecode) in archive.toc.items():
        if typecode == "z":  # the PYZ: Python modules, compressed one by one
            for module, (_, _, stored) in archive.open_embedded_archive(name).toc.items():
                sizes[_owner(module, owners)] += stored
            continue
        sizes["sovwatch" if name == "__main__" else _owner(name, owners)] += length
    sizes["bootloader and headers"] = executable.stat().st_size - sum(sizes.values())
    return sizes


def main(argv: list[str]) -> int:
    frozen = Path(argv[0] if argv else "build/release/frozen/sovwatch")
    released = Path(argv[1] if len(argv) > 1 else "dist/sovwatch")
    sizes = contents(frozen)
    sizes["staticx (glibc, dynamic loader, bootloader)"] = (
        released.stat().st_size - frozen.stat().st_size
    )
    for owner, size in sizes.most_common():
        print(f"{size / 2**20:6.2f} MiB  {owner}")
    print(f"{released.stat().st_size / 2**20:6.2f} MiB  {released}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
