"""Preflight data: the ``requirements`` block of a channel spec, a snapshot of the cluster, and
the result rows. Pure data and parsing; no I/O.

A ``requirements`` block (``schemas/channel-spec.schema.json`` checks its shape) is a set of
checks plus optional ``profiles``, each a partial set of the same checks that replaces the
base's keys when that profile is chosen. The profile is named by the effective spec's value at
``profileValue`` (a dotted path; default ``_profile``, a control key the user or CR layer
sets), else ``defaultProfile``::

    {"profileValue": "_profile", "defaultProfile": "production",
     "kubernetesVersion": ">=1.27.0", "apiGroups": ["networking.k8s.io/v1"],
     "crds": ["certificates.cert-manager.io"],
     "ingressClass": {"enabledValue": "ingress.enabled", "classNameValue": "ingress.className"},
     "defaultStorageClass": {"enabledValue": "persistence.enabled"},
     "profiles": {"production": {"minNodes": 3, "perNode": {"cpu": "2", "memory": "4Gi"},
                                 "total": {"cpu": "12", "memory": "24Gi"}},
                  "dev": {"minNodes": 1, "total": {"cpu": "2"}}}}

Quantities are Kubernetes quantities (``3900m``, ``15Gi``), read by the ``kubernetes``
client's own parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import InputError

DEFAULT_PROFILE_VALUE = "_profile"

#: Keys of one requirement set (the base block and each profile).
SET_KEYS = ("kubernetesVersion", "minNodes", "perNode", "total", "apiGroups", "crds", "ingressClass",
            "defaultStorageClass")


class RequirementsError(InputError, ValueError):
    """A requirements block that cannot be evaluated; the message names the key."""


def parse_quantity(text: Any, where: str) -> Decimal:
    """A Kubernetes quantity as a number (CPU in cores, memory in bytes)."""
    from kubernetes.utils import parse_quantity as k8s_parse

    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise RequirementsError(f"{where}: expected a quantity such as '2', '3900m' or '15Gi', got {text!r}")
    try:
        return Decimal(k8s_parse(text))
    except ValueError as exc:
        raise RequirementsError(f"{where}: {exc}") from None


def _known(raw: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise RequirementsError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(keys)})")


def check_path(path: Any, where: str) -> str:
    """A dotted path into the effective spec (``ingress.enabled``), checked for syntax."""
    from ..core import from_dotted

    if not isinstance(path, str) or not path:
        raise RequirementsError(f"{where}: expected a dotted path such as ingress.enabled, got {path!r}")
    try:
        from_dotted(path)
    except ValueError as exc:
        raise RequirementsError(f"{where}: {exc}") from None
    return path


@dataclass(frozen=True)
class Resources:
    """CPU (cores) and memory (bytes); ``None`` where not required."""

    cpu: Decimal | None = None
    memory: Decimal | None = None

    @staticmethod
    def parse(raw: Any, where: str) -> Resources | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise RequirementsError(f"{where}: expected a map with cpu and/or memory")
        cpu, memory = raw.get("cpu"), raw.get("memory")
        return Resources(
            parse_quantity(cpu, f"{where}.cpu") if cpu is not None else None,
            parse_quantity(memory, f"{where}.memory") if memory is not None else None,
        )


@dataclass(frozen=True)
class Switched:
    """A check that applies when the effective value at ``enabled_value`` is true; the class it
    needs is the value at ``class_name_value`` when set, else the cluster's default."""

    enabled_value: str
    class_name_value: str | None = None

    @staticmethod
    def parse(raw: Any, where: str) -> Switched | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or not isinstance(raw.get("enabledValue"), str):
            raise RequirementsError(f"{where}: expected {{enabledValue: PATH, classNameValue?: PATH}}")
        name = raw.get("classNameValue")
        for key, path in (("enabledValue", raw["enabledValue"]), ("classNameValue", name)):
            if path is not None:
                check_path(path, f"{where}.{key}")
        return Switched(raw["enabledValue"], name if isinstance(name, str) else None)


