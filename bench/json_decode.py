"""JSON decoding, the stdlib `json` against orjson, on exactly the bytes sovwatch decodes.

The `large` cluster is encoded as the emulator serves it: every list page (500 objects) of each
resource sovwatch lists for its first picture, and one watch line (`{"type":"MODIFIED",...}`) per
pod and HelmRelease, as the ingest stream sends them. Each decoder decodes all of them in this
process, the garbage collector as sovwatch has it: off for the first lists (`live.stream`'s
`pause_gc`), on for the watch lines, with what was alive before frozen as sovwatch freezes its
first picture. The figure is CPU seconds, best of a few repeats. Compare the first-picture total with sovwatch's own CPU in `bench.startup` to see what
share of it decoding is. orjson is measured when importable (it is not a sovwatch dependency).

    python -m bench.json_decode [--smoke]
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable

from bench.population import SMOKE, populate_large
from bench.results import BenchResult, Measurement
from bench.run_one import main_for
from sovsim.encoding import EncodedObjects
from sovsim.objects import ObjectStore, resource_type
from sovwatch.kube.resources import WATCHED

PAGE = 500
REPEATS = 5
STDLIB = "json.loads (stdlib)"
ORJSON = "orjson.loads"


def _documents(store: ObjectStore) -> tuple[list[bytes], list[bytes], int]:
    """(list pages, watch lines, objects listed) for everything sovwatch lists and watches."""
    encoded = EncodedObjects()
    pages: list[bytes] = []
    lines: list[bytes] = []
    listed = 0
    for watched in WATCHED:
        rt = resource_type(watched.key)
        version = rt.versions[0]
        objects = [store.peek(rt.key, *key) for key in store.keys(rt.key)]
        listed += len(objects)
        for start in range(0, len(objects), PAGE):
            metadata = {"resourceVersion": str(store.resource_version)}
            pages.append(encoded.list_body(rt, version, metadata, objects[start : start + PAGE]))
        if rt.kind in ("Pod", "HelmRelease"):
            lines.extend(
                b'{"type":"MODIFIED","object":%s}' % encoded.encoded(rt, version, o)
                for o in objects
            )
    return pages, lines, listed


def _cpu(decode: Callable[[bytes], object], documents: list[bytes], *, collect: bool) -> float:
    best = float("inf")
    was = gc.isenabled()
    (gc.enable if collect else gc.disable)()
    try:
        for _ in range(REPEATS):
            start = time.process_time()
            for document in documents:
                decode(document)  # dropped at once: sovwatch keeps only a slimmed copy
            best = min(best, time.process_time() - start)
    finally:
        (gc.enable if was else gc.disable)()
    return best


def _decoders() -> dict[str, Callable[[bytes], object] | None]:
    try:
        import orjson
    except ImportError:
        return {STDLIB: json.loads, ORJSON: None}
    return {STDLIB: json.loads, ORJSON: orjson.loads}


def _result(
    name: str,
    title: str,
    unit: str,
    documents: list[bytes],
    *,
    per: int,
    scale: float,
    collect: bool,
) -> BenchResult:
    measurements = []
    for subject, decode in _decoders().items():
        if decode is None:
            measurements.append(Measurement(subject, None, "orjson is not installed"))
            continue
        seconds = _cpu(decode, documents, collect=collect)
        note = f"{seconds / max(1, per) * 1e6:.1f} us per object"
        measurements.append(Measurement(subject, seconds * scale, note))
    return BenchResult(
        name=name,
        title=title,
        unit=unit,
        peer=STDLIB,
        measurements=tuple(measurements),
        notes=(f"best of {REPEATS}; garbage collector {'on' if collect else 'off'}",),
    )


def run(*, smoke: bool = False) -> list[BenchResult]:
    store = ObjectStore(history_limit=1)
    described = populate_large(store, SMOKE if smoke else None)
    pages, lines, listed = _documents(store)
    size = sum(map(len, pages)) / 2**20
    gc.freeze()  # what is alive now stays out of the collector's sight, as sovwatch's first picture
    try:
        return [
            _result(
                "decode-lists",
                f"Decoding the first picture's list pages ({described}: {len(pages)} pages, "
                f"{listed} objects, {size:.1f} MiB)",
                "CPU s",
                pages,
                per=listed,
                scale=1.0,
                collect=False,
            ),
            _result(
                "decode-watch",
                f"Decoding watch lines, per 10,000 ({len(lines)} pod and HelmRelease MODIFIED)",
                "CPU s/10k",
                lines,
                per=len(lines),
                scale=10_000 / max(1, len(lines)),
                collect=True,
            ),
        ]
    finally:
        gc.unfreeze()


if __name__ == "__main__":
    main_for(run)
