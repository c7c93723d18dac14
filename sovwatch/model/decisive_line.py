"""The one line of a container's log tail that says why it failed, rendered for the operator.

Each line gets a weight by its shape; the heaviest wins, the latest on a tie (a crash is at the
end of a log):

| weight | shape | rendered as |
|---|---|---|
| 90 | Go `panic: ...` | the panic line |
| 85 | Python traceback | its last line, the exception (`PermissionError: [Errno 13] ...`) |
| 85 | Java `Caused by:` | the last one of the trace: the innermost cause is the root (the first `Caused by:` only wraps it) |
| 80 | Postgres `FATAL:`/`PANIC:`, logfmt `level=fatal`, JSON `"level":"fatal"`, klog `F....` | the message |
| 70 | logfmt `level=error`, JSON `"level":"error"` (`severity`, `lvl` too), klog `E....`, `ERROR` in text | the message, `msg: err` for structured logs |
| 40 | `error`, `exception`, `denied`, `refused`, `not found`, `timeout` anywhere | the line |
| 0 | anything else | the last non-empty line |

Rendering drops what the operator does not need (timestamps, logfmt keys, JSON braces) and keeps
the text whole; cutting to a width is the views' job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sovwatch import json_input
from sovwatch.untrusted import neutralise

_TIME_PREFIX = re.compile(
    r"^\s*(?:\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d| UTC)?\]?\s+)"
)
_KLOG = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+\s+[^\]]+\]\s?(.*)$")
_LOGFMT_PAIR = re.compile(r'(\w[\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_PG_SEVERITY = re.compile(r"\b(FATAL|PANIC|ERROR):\s+(.*)$")
_TEXT_LEVEL = re.compile(r"(?:^|[\s\[|])(FATAL|CRITICAL|SEVERE|ERROR)(?:[\s\]|:]|$)")
_KEYWORDS = re.compile(
    r"error|exception|denied|refused|not found|timed? ?out|unable to|failed", re.IGNORECASE
)
_PY_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)\b.*")

_LEVEL_WEIGHT = {
    "fatal": 80,
    "panic": 80,
    "critical": 80,
    "crit": 80,
    "emergency": 80,
    "alert": 80,
    "error": 70,
    "err": 70,
    "eror": 70,
}
_MESSAGE_KEYS = ("msg", "message", "M", "@message")
_ERROR_KEYS = ("error", "err", "exception", "stacktrace")


def decisive_line(lines: Sequence[str]) -> str:
    """The rendered decisive line of `lines` (oldest first); "" when every line is empty. The
    lines have passed the untrusted-text gate; decoding JSON or logfmt quoting can bring back
    the controls it escaped (`\u001b`), so the result passes it again."""
    best: tuple[int, int, str] | None = None
    for index, weight, text in _candidates(lines):
        if best is None or weight >= best[0]:
            best = (weight, index, text)
    return neutralise(best[2]) if best is not None else ""


def _candidates(lines: Sequence[str]):
    """(index, weight, rendered) for every non-empty line, plus traceback and Caused-by verdicts."""
    in_traceback = False
    last_caused_by: tuple[int, str] | None = None
    for index, raw in enumerate(lines):
        line = raw.rstrip()
        if not line.strip():
            continue
        stripped = line.strip()
        if stripped.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        if in_traceback:
            if line[:1].isspace():
                continue
            in_traceback = False
            if _PY_EXCEPTION.match(stripped):
                yield index, 85, stripped
                continue
        if stripped.startswith("Caused by:"):
            last_caused_by = (index, stripped.removeprefix("Caused by:").strip())
            continue
        if stripped.startswith("at ") or stripped.startswith("... "):
            continue  # a Java frame: the trace's verdict comes from its Caused by
        if last_caused_by is not None:
            yield last_caused_by[0], 85, last_caused_by[1]
            last_caused_by = None
        yield (index, *_judge(stripped))
    if last_caused_by is not None:
        yield last_caused_by[0], 85, last_caused_by[1]


def _judge(line: str) -> tuple[int, str]:
    """(weight, rendered) of one line on its own."""
    if line.startswith("panic: "):
        return 90, line
    if line.startswith("{"):
        judged = _judge_json(line)
        if judged is not None:
            return judged
    if klog := _KLOG.match(line):
        severity, message = klog.groups()
        return {"F": 80, "E": 70}.get(severity, 0), message
    if "level=" in line or "lvl=" in line:
        judged = _judge_logfmt(line)
        if judged is not None:
            return judged
    text = _TIME_PREFIX.sub("", line)
    if pg := _PG_SEVERITY.search(text):
        severity, message = pg.groups()
        return (80 if severity != "ERROR" else 70), f"{severity}: {message}"
    if _TEXT_LEVEL.search(text):
        level = _TEXT_LEVEL.search(text).group(1)
        return (80 if level in ("FATAL", "CRITICAL") else 70), text
    if _KEYWORDS.search(text):
        return 40, text
    return 0, text


def json_record(line: str) -> dict | None:
    """The JSON object a structured log line holds, or None (not JSON, not an object, or nested
    too deeply: a container writes what it likes, and must not crash the model)."""
    try:
        record = json_input.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _judge_json(line: str) -> tuple[int, str] | None:
    record = json_record(line)
    if record is None:
        return None
    level = str(record.get("level") or record.get("severity") or record.get("lvl") or "").lower()
    message = _join(record, _MESSAGE_KEYS, _ERROR_KEYS)
    if not message:
        return None
    weight = _LEVEL_WEIGHT.get(level, 40 if _KEYWORDS.search(message) else 0)
    return weight, message


def _judge_logfmt(line: str) -> tuple[int, str] | None:
    pairs = {key: _unquote(value) for key, value in _LOGFMT_PAIR.findall(line)}
    level = (pairs.get("level") or pairs.get("lvl") or "").lower()
    if not level:
        return None
    message = _join(pairs, _MESSAGE_KEYS, _ERROR_KEYS) or line
    weight = _LEVEL_WEIGHT.get(level, 40 if _KEYWORDS.search(message) else 0)
    return weight, message


def _join(record: dict, message_keys: tuple[str, ...], error_keys: tuple[str, ...]) -> str:
    """`msg: err` from a structured record (either alone when the other is missing)."""
    message = next((str(record[k]) for k in message_keys if record.get(k)), "")
    error = next(
        (str(record[k]).splitlines()[0] for k in error_keys if record.get(k) and k != "stacktrace"),
        "",
    )
    if message and error and error not in message:
        return f"{message}: {error}"
    return message or error


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value[1:-1]
    return value
