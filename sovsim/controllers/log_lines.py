"""A scenario's log line templates, filled in with the simulated time a container writes them.

Placeholders (plain text replacement, so JSON braces need no escaping):

| placeholder | example | as written by |
|---|---|---|
| `{time}` | `2026-12-06T09:16:46.123Z` | Go logfmt `ts=`, logrus `time=`, RFC 3339 loggers |
| `{epoch}` | `1796548606.123` | zap JSON `"ts"` |
| `{klog}` | `1206 09:16:46.123456` | klog headers, after the severity letter (`E1206 ...`) |
| `{clock}` | `2026-12-06 09:16:46.123` | Java, Python and Postgres log prefixes |
| `{pod}`, `{namespace}` | `loki-0`, `loki` | the pod writing the line |
"""

from __future__ import annotations

from datetime import UTC, datetime


def render_log_line(template: str, when: float, *, pod: str, namespace: str) -> str:
    if "{" not in template:
        return template
    moment = datetime.fromtimestamp(when, UTC)
    millis = f"{moment.microsecond // 1000:03d}"
    values = {
        "{time}": moment.strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z",
        "{epoch}": f"{when:.3f}",
        "{klog}": moment.strftime("%m%d %H:%M:%S.%f"),
        "{clock}": moment.strftime("%Y-%m-%d %H:%M:%S.") + millis,
        "{pod}": pod,
        "{namespace}": namespace,
    }
    for key, value in values.items():
        template = template.replace(key, value)
    return template
