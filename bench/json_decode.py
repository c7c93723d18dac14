"""JSON decoding, the stdlib `json` against orjson, on exactly the bytes sovwatch decodes.

The `large` cluster is encoded as the emulator serves it: every list page (500 objects) of each
resource sovwatch lists for its first picture, and one watch line (`{"type":"MODIFIED",...}`) per
pod and HelmRelease, as the ingest stream sends them. Each decoder decodes all of them in this
process with the garbage collector on, as in sovwatch; the figure is CPU seconds, best of a few
repeats. Compare the first-picture total with sovwatch's own CPU in `bench.startup` to see what
share of it decoding is. orjson is measured when importable (it is not a sovwatch dependency).

    python -m bench.json_decode [--smoke]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from bench.population import SMOKE, populate_large
from bench.results import BenchResult, Measurement
from bench.run_one import main_for
from sovwatch.emulator.encoding import EncodedObjects
from sovwatch.emulator.objects import ObjectStore, resource_type
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


def _cpu(decode: Callable[[bytes], object], documents: list[bytes]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.process_time()
        for document in documents:
            decode(document)
        best = min(best, time.process_time() - start)
    return best


def run(*, smoke: bool = False) -> list[BenchResult]:
    store = ObjectStore(history_limit=1)
    described = populate_large(store, SMOKE if smoke else None)
    pages, lines, listed = _documents(store)
    decoders: dict[str, Callable[[bytes], object] | None] = {STDLIB: json.loads}
    try:
        import orjson

        decoders[ORJSON] = orjson.loads
    except ImportError:
        decoders[ORJSON] = None
    size = sum(map(len, pages)) / 2**20
    results = []
    for name, title, documents, scale, unit in (
        (
            "decode-lists",
            f"Decoding the first picture's list pages ({len(pages)} pages, {listed} objects, "
            f"{size:.1f} MiB)",
            pages,
            1.0,
            "CPU s",
        ),
        (
            "decode-watch",
            f"Decoding watch lines, per 10,000 ({len(lines)} pod and HelmRelease MODIFIED lines)",
            lines,
            10_000 / max(1, len(lines)),
            "CPU s/10k",
        ),
    ):
        measurements = []
        for subject, decode in decoders.items():
            if decode is None:
                measurements.append(Measurement(subject, None, "orjson is not installed"))
                continue
            seconds = _cpu(decode, documents)
            measurements.append(
                Measurement(
                    subject,
                    seconds * scale,
                    f"{seconds / max(1, listed if documents is pages else len(lines)) * 1e6:.1f}"
                    " us per object",
                )
            )
        results.append(
            BenchResult(
                name=name,
                title=title,
                unit=unit,
                peer=STDLIB,
                measurements=tuple(measurements),
                notes=(f"cluster: {described}; best of {REPEATS}",),
            )
        )
    return results


if __name__ == "__main__":
    main_for(run)
