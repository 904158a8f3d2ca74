"""An instance as read from the cluster, decoded into one typed value.

:func:`instance_from_objects` is pure: it takes the CR (a dict, as the API returns it) and
the ``data``/annotations of ``<name>-spec-user`` and ``<name>-spec-active`` and returns an
:class:`InstanceSpec`, or raises :class:`~.errors.PermanentError` naming the object and key
(never the content). Every front door (``diff --live``, the service, the operator) reads an
instance through here, so they agree on what a malformed Secret or CR means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core import Layer, layer_from_values
from .codec import decode_object
from .errors import PermanentError
from .layout import DIGEST_KEY, CrKind, active_secret, user_secret


@dataclass(frozen=True)
class ActiveSpec:
    """``<name>-spec-active``: the last applied effective spec and the digest it was applied with."""

    values: dict[str, Any] = field(repr=False)
    chart: dict[str, Any] | None = field(repr=False)
    metadata: dict[str, Any] = field(repr=False)
    digest: str | None
    locator: str


@dataclass(frozen=True)
class InstanceSpec:
    """The desired-state inputs of one instance (and what was last applied)."""

    namespace: str
    name: str
    kind: CrKind
    cr_found: bool
    cr_values: dict[str, Any] = field(repr=False)
    cr_chart: dict[str, Any] | None = field(repr=False)
    channel: str | None
    user_values: dict[str, Any] | None = field(repr=False)
    active: ActiveSpec | None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def user_locator(self) -> str:
        return f"secret:{self.namespace}/{user_secret(self.name)}#values"

    @property
    def cr_locator(self) -> str:
        return self.kind.locator(self.namespace, self.name)

    def user_layer(self) -> Layer | None:
        return None if self.user_values is None else layer_from_values("user", self.user_locator, self.user_values)

    def cr_layer(self) -> Layer | None:
        return layer_from_values("cr", self.cr_locator, self.cr_values) if self.cr_found else None


def _object(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise PermanentError(where, f"must be an object, not {type(value).__name__}")
    return dict(value)


def read_active(namespace: str, name: str, data: Mapping[str, str] | None,
                annotations: Mapping[str, str] | None) -> ActiveSpec | None:
    """``<name>-spec-active`` decoded; ``None`` when there is no such Secret (``data is None``)."""
    if data is None:
        return None
    where = f"secret:{namespace}/{active_secret(name)}"
    values = decode_object(data, "values", where)
    if values is None:
        raise PermanentError(where, "has no 'values' key")
    return ActiveSpec(
        values,
        decode_object(data, "chart", where) or None,
        decode_object(data, "metadata", where) or {},
        (annotations or {}).get(DIGEST_KEY),
        f"{where}#values",
    )


def instance_from_objects(
    kind: CrKind,
    namespace: str,
    name: str,
    cr: Mapping[str, Any] | None,
    user_data: Mapping[str, str] | None,
    active_data: Mapping[str, str] | None = None,
    active_annotations: Mapping[str, str] | None = None,
) -> InstanceSpec:
    """Decode the objects of one instance (module docstring). ``None`` means "not found"."""
    where = kind.locator(namespace, name)
    cr_values: dict[str, Any] = {}
    cr_chart = channel = None
    if cr is not None:
        spec = _object(cr.get("spec"), f"{where} spec") or {}
        cr_values = _object(spec.get("values"), f"{where} spec.values") or {}
        cr_chart = _object(spec.get("chart"), f"{where} spec.chart") or None
        channel = spec.get("channel")
        if channel is not None and not isinstance(channel, str):
            raise PermanentError(f"{where} spec.channel", f"must be a string, not {type(channel).__name__}")
    user_where = f"secret:{namespace}/{user_secret(name)}"
    user_values = decode_object(user_data, "values", user_where) if user_data is not None else None
    return InstanceSpec(
        namespace, name, kind, cr is not None, cr_values, cr_chart, channel or None, user_values,
        read_active(namespace, name, active_data, active_annotations),
    )


__all__ = ["ActiveSpec", "InstanceSpec", "instance_from_objects", "read_active"]
