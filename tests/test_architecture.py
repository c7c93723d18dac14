"""The import contract: the layers the README describes, read from the source's own imports.

Every `import` and `from ... import` in `sovwatch/` counts, wherever it stands (module level,
inside a function, under `if TYPE_CHECKING:`): a deferred or type-only import still ties two
modules together for a reader, and a circle through one is still a circle. Each contract below
says why it exists; `test_the_contract_can_fail` checks the checker against planted violations.
(Which third-party modules are *loaded* at run time is tests/test_import_hygiene.py's job.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sovwatch", "sovsim")
"""The product and the emulator, side by side in one repository and one wheel."""

# The layers, lowest first: a module may import its own layer and the layers below, never above.
# Data flows up (kube -> sources -> store -> model -> views), and the entry points at the top wire
# the others together. `sovwatch` itself is the package's face (`__version__`).
LAYERS: tuple[tuple[str, ...], ...] = (
    # shared by all: the one gate for untrusted text, the one redaction, JSON from outside, files
    # written never through a link
    (
        "sovwatch",
        "sovwatch.settings",
        "sovwatch.exitcodes",
        "sovwatch.untrusted",
        "sovwatch.redaction",
        "sovwatch.logs",
        "sovwatch.json_input",
        "sovwatch.outfiles",
    ),
    ("sovwatch.kube",),  # kubeconfig, credentials, the HTTP client of the Kubernetes API
    ("sovwatch.sources",),  # live watch, recording, replay: they produce SourceItems
    ("sovwatch.store",),  # slim objects by key, fed SourceItems
    ("sovwatch.model",),  # pure functions of the store: the rollout, its snapshot
    ("sovwatch.pipeline",),  # one session: store, model and coalescing, publishing snapshots
    # many sessions: one pipeline per cluster, membership, trouble; a fleet's recording; a
    # directory's files as members
    ("sovwatch.fleet", "sovwatch.fleet_recording", "sovwatch.fleet_directory"),
    ("sovwatch.views",),  # TUI, plain, JSON: they render snapshots
    # the entry points: parse the command line, wire a source, model and view, run them
    (
        "sovwatch.about",  # what `--version` says: version, Python, kind of build
        "sovwatch.invocation",
        "sovwatch.termination",
        "sovwatch.navigation",  # seeking in a replay: recording, store and model together
        "sovwatch.headless",
        "sovwatch.fleet_headless",  # many clusters' headless runners, one exit code
        "sovwatch.picture_cache",  # the last picture of a cluster kept on disk, found at start
        "sovwatch.demo",
        "sovwatch.session",  # one cluster's session: opened live or from a recording, its pipeline
        "sovwatch.fleet_launch",  # several clusters at once: members, fleet screen, reports, cast
        "sovwatch.launch",
        "sovwatch.cli",
        "sovwatch.__main__",
    ),
)
EMULATOR = "sovsim"

# Third-party and standard modules that do I/O or draw: the model and the store are pure (a value
# in, a value out), so they can be tested without a loop, a socket, a file or a terminal, and
# replayed deterministically; the clock is passed in, never read.
IMPURE = (
    "aiohttp",
    "asyncio",
    "socket",
    "ssl",
    "selectors",
    "subprocess",
    "signal",
    "os",
    "io",
    "pathlib",
    "shutil",
    "tempfile",
    "gzip",
    "sys",
    "logging",
    "time",
    "yaml",
    "kubernetes",
    "textual",
    "rich",
)


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} imports {self.imported} (line {self.line})"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_imports(tree: Path) -> tuple[set[str], list[Import], dict[str, list[str]]]:
    """(every module of the packages in `tree`, every import between their modules, builtin `open`
    calls by module) from the source text alone."""
    sources = {
        module_name(p, tree / package): p
        for package in PACKAGES
        for p in sorted((tree / package).rglob("*.py"))
    }
    imports: list[Import] = []
    opens: dict[str, list[str]] = {}
    for name, path in sources.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                # `from a import b` names module a.b when b is one, else a's attribute b.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in sources else base
                    for alias in node.names
                ]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "open"
            ):
                opens.setdefault(name, []).append(f"open() at line {node.lineno}")
                continue
            else:
                continue
            imports.extend(Import(name, target, node.lineno) for target in targets)
    return set(sources), imports, opens


def owner(module: str, groups: Iterable[str]) -> str | None:
    """The longest of `groups` that `module` is or lies under (the package's face only is itself)."""
    found = [g for g in groups if module == g or (g != "sovwatch" and module.startswith(g + "."))]
    return max(found, key=len, default=None)


def layer_of(module: str) -> int | None:
    groups = {g: i for i, layer in enumerate(LAYERS) for g in layer}
    group = owner(module, groups)
    return None if group is None else groups[group]


def upward_imports(imports: Iterable[Import]) -> list[str]:
    """Imports from a layer into a higher one."""
    return [
        str(i)
        for i in imports
        if i.imported.startswith("sovwatch")
        and (low := layer_of(i.importer)) is not None
        and (high := layer_of(i.imported)) is not None
        and high > low
    ]


def unplaced(modules: Iterable[str]) -> list[str]:
    """Modules of the package in no layer and not the emulator: a new module must be placed."""
    return sorted(m for m in modules if layer_of(m) is None and owner(m, [EMULATOR]) is None)


def impure_imports(imports: Iterable[Import], opens: Mapping[str, list[str]]) -> list[str]:
    pure = ("sovwatch.model", "sovwatch.store")
    found = [str(i) for i in imports if owner(i.importer, pure) and owner(i.imported, IMPURE)]
    return found + [
        f"{m}: {call}" for m, calls in opens.items() if owner(m, pure) for call in calls
    ]


def source_engine_imports(imports: Iterable[Import]) -> list[str]:
    """Above the sources, only their event types (`sovwatch.sources.events`) may be named: the
    store, model and views take what a source produced, and never call the API themselves."""
    above = ("sovwatch.store", "sovwatch.model", "sovwatch.views")
    return [
        str(i)
        for i in imports
        if owner(i.importer, above)
        and (
            owner(i.imported, ["sovwatch.kube"])
            or (
                owner(i.imported, ["sovwatch.sources"])
                and i.imported not in ("sovwatch.sources", "sovwatch.sources.events")
            )
        )
    ]


def emulator_crossings(imports: Iterable[Import]) -> list[str]:
    """The emulator shares nothing with the product, and only the demo (`sovwatch demo` and
    `sovwatch sim`) starts one."""
    crossings = []
    for i in imports:
        inside, target = owner(i.importer, [EMULATOR]), owner(i.imported, [EMULATOR])
        if inside and i.imported.partition(".")[0] == "sovwatch":
            crossings.append(str(i))
        if target and not inside and i.importer != "sovwatch.demo":
            crossings.append(str(i))
    return crossings


def circles(modules: Iterable[str], imports: Iterable[Import]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), or a module importing itself."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for i in imports:
        if i.imported in graph:
            graph[i.importer].add(i.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


MODULES, IMPORTS, OPENS = read_imports(ROOT)


def test_the_package_is_read():
    assert {"sovwatch.cli", "sovwatch.model.snapshot", "sovsim.server"} <= MODULES
    assert any(i.imported == "sovwatch.store.store" for i in IMPORTS)


def test_every_module_has_a_layer():
    assert unplaced(MODULES) == []


def test_no_layer_imports_one_above_it():
    assert upward_imports(IMPORTS) == []


def test_the_model_and_the_store_do_no_io_and_draw_nothing():
    assert impure_imports(IMPORTS, OPENS) == []


def test_above_the_sources_only_their_event_types_are_named():
    assert source_engine_imports(IMPORTS) == []


def test_the_emulator_stands_apart():
    assert emulator_crossings(IMPORTS) == []


def test_no_import_circles_anywhere():
    assert circles(MODULES, IMPORTS) == []


@pytest.mark.parametrize(
    ("source", "check", "expected"),
    [
        (
            {"model/pod.py": "from sovwatch.views import plain\n", "views/plain.py": ""},
            lambda m, i, o: upward_imports(i),
            ["sovwatch.model.pod imports sovwatch.views.plain (line 1)"],
        ),
        (
            {"store/store.py": "def f():\n    import asyncio\n    return open('x')\n"},
            lambda m, i, o: impure_imports(i, o),
            [
                "sovwatch.store.store imports asyncio (line 2)",
                "sovwatch.store.store: open() at line 3",
            ],
        ),
        (
            {"views/plain.py": "from sovwatch.sources.live import LiveSource\n"},
            lambda m, i, o: source_engine_imports(i),
            ["sovwatch.views.plain imports sovwatch.sources.live (line 1)"],
        ),
        (
            {"../sovsim/server.py": "from sovwatch.settings import X\n", "launch.py": ""},
            lambda m, i, o: emulator_crossings(i),
            ["sovsim.server imports sovwatch.settings (line 1)"],
        ),
        (
            {
                "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n",
                "b.py": "from sovwatch.a import x\n",
            },
            lambda m, i, o: circles(m, i),
            [["sovwatch.a", "sovwatch.b"]],
        ),
        (
            {"helpers.py": ""},
            lambda m, i, o: unplaced(m),
            ["sovwatch.helpers"],
        ),
    ],
    ids=["upward", "impure", "source-engine", "emulator", "circle", "unplaced"],
)
def test_the_contract_can_fail(tmp_path: Path, source, check, expected):
    """Each rule catches a planted violation (a relative and a type-only import included)."""
    for rel, text in {"__init__.py": "", **source}.items():
        path = (tmp_path / "sovwatch" / rel).resolve()
        package, *inner = path.relative_to(tmp_path.resolve()).parts
        for depth in range(len(inner)):
            folder = tmp_path / package / Path(*inner[:depth])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "__init__.py").touch()
        path.write_text(text)
    assert check(*read_imports(tmp_path)) == expected
