"""meta.k8s.io/v1 Table output, so `kubectl get` prints the columns a real cluster would."""

from __future__ import annotations

from sovwatch.emulator.objects import ResourceType

TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def wants_table(accept: str) -> bool:
    """True when the Accept header asks for a Table (kubectl's first choice for `get`)."""
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in accept.split(","))


def to_table(
    rt: ResourceType,
    objects: list[dict],
    *,
    include_object: str = "Metadata",
    resource_version: str | None = None,
    column_definitions: bool = True,
    continue_token: str | None = None,
) -> dict:
    raise NotImplementedError
