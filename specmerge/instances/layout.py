"""The one owner of an instance's layout on a cluster (design.md §6).

An instance is a custom resource (default ``apps.wandb.com/v1`` ``WeightsAndBiases``,
plural ``weightsandbiases``, short name ``wandb``) plus three Secrets in its namespace, each
with data keys ``values``, ``chart`` and ``metadata`` holding JSON:

* ``<name>-spec-user``: the console (``user``) layer;
* ``<name>-spec-active``: the last applied effective spec (its digest in an annotation);
* ``<name>-latest-cached-release``: the last good channel spec.

Every name, key, label and annotation specmerge puts on the cluster is spelled here and
nowhere else; ``diff --live``, the service's Secret store, the channel Secret cache and the
operator import them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PermanentError

USER_SUFFIX = "-spec-user"
ACTIVE_SUFFIX = "-spec-active"
CACHE_SUFFIX = "-latest-cached-release"
KEYS = ("values", "chart", "metadata")

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = {MANAGED_BY_LABEL: "specmerge"}
#: the label selector of every Secret specmerge writes (what the operator's informer watches)
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}=specmerge"
#: on ``-spec-active`` and as the Helm release label: the digest of the applied release (§8)
DIGEST_KEY = "specmerge.io/digest"
#: the operator's finalizer on a CR: uninstall before the CR goes
FINALIZER = "specmerge.io/uninstall"
#: the selector of Helm's release Secrets (storage driver ``secret``)
HELM_SELECTOR = "owner=helm"


def user_secret(name: str) -> str:
    return f"{name}{USER_SUFFIX}"


def active_secret(name: str) -> str:
    return f"{name}{ACTIVE_SUFFIX}"


def cache_secret(name: str) -> str:
    return f"{name}{CACHE_SUFFIX}"


def instance_of_secret(secret_name: str) -> str | None:
    """The instance a specmerge Secret belongs to (``demo-spec-user`` -> ``demo``), else ``None``."""
    for suffix in (USER_SUFFIX, ACTIVE_SUFFIX, CACHE_SUFFIX):
        if secret_name.endswith(suffix) and len(secret_name) > len(suffix):
            return secret_name[: -len(suffix)]
    return None


@dataclass(frozen=True)
class CrKind:
    """Which custom resource is an instance (group/version/kind configurable)."""

    group: str = "apps.wandb.com"
    version: str = "v1"
    kind: str = "WeightsAndBiases"
    plural: str = "weightsandbiases"
    short_name: str = "wandb"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def resource(self) -> str:
        """kubectl's fully qualified resource, ``PLURAL.VERSION.GROUP``."""
        return f"{self.plural}.{self.version}.{self.group}"

    def path(self, namespace: str | None, name: str | None = None, subresource: str | None = None) -> str:
        """The API path of the collection (all namespaces when ``namespace`` is ``None``) or one object."""
        base = f"/apis/{self.group}/{self.version}"
        base += f"/namespaces/{namespace}/{self.plural}" if namespace else f"/{self.plural}"
        if name:
            base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
        return base

    def locator(self, namespace: str, name: str) -> str:
        """The ``cr`` layer's source locator."""
        return f"cr:{namespace}/{name}"

    @classmethod
    def parse(cls, text: str, kind: str | None = None) -> CrKind:
        """``PLURAL.VERSION.GROUP`` (``weightsandbiases.v1.apps.wandb.com``); :class:`PermanentError` otherwise."""
        plural, _, rest = text.partition(".")
        version, _, group = rest.partition(".")
        if not (plural and version and group) or not version.startswith("v"):
            default = cls()
            raise PermanentError(
                "--cr-resource", f"expected PLURAL.VERSION.GROUP such as {default.resource}, got {text!r}"
            )
        default = cls()
        if (group, plural) == (default.group, default.plural):
            return cls(group, version, kind or default.kind, plural, default.short_name)
        return cls(group, version, kind or plural.capitalize(), plural, "")


__all__ = [
    "ACTIVE_SUFFIX",
    "CACHE_SUFFIX",
    "DIGEST_KEY",
    "FINALIZER",
    "HELM_SELECTOR",
    "KEYS",
    "MANAGED_BY",
    "MANAGED_BY_LABEL",
    "MANAGED_SELECTOR",
    "USER_SUFFIX",
    "CrKind",
    "active_secret",
    "cache_secret",
    "instance_of_secret",
    "user_secret",
]
