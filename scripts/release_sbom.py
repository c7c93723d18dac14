"""The release artifacts' CycloneDX SBOMs (used by build_release.py).

cyclonedx-py lists the bundled Python distributions, with versions and licences read from their
metadata, from a bare environment holding exactly those distributions. What a bundle carries
besides them is added as further components: for the executable, the CPython interpreter, the
PyInstaller and staticx bootloaders and each shared library copied from the build machine (the C
library, OpenSSL, zlib...,
with the Debian package and version it came from and the licence of its copyright file's
`Files: *` paragraph); for the zipapp, pex's boot code. The result is validated against the
CycloneDX 1.6 schema.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import make_schemabased_validator


def write_sbom(run, env: Path, pyproject: Path, artifact: Path, extra: list[dict]) -> Path:
    """`artifact`.cdx.json from the distributions installed in `env` plus `extra` components."""
    output = artifact.with_name(artifact.name + ".cdx.json")
    run(
        sys.executable,
        "-m",
        "cyclonedx_py",
        "environment",
        "--pyproject",
        pyproject,
        "--mc-type",
        "application",
        "--output-reproducible",
        "--output-format",
        "JSON",
        "--output-file",
        output,
        env / "bin" / "python",
    )
    bom = json.loads(output.read_text())
    bom["components"].extend(extra)
    bom["dependencies"].extend({"ref": component["bom-ref"]} for component in extra)
    text = json.dumps(bom, indent=2) + "\n"
    error = make_schemabased_validator(OutputFormat.JSON, SchemaVersion.V1_6).validate_str(text)
    if error:
        raise RuntimeError(f"{output}: not a valid CycloneDX 1.6 document: {error}")
    output.write_text(text)
    return output


def _licence(expression: str | None) -> list[dict]:
    return [{"license": {"name": expression}}] if expression else []


def python_distribution(name: str, role: str) -> dict:
    """A build tool whose code ends up inside the artifact (PyInstaller's bootloader, pex)."""
    meta = metadata.metadata(name)
    version = meta["Version"]
    licence = meta.get("License-Expression") or meta.get("License") or ""
    if "\n" in licence.strip() or not licence:  # a whole licence text: its classifiers say it
        classifiers = meta.get_all("Classifier") or []
        licence = "; ".join(c.split(" :: ")[-1] for c in classifiers if c.startswith("License"))
    return {
        "type": "application",
        "bom-ref": f"{name}-{role}=={version}",
        "name": name,
        "version": version,
        "description": role,
        "purl": f"pkg:pypi/{name}@{version}",
        "licenses": _licence(licence),
    }


def interpreter() -> dict:
    version = platform.python_version()
    return {
        "type": "application",
        "bom-ref": f"cpython=={version}",
        "name": "cpython",
        "version": version,
        "description": f"the Python interpreter and standard library ({sys.base_prefix})",
        "purl": f"pkg:generic/cpython@{version}",
        "licenses": _licence("PSF-2.0"),
    }


def shared_libraries(binaries: list[tuple[str, str]]) -> list[dict]:
    """One component per Debian package that the bundled shared libraries (name in the bundle,
    path on the build machine) came from; a library dpkg does not know is listed by its path."""
    components: dict[str, dict] = {}
    for name, source in binaries:
        package = _debian_package(source)
        if package is None:
            components[name] = {
                "type": "library",
                "bom-ref": f"file:{name}",
                "name": name,
                "description": f"copied from {source} on the build machine",
            }
            continue
        binary, version = package
        component = components.setdefault(
            binary,
            {
                "type": "library",
                "bom-ref": f"deb:{binary}=={version}",
                "name": binary,
                "version": version,
                "purl": _debian_purl(binary, version),
                **_debian_licence(binary),
                "properties": [],
            },
        )
        bundled = {"name": "sovwatch:bundled-file", "value": name}
        if bundled not in component["properties"]:  # libz: PyInstaller's and staticx's
            component["properties"].append(bundled)
    return list(components.values())


def linked_libraries(program: Path) -> list[tuple[str, str]]:
    """(name, path) of the shared libraries `program` loads, as `ldd` finds them (staticx bundles
    these: the C library, the dynamic loader...)."""
    found = []
    for line in subprocess.run(
        ["ldd", str(program)], capture_output=True, text=True, check=True
    ).stdout.splitlines():
        words = line.split()
        path = words[2] if len(words) > 2 and words[1] == "=>" else words[0]
        if path.startswith("/"):
            found.append((Path(path).name, path))
    return found


def _debian_package(path: str) -> tuple[str, str] | None:
    """(binary package, version) owning `path`, or None without dpkg or for a foreign file."""
    for candidate in (path, str(Path(path).resolve())):
        try:
            owner = subprocess.run(
                ["dpkg", "-S", candidate], capture_output=True, text=True, check=False
            )
        except FileNotFoundError:
            return None
        if owner.returncode == 0:
            package = owner.stdout.split(":", 1)[0].strip()
            version = subprocess.run(
                ["dpkg-query", "-W", "-f", "${Version}", package],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return package, version
    return None


def _debian_licence(package: str) -> dict:
    """`licenses`, or where the copyright file is not machine-readable, where to read it."""
    licence = _copyright_licence(package)
    if licence:
        return {"licenses": _licence(licence)}
    return {"description": f"licence: see /usr/share/doc/{package}/copyright (Debian)"}


def _copyright_licence(package: str) -> str | None:
    """The `License:` of the `Files: *` paragraph of a machine-readable Debian copyright file."""
    path = Path("/usr/share/doc") / package / "copyright"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    if not text.startswith("Format:"):
        return None
    for paragraph in text.split("\n\n"):
        fields = dict(
            line.split(":", 1)
            for line in paragraph.splitlines()
            if line[:1].strip() and ":" in line
        )
        if fields.get("Files", "").strip() == "*" and fields.get("License", "").strip():
            return fields["License"].strip()
    return None


def _os_release() -> dict[str, str]:
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        return {}
    return {
        key: value.strip('"') for key, _, value in (line.partition("=") for line in lines) if key
    }


def _debian_purl(package: str, version: str) -> str:
    release = _os_release()
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    distro = f"{release.get('ID', 'debian')}-{release.get('VERSION_ID', '')}".rstrip("-")
    return f"pkg:deb/{release.get('ID', 'debian')}/{package}@{version}?arch={arch}&distro={distro}"
