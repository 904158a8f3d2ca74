"""``--strict``: rendered objects checked against Kubernetes' OpenAPI schemas.

Uses the ``kubernetes-validate`` package (JSON Schemas generated from each Kubernetes
release's OpenAPI, strict variant: unknown fields are errors). It stops at the first error
of each object, so this reports at most one finding per document.

``--strict`` fails only on what Helm or the API server would refuse: an object that breaks
its kind's schema. What stock charts do and both tolerate is a warning: a duplicate key
(the last one wins), a document that is not an object (a comment-only document is no
document at all, as for Helm). Kinds with no bundled schema (custom resources such as a
ServiceMonitor) are reported once per kind as "not checked", never passed silently.

Messages are masked: a finding inside a Secret names the path only, and all text is
scrubbed of the spec's secrets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..core import Redactor
from .manifests import Document


def _path(err: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in getattr(err, "absolute_path", ())]
    return "".join(parts).lstrip(".") or "(object)"


def _load_lenient(text: str) -> Any:
    """As Helm's and the API server's YAML readers take it: a duplicate key keeps the last."""
    y = YAML(typ="safe")
    y.allow_duplicate_keys = True
    return y.load(text)


@dataclass
class Findings:
    """``errors`` fail ``--strict``; ``warnings`` are printed; ``unchecked`` once per kind."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unchecked: dict[str, list[str]] = field(default_factory=dict)

    def not_checked(self) -> list[str]:
        return [f"{what} ({len(docs)} object{'s' if len(docs) != 1 else ''}: {', '.join(docs)})"
                for what, docs in self.unchecked.items()]


def check_documents(docs: Iterable[Document], kube_version: str, redactor: Redactor) -> Findings:
    """Every rendered document against its kind's schema; see the module docstring."""
    import kubernetes_validate as kv
    from kubernetes_validate.utils import VersionNotSupportedError

    found = Findings()
    for doc in docs:
        try:
            obj = YAML(typ="safe").load(doc.text)
        except YAMLError as exc:
            try:
                obj = _load_lenient(doc.text)
            except YAMLError:
                found.errors.append(f"{doc.template}: not valid YAML: {str(exc).splitlines()[0]}")
                continue
            problem = str(getattr(exc, "problem", None) or exc).split(" with value")[0]
            mark = getattr(exc, "problem_mark", None)
            line = f" (line {mark.line + 1} of the document)" if mark is not None else ""
            found.warnings.append(redactor.scrub(f"{doc.template}: {problem}{line}; Helm and the API server use the last"))
        if obj is None:
            continue  # a comment-only document: Helm drops it
        if not isinstance(obj, dict):
            found.warnings.append(f"{doc.template}: a document that is not an object is skipped")
            continue
        kind = obj.get("kind", "?")
        name = (obj.get("metadata") or {}).get("name", "?") if isinstance(obj.get("metadata"), dict) else "?"
        where = f"{doc.template} {kind}/{name}"
        if not isinstance(obj.get("apiVersion"), str) or not isinstance(kind, str):
            found.errors.append(f"{where}: apiVersion and kind must be strings")
            continue
        try:
            kv.validate(obj, kube_version, strict=True)
        except kv.ValidationError as err:
            message = str(getattr(err, "message", err)).splitlines()[0]
            if kind == "Secret":
                message = f"invalid value ({getattr(err, 'validator', 'schema')})"
            found.errors.append(redactor.scrub(f"{where}: {_path(err)}: {message}"))
        except kv.SchemaNotFoundError:
            what = f"no Kubernetes {kube_version} schema for {obj['apiVersion']} {kind}"
            found.unchecked.setdefault(what, []).append(f"{kind}/{name}")
        except VersionNotSupportedError:
            found.unchecked.setdefault(f"kubernetes-validate has no schemas for Kubernetes {kube_version}", []).append(
                f"{kind}/{name}"
            )
    return found
