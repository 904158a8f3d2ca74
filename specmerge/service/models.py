"""The HTTP API's shapes, for request parsing and the published OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..core import json_problem, to_pointer

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Refuse what Python's JSON parser takes but JSON cannot carry (:func:`json_problem`),
    naming its JSON Pointer: NaN, ±Infinity, lone surrogates."""
    problem = json_problem(values)
    if problem is not None:
        raise ValueError(f"{to_pointer(problem[0])}: {problem[1]}")
    return values


#: A layer's values in a request body: a JSON object that JSON can carry back.
Values = Annotated[dict[str, Any], AfterValidator(_json_safe)]


class InstanceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    namespace: str = Field(pattern=DNS_LABEL)
    name: str = Field(pattern=DNS_LABEL)


class ChannelRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    release: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="override", pattern=r"^[a-z][a-z0-9-]{0,31}$")
    values: Values


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    releaseName: str = Field(default="specmerge", pattern=r"^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$")
    namespace: str = Field(default="default", pattern=DNS_LABEL)


class PreviewRequest(BaseModel):
    """Layers for a preview. ``user`` inline wins over the instance's stored user layer;
    ``overrides`` stack above ``cr`` in order. ``channel.release`` (or ``_releaseId`` in
    ``user``/``cr``) pins the channel release."""

    model_config = ConfigDict(extra="forbid")
    instance: InstanceRef | None = None
    channel: ChannelRef | None = None
    operator: Values | None = None
    user: Values | None = None
    cr: Values | None = None
    overrides: list[Override] = Field(default_factory=list, max_length=32)
    render: RenderRequest = Field(default_factory=RenderRequest)
    provenance: bool = True


class LayerRef(BaseModel):
    name: str
    source: str


class Manifest(BaseModel):
    template: str
    index: int
    text: str


class DiffChange(BaseModel):
    """One differing leaf (specmerge.diff's value change): masked old/new and who set each."""

    path: str
    dotted: str
    change: str
    old: Any = None
    new: Any = None
    oldType: str | None = None
    newType: str | None = None
    oldOrigin: dict[str, Any] | None = None
    newOrigin: dict[str, Any] | None = None


class Diff(BaseModel):
    active: bool
    changes: list[DiffChange]


class PreviewResponse(BaseModel):
    ok: bool
    channel: dict[str, Any]
    chart: dict[str, Any]
    layers: list[LayerRef]
    values: dict[str, Any]
    warnings: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    provenance: list[dict[str, Any]] | None
    manifests: list[Manifest] | None
    diff: Diff | None


class UserValues(BaseModel):
    instance: str
    source: str
    etag: str
    values: dict[str, Any]


class Problem(BaseModel):
    detail: Any
    requestId: str | None = None
    violations: list[dict[str, Any]] | None = None
    placeholders: list[str] | None = None
    layer: str | None = None
    source: str | None = None


VALUES_BODY = {"type": "object", "additionalProperties": True, "description": "The user layer values."}
