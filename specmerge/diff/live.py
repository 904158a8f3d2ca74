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

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import Layer, layer_from_values
from .sides import StoredSpec

GROUP, VERSION, PLURAL = "apps.wandb.com", "v1", "weightsandbiases"
ACTIVE_SUFFIX, USER_SUFFIX = "-spec-active", "-spec-user"


class LiveError(Exception):
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
    plural, _, rest = text.partition(".")
    version, _, group = rest.partition(".")
    if not (plural and version and group) or not version.startswith("v"):
        raise LiveError(f"--cr-resource: expected PLURAL.VERSION.GROUP such as {PLURAL}.{VERSION}.{GROUP}, got {text!r}")
    return group, version, plural


def parse_live_ref(ref: str) -> tuple[str, str]:
    """``NS/NAME`` as ``(namespace, name)``; :class:`LiveError` for anything else."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(parts):
        raise LiveError(f"--live: expected NS/NAME, got {ref!r}")
    return parts[0], parts[1]


def _decode_json(data: Mapping[str, str] | None, key: str, where: str) -> Any:
    """The JSON under ``key`` of a Secret's base64 ``data``; ``None`` when the key is absent."""
    if not data or key not in data:
        return None
    try:
        return json.loads(base64.b64decode(data[key], validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise LiveError(f"{where}#{key}: not base64 UTF-8 text ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise LiveError(f"{where}#{key}: invalid JSON at line {exc.lineno} column {exc.colno}") from None


def _map(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise LiveError(f"{where}: must be a JSON object")
    return dict(value)


def instance_from_objects(
    namespace: str,
    name: str,
    active_data: Mapping[str, str] | None,
    user_data: Mapping[str, str] | None,
    cr: Mapping[str, Any] | None,
) -> LiveInstance:
    """Shape the objects read from the cluster (Secrets' ``data``, the CR as a dict)."""
    active_where = f"secret:{namespace}/{name}{ACTIVE_SUFFIX}"
    if active_data is None:
        raise LiveError(f"{active_where} not found: nothing has been applied for {namespace}/{name} yet")
    values = _map(_decode_json(active_data, "values", active_where), f"{active_where}#values")
    if values is None:
        raise LiveError(f"{active_where} has no 'values' key")
    active = StoredSpec(
        values,
        _map(_decode_json(active_data, "chart", active_where), f"{active_where}#chart") or None,
        _map(_decode_json(active_data, "metadata", active_where), f"{active_where}#metadata") or {},
        f"{active_where}#values",
    )
    notes: list[str] = []
    user_where = f"secret:{namespace}/{name}{USER_SUFFIX}"
    user_values = _map(_decode_json(user_data, "values", user_where), f"{user_where}#values")
    user = layer_from_values("user", f"{user_where}#values", user_values) if user_values is not None else None
    if user is None:
        notes.append(f"{user_where} has no values: no user layer")
    cr_layer = cr_chart = None
    if cr is None:
        notes.append(f"cr:{namespace}/{name} not found: no cr layer, chart from the channel")
    else:
        spec = cr.get("spec") if isinstance(cr.get("spec"), Mapping) else {}
        cr_values = _map(spec.get("values") or {}, f"cr:{namespace}/{name} spec.values")
        cr_layer = layer_from_values("cr", f"cr:{namespace}/{name}", cr_values)
        cr_chart = _map(spec.get("chart"), f"cr:{namespace}/{name} spec.chart") or None
    return LiveInstance(namespace, name, active, user, cr_layer, cr_chart, tuple(notes))


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
