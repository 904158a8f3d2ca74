"""Reading a live instance (design.md §6) for ``specmerge diff --live NS/NAME``.

From the CR's namespace, with the user's kubeconfig (``--kubeconfig``, else
``$KUBECONFIG``/``~/.kube/config``; optional context):

* ``<name>-spec-active`` Secret, keys ``values``/``chart``/``metadata`` (each JSON): the
  last applied effective spec — the old side. Required: without it nothing was applied.
* ``<name>-spec-user`` Secret, key ``values`` (JSON): the ``user`` layer (absent: none).
* the CR (default ``apps.wandb.com/v1`` ``weightsandbiases``; another with ``--cr-resource
  PLURAL.VERSION.GROUP``): ``spec.values`` is the ``cr`` layer, ``spec.chart`` the chart
  reference (absent CR: neither, and a note).

:func:`instance_from_objects` is the pure part (decoding and shaping); :func:`read_live`
does the API calls. Failures (unreachable cluster, forbidden, bad JSON) raise
:class:`LiveError` with what and where; Secret contents never appear in messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import Layer
from ..errors import UnavailableError
from ..instances import (
    ACTIVE_SUFFIX,
    CrKind,
    InstanceError,
    USER_SUFFIX,
    active_secret,
    instance_from_objects as read_instance,
    user_secret,
)
from .sides import StoredSpec

_DEFAULT = CrKind()
GROUP, VERSION, PLURAL = _DEFAULT.group, _DEFAULT.version, _DEFAULT.plural
__all__ = ["ACTIVE_SUFFIX", "USER_SUFFIX", "LiveError", "LiveInstance", "instance_from_objects", "read_live"]


class LiveError(UnavailableError):
    """The live instance cannot be read; the message names the object and the reason."""


@dataclass(frozen=True)
class LiveInstance:
    """What ``--live`` compares: the active spec, and the layers the desired spec is made of."""

    namespace: str
    name: str
    active: StoredSpec
    user: Layer | None
    cr: Layer | None
    cr_chart: dict[str, Any] | None
    notes: tuple[str, ...] = ()


def _object_not_found(body: Any) -> bool:
    """A 404 Status about a missing object (``details.name`` set), as opposed to the plain
    ``404 page not found`` of a resource the apiserver does not serve."""
    try:
        status = json.loads(body) if isinstance(body, (str, bytes)) else None
    except ValueError:
        return False
    return isinstance(status, dict) and isinstance(status.get("details"), dict) and "name" in status["details"]


def parse_cr_resource(text: str) -> tuple[str, str, str]:
    """kubectl's fully qualified resource, ``PLURAL.VERSION.GROUP``
    (``weightsandbiases.v1.apps.wandb.com``), as ``(group, version, plural)``."""
    try:
        kind = CrKind.parse(text)
    except InstanceError as exc:
        raise LiveError(str(exc)) from None
    return kind.group, kind.version, kind.plural


def parse_live_ref(ref: str) -> tuple[str, str]:
    """``NS/NAME`` as ``(namespace, name)``; :class:`LiveError` for anything else."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(parts):
        raise LiveError(f"--live: expected NS/NAME, got {ref!r}")
    return parts[0], parts[1]


def instance_from_objects(
    namespace: str,
    name: str,
    active_data: Mapping[str, str] | None,
    user_data: Mapping[str, str] | None,
    cr: Mapping[str, Any] | None,
) -> LiveInstance:
    """Shape the objects read from the cluster (Secrets' ``data``, the CR as a dict) through
    the one instance reader (:mod:`specmerge.instances`)."""
    active_where = f"secret:{namespace}/{active_secret(name)}"
    if active_data is None:
        raise LiveError(f"{active_where} not found: nothing has been applied for {namespace}/{name} yet")
    try:
        inst = read_instance(_DEFAULT, namespace, name, cr, user_data, active_data)
    except InstanceError as exc:
        raise LiveError(str(exc)) from None
    assert inst.active is not None
    active = StoredSpec(inst.active.values, inst.active.chart, inst.active.metadata, inst.active.locator)
    notes: list[str] = []
    user = inst.user_layer()
    if user is None:
        notes.append(f"secret:{namespace}/{user_secret(name)} has no values: no user layer")
    if cr is None:
        notes.append(f"cr:{namespace}/{name} not found: no cr layer, chart from the channel")
    return LiveInstance(namespace, name, active, user, inst.cr_layer(), inst.cr_chart, tuple(notes))


def read_live(
    namespace: str,
    name: str,
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    group: str = GROUP,
    version: str = VERSION,
    plural: str = PLURAL,
) -> LiveInstance:
    """Read the instance's Secrets and CR from the cluster (module docstring)."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException

    try:
        api_client = config.new_client_from_config(
            config_file=str(kubeconfig) if kubeconfig else None, context=context
        )
    except (ConfigException, OSError) as exc:
        raise LiveError(f"kubeconfig: {exc}") from None

    def fetch(what: str, call: Any) -> Any:
        try:
            return call()
        except ApiException as exc:
            if exc.status == 404 and _object_not_found(exc.body):
                return None
            if exc.status == 404:  # the apiserver does not serve this resource at all
                raise LiveError(f"{what}: the cluster serves no {plural}.{version}.{group} "
                                "(is the CRD installed? see --cr-resource)") from None
            raise LiveError(f"{what}: {exc.status} {exc.reason}") from None
        except Exception as exc:  # urllib3 connection errors and the like: the cluster is unreachable
            raise LiveError(f"{what}: cannot reach the cluster ({type(exc).__name__})") from None

    with api_client:
        core = client.CoreV1Api(api_client)
        objects = client.CustomObjectsApi(api_client)
        active = fetch(
            f"secret:{namespace}/{name}{ACTIVE_SUFFIX}",
            lambda: core.read_namespaced_secret(f"{name}{ACTIVE_SUFFIX}", namespace),
        )
        user = fetch(
            f"secret:{namespace}/{name}{USER_SUFFIX}",
            lambda: core.read_namespaced_secret(f"{name}{USER_SUFFIX}", namespace),
        )
        cr = fetch(
            f"cr:{namespace}/{name}",
            lambda: objects.get_namespaced_custom_object(group, version, namespace, plural, name),
        )
    return instance_from_objects(
        namespace,
        name,
        (active.data or {}) if active is not None else None,
        (user.data or {}) if user is not None else None,
        cr,
    )
