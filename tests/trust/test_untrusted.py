"""The untrusted-text gate: the function itself, and the doors it guards (slimming, recordings read
back, a server's error bodies). The bytes a terminal receives are checked in test_hostile_pty.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sovsim.scenario import load_scenario
from sovwatch.kube import errors
from sovwatch.sources import kept_json
from sovwatch.sources.events import StreamHealth, WatchEvent
from sovwatch.sources.recording import RecordingReader
from sovwatch.sources.slimming import slim
from sovwatch.untrusted import holds_nothing_to_neutralise, neutralise
from tests.trust import hostile_text as h

CASES = {
    "plain text": ("Back-off restarting failed container", "Back-off restarting failed container"),
    "empty": ("", ""),
    "tab and newline stay": ("a\tb\nc", "a\tb\nc"),
    "non-ASCII stays": ("Größe 10 Gi — ✓ 日本", "Größe 10 Gi — ✓ 日本"),
    "zero-width joiner stays": ("👩\u200d💻", "👩\u200d💻"),
    "Rich markup shown literally": (h.MARKUP, h.MARKUP),
    "a backslash is left alone": (r"C:\x1b", r"C:\x1b"),
    "OSC 52 clipboard write": (h.OSC52, "␛]52;c;ZXZpbA==␛\\"),
    "OSC 0 title with BEL": (h.OSC0, "␛]0;pwned␇"),
    "CSI colour": (f"{h.CSI_COLOUR}red{h.CSI_RESET}", "␛[31;1mred␛[0m"),
    "carriage return": ("ok\roverwritten", "ok␍overwritten"),
    "NUL and backspace": ("a\x00b\x08", "a␀b␈"),
    "unit separator": ("\x1f", "␟"),
    "DEL": ("\x7f", "␡"),
    "C1 CSI": (h.C1_CSI, "\\x9b7m"),
    "C1 first and last": ("\x80\x9f", "\\x80\\x9f"),
    "just past C1 stays": ("\xa0\xa9", "\xa0\xa9"),
    "bidi override": (h.BIDI, "\\u202ereversed\\u202c"),
    "bidi isolates": ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),
    "left-to-right embedding": ("\u202a\u202b\u202d", "\\u202a\\u202b\\u202d"),
    "bidi marks are not overrides": ("\u200e\u200f", "\u200e\u200f"),
    "lone surrogates": ("half \ud800 and \udfff", "half \\ud800 and \\udfff"),
    "a character beyond the surrogates stays": ("\U0001f600\ue000", "\U0001f600\ue000"),
    "everything at once": (h.PAYLOAD, h.SEEN),
}


@pytest.mark.parametrize(("raw", "shown"), CASES.values(), ids=CASES.keys())
def test_neutralise(raw: str, shown: str):
    assert neutralise(raw) == shown
    assert neutralise(shown) == shown  # twice changes nothing


def test_every_code_point_is_either_escaped_or_kept():
    """Exactly the characters the issue names are replaced, each by a visible escape."""
    named = {*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F)}
    named |= {*range(0x2066, 0x206A), *range(0xD800, 0xE000)}
    named -= {0x09, 0x0A}
    for cp in (*range(0x3000), *range(0xD000, 0xF000)):
        shown = neutralise(chr(cp))
        if cp in named:
            assert shown != chr(cp), hex(cp)
            assert not h.FORBIDDEN.search(shown), hex(cp)
            assert shown.isprintable(), hex(cp)
        else:
            assert shown == chr(cp), hex(cp)


def _hex_upper(text: str) -> str:
    """JSON text with its `\\uXXXX` escapes in capitals (`\\u202E`), as some encoders write them."""
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), text)


def test_json_that_could_hold_what_neutralise_replaces_is_never_called_clean():
    """Every character `neutralise` replaces, in a value or a key, raw or escaped in any case:
    the JSON text is never said to hold nothing to neutralise (slimming would skip the gate)."""
    replaced = [cp for cp in range(0x3000) if neutralise(chr(cp)) != chr(cp)]
    assert len(replaced) == 72
    for cp in replaced:
        for ascii_only in (True, False):
            for value in ({"message": f"a{chr(cp)}b"}, {f"k{chr(cp)}": 1}):
                text = json.dumps(value, ensure_ascii=ascii_only)
                for variant in (text, _hex_upper(text)):
                    assert json.loads(variant) == value
                    assert not holds_nothing_to_neutralise(variant.encode()), (hex(cp), variant)


def test_a_watch_line_with_a_lone_surrogate_is_never_clean():
    """A lone surrogate can only be written escaped (UTF-8 has no bytes for it), in either case,
    in a value or a key: the strict decoder refuses the line, so it never comes out as clean (a
    surrogate pair is one character, which the gate keeps)."""
    decode = kept_json.watch_event("Pod")
    for cp in range(0xD800, 0xE000):
        for obj in (
            {"kind": "Pod", "metadata": {"name": f"a{chr(cp)}b"}},
            {"kind": "Pod", "metadata": {"labels": {f"k{chr(cp)}": "v"}}},
        ):
            text = json.dumps({"type": "MODIFIED", "object": obj})
            for variant in (text, _hex_upper(text)):
                assert type(decode(variant.encode())) is not kept_json.CleanEvent, hex(cp)


def test_a_watch_line_with_a_lone_surrogate_is_slimmed_through_the_gate():
    """msgspec refuses a lone surrogate; the line is decoded by `json_input` and its strings
    go through `neutralise`, so what is kept can be written as UTF-8."""
    obj = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": "half-\ud800", "namespace": "sov"},
        "status": {"phase": "Failed", "reason": "Evicted", "message": "low on \udfff memory"},
    }
    event = kept_json.watch_event("Pod")(json.dumps({"type": "MODIFIED", "object": obj}).encode())
    assert type(event) is not kept_json.CleanEvent
    kept = slim(event["object"])
    assert kept["metadata"]["name"] == "half-\\ud800"
    assert kept["status"]["message"] == "low on \\udfff memory"
    json.dumps(kept, ensure_ascii=False).encode()  # a lone surrogate would raise here


def test_json_of_plain_text_is_clean():
    value = {"message": "Größe 10 Gi 日本 👩", "tab": "a\tb\nc", "quote": 'say "hi"', "n": 3}
    for ascii_only in (True, False):
        assert holds_nothing_to_neutralise(json.dumps(value, ensure_ascii=ascii_only).encode())
    # Go's encoder writes "&", "<", ">" escaped (\u0026): nothing for the gate
    assert holds_nothing_to_neutralise(b'{"message":"a \\u0026 b \\u003c"}')
    # a dash (U+2014), or an escaped backslash before "u202e", holds no control but is taken
    # for one: the string-by-string way then runs, which is only slower
    for text in ("a \u2014 b", r"C:\u202e"):
        data = json.dumps({"message": text}, ensure_ascii=False).encode()
        assert not holds_nothing_to_neutralise(data), text


def test_text_without_controls_is_returned_as_is():
    text = "Helm install succeeded for release loki/loki.v1 with chart bp-loki@1.0.0"
    assert neutralise(text) is text


def _hostile(value):
    """`value` with a payload appended to every string (keys included)."""
    if isinstance(value, str):
        return value + h.PAYLOAD
    if isinstance(value, dict):
        return {k + h.PAYLOAD: _hostile(v) for k, v in value.items()} | {
            k: _hostile(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_hostile(v) for v in value]
    return value


def _recorded_objects() -> list[dict]:
    return [line["object"] for line in h.hostile_recording_lines() if "object" in line]


@pytest.mark.parametrize("obj", _recorded_objects(), ids=lambda o: o["kind"])
def test_slimming_neutralises_every_string_it_keeps(obj: dict):
    kept = slim(_hostile(obj))
    strings = h.strings_in(kept)
    assert any("␛]52;c;ZXZpbA==" in s for s in strings)  # payloads were kept, made visible
    assert [s for s in strings if h.FORBIDDEN.search(s)] == []
    assert slim(kept) == kept


@pytest.mark.parametrize("obj", _recorded_objects(), ids=lambda o: o["kind"])
def test_a_hostile_watch_line_is_slimmed_through_the_gate(obj: dict):
    """Every string of the object carries the payload: the decoder never hands it over as clean,
    and what slimming keeps of it is neutralised."""
    line = json.dumps({"type": "MODIFIED", "object": _hostile(obj)}, ensure_ascii=False)
    event = kept_json.watch_event(obj["kind"])(line.encode())
    assert type(event) is not kept_json.CleanEvent
    assert slim(event["object"]) == slim(_hostile(obj))


def test_slimming_neutralises_an_api_version_that_is_no_string():
    kept = slim({"kind": "Pod", "apiVersion": {h.OSC52: [h.PAYLOAD]}, "metadata": {"name": "p"}})
    assert [s for s in h.strings_in(kept) if h.FORBIDDEN.search(s)] == []
    assert any("␛]52;c;ZXZpbA==" in s for s in h.strings_in(kept["apiVersion"]))


def test_a_hostile_recording_reads_back_neutralised(tmp_path: Path):
    path = tmp_path / "hostile.ndjson"
    lines = h.hostile_recording_lines()
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    with RecordingReader(path) as reader:
        items = list(reader)
        header = reader.header
    assert header.context == "sov-prod␛]52;c;ZXZpbA==␛\\"
    assert not h.FORBIDDEN.search(header.server + header.version)
    texts = []
    for item in items:
        if isinstance(item, StreamHealth):
            texts += [item.resource, item.detail]
        else:
            assert isinstance(item, WatchEvent)
            texts += [item.resource, *h.strings_in(item.obj)]
    assert len(items) == len(lines) - 2  # the header, and the damaged last line
    assert [t for t in texts if h.FORBIDDEN.search(t)] == []
    assert h.SEEN in texts  # the error stream's detail, readable
    damage = reader.damage.describe(path)
    assert "NOT-AN-EVENT" in damage
    assert not h.FORBIDDEN.search(damage)


@pytest.mark.parametrize(
    "body",
    [
        f"<html>{h.PAYLOAD}</html>".encode(),
        json.dumps({"kind": "Status", "reason": h.OSC0, "message": h.PAYLOAD}).encode(),
        {"kind": "Status", "code": 403, "reason": "Forbidden", "message": h.PAYLOAD},
    ],
    ids=["not-json", "status-body", "in-stream-status"],
)
def test_a_servers_error_body_is_neutralised(body):
    error = errors.api_error(403, body)
    assert isinstance(error, errors.APIForbiddenError)
    assert h.SEEN in str(error)
    assert not h.FORBIDDEN.search(str(error) + error.reason + error.message)


def test_a_malformed_watch_line_is_quoted_neutralised():
    error = errors.MalformedLineError(f"{h.OSC52}{h.BIDI}".encode())
    assert "␛]52;c;ZXZpbA==␛\\\\u202ereversed" in str(error)
    assert not h.FORBIDDEN.search(str(error))


def test_the_hostile_scenario_carries_every_payload():
    """The scenario and these fixtures hold the same strings (see hostile_text.py)."""
    scenario = load_scenario("hostile")
    texts = []
    for release in scenario.releases:
        if release.install_failures:
            texts.append(release.install_failures.error)
        for workload in release.workloads:
            for container in workload.containers:
                texts.append(container.image)
                if container.crash_loop:
                    texts.append(container.crash_loop.message)
            texts += [c.attach_error.message for c in workload.volume_claims if c.attach_error]
    assert sum(h.PAYLOAD in t for t in texts) == 2  # install and attach errors
    for piece in (h.OSC52, h.OSC0, h.CSI_COLOUR, h.C1_CSI, h.BIDI, h.MARKUP):
        assert sum(piece in t for t in texts) >= 3, repr(piece)
    assert any(t.count("\n") >= 2 for t in texts)  # a multi-line termination message