@dataclass(frozen=True)
class RequirementSet:
    """The checks of one profile after the base block and the profile are combined."""

    kubernetes_version: str | None = None
    min_nodes: int | None = None
    per_node: Resources | None = None
    total: Resources | None = None
    api_groups: tuple[str, ...] = ()
    crds: tuple[str, ...] = ()
    ingress_class: Switched | None = None
    default_storage_class: Switched | None = None

    @staticmethod
    def parse(raw: Mapping[str, Any], where: str) -> RequirementSet:
        _known(raw, SET_KEYS, where)
        version = raw.get("kubernetesVersion")
        if version is not None:
            from ..render import ConstraintError, parse_constraint

            try:
                parse_constraint(str(version))
            except ConstraintError as exc:
                raise RequirementsError(f"{where}.kubernetesVersion: {exc}") from None
        nodes = raw.get("minNodes")
        if nodes is not None and (isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 0):
            raise RequirementsError(f"{where}.minNodes: expected a whole number >= 0, got {nodes!r}")

        def names(key: str) -> tuple[str, ...]:
            items = raw.get(key) or []
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                raise RequirementsError(f"{where}.{key}: expected a list of names")
            return tuple(items)

        return RequirementSet(
            kubernetes_version=str(version) if version is not None else None,
            min_nodes=nodes,
            per_node=Resources.parse(raw.get("perNode"), f"{where}.perNode"),
            total=Resources.parse(raw.get("total"), f"{where}.total"),
            api_groups=names("apiGroups"),
            crds=names("crds"),
            ingress_class=Switched.parse(raw.get("ingressClass"), f"{where}.ingressClass"),
            default_storage_class=Switched.parse(raw.get("defaultStorageClass"), f"{where}.defaultStorageClass"),
        )


@dataclass(frozen=True)
class Requirements:
    """A parsed ``requirements`` block: the base set and the profiles' raw overrides."""

    base: Mapping[str, Any]
    profiles: Mapping[str, Mapping[str, Any]]
    profile_value: str = DEFAULT_PROFILE_VALUE
    default_profile: str | None = None

    @staticmethod
    def parse(raw: Mapping[str, Any], where: str = "requirements") -> Requirements:
        """Check every set (base and profiles) now, so a bad block fails before any cluster call."""
        if not isinstance(raw, Mapping):
            raise RequirementsError(f"{where}: expected a map")
        _known(raw, (*SET_KEYS, "profileValue", "defaultProfile", "profiles"), where)
        profiles = raw.get("profiles") or {}
        if not isinstance(profiles, Mapping) or not all(isinstance(p, Mapping) for p in profiles.values()):
            raise RequirementsError(f"{where}.profiles: expected a map of profile name -> checks")
        base = {k: raw[k] for k in SET_KEYS if k in raw}
        RequirementSet.parse(base, where)
        for name, overrides in profiles.items():
            RequirementSet.parse({**base, **overrides}, f"{where}.profiles.{name}")
        default = raw.get("defaultProfile")
        if default is not None and default not in profiles:
            raise RequirementsError(f"{where}.defaultProfile: {default!r} is not one of the profiles {sorted(profiles)}")
        selector = check_path(raw.get("profileValue", DEFAULT_PROFILE_VALUE), f"{where}.profileValue")
        return Requirements(base, dict(profiles), selector, default)

    def resolve(self, profile: str | None) -> RequirementSet:
        """The checks for ``profile`` (``None``: the base block alone)."""
        if profile is None:
            return RequirementSet.parse(self.base, "requirements")
        return RequirementSet.parse({**self.base, **self.profiles[profile]}, f"requirements.profiles.{profile}")


@dataclass(frozen=True)
class NodeFacts:
    name: str
    ready: bool
    schedulable: bool  # not cordoned (spec.unschedulable is not true)
    cpu: Decimal  # allocatable cores
    memory: Decimal  # allocatable bytes

    @property
    def eligible(self) -> bool:
        return self.ready and self.schedulable

    @property
    def why_not(self) -> str:
        return "NotReady" if not self.ready else "cordoned"


@dataclass(frozen=True)
class ClassFacts:
    """An IngressClass or StorageClass: its name and whether it is the cluster default."""

    name: str
    default: bool


@dataclass(frozen=True)
class ClusterFacts:
    """What preflight needs to know about a cluster, read once (:mod:`specmerge.preflight.facts`)."""

    version: str  # /version gitVersion, e.g. v1.36.3
    nodes: tuple[NodeFacts, ...] = ()
    group_versions: frozenset[str] = frozenset()  # "v1", "apps/v1", "networking.k8s.io/v1", ...
    resources: frozenset[str] = frozenset()  # "plural.group" of every served resource (CRD names)
    ingress_classes: tuple[ClassFacts, ...] = ()
    storage_classes: tuple[ClassFacts, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """One row of the preflight table."""

    check: str
    required: str
    found: str
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "required": self.required, "found": self.found, "ok": self.ok}


@dataclass(frozen=True)
class PreflightReport:
    profile: str | None
    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def unmet(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "profile": self.profile, "results": [r.to_dict() for r in self.results]}
