"""``--strict``: rendered objects checked against Kubernetes' OpenAPI schemas.

Uses the ``kubernetes-validate`` package (JSON Schemas generated from each Kubernetes
release's OpenAPI, strict variant: unknown fields are errors). It stops at the first error
of each object, so this reports at most one finding per document. Kinds it has no schema
for (custom resources) are reported as not checked rather than passed silently.

Messages are masked: a finding inside a Secret names the path only, and all text is
scrubbed of the spec's secrets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..core import Redactor
from .manifests import Document


def _path(err: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in getattr(err, "absolute_path", ())]
    return "".join(parts).lstrip(".") or "(object)"


def check_documents(docs: Iterable[Document], kube_version: str, redactor: Redactor) -> list[str]:
    """One line per problem: ``<template> <Kind>/<name>: <path>: <message>``."""
    import kubernetes_validate as kv
    from kubernetes_validate.utils import VersionNotSupportedError

    out: list[str] = []
    for doc in docs:
        try:
            obj = YAML(typ="safe").load(doc.text)
        except YAMLError as exc:
            out.append(f"{doc.template}: not valid YAML: {str(exc).splitlines()[0]}")
            continue
        if not isinstance(obj, dict):
            out.append(f"{doc.template}: document is not an object")
            continue
        kind = obj.get("kind", "?")
        name = (obj.get("metadata") or {}).get("name", "?") if isinstance(obj.get("metadata"), dict) else "?"
        where = f"{doc.template} {kind}/{name}"
        if not isinstance(obj.get("apiVersion"), str) or not isinstance(kind, str):
            out.append(f"{where}: apiVersion and kind must be strings")
            continue
        try:
            kv.validate(obj, kube_version, strict=True)
        except kv.ValidationError as err:
            message = str(getattr(err, "message", err)).splitlines()[0]
            if kind == "Secret":
                message = f"invalid value ({getattr(err, 'validator', 'schema')})"
            out.append(redactor.scrub(f"{where}: {_path(err)}: {message}"))
        except kv.SchemaNotFoundError:
            out.append(f"{where}: not checked: no Kubernetes {kube_version} schema for {obj['apiVersion']} {kind}")
        except VersionNotSupportedError:
            out.append(f"{where}: not checked: kubernetes-validate has no schemas for Kubernetes {kube_version}")
    return out
