"""Charts and rendering: chart references, sources and cache, Helm's engine in-process,
and the ``helm template`` view of rendered manifests.

Pure parts: :mod:`.ref` (chart references), :mod:`.versions` (SemVer constraints),
:mod:`.manifests` (splitting, ordering, masking). I/O: :mod:`.sources` (files, HTTP chart
repositories, OCI registries), :mod:`.cache` (the on-disk cache), :mod:`.engine` (Helm),
:mod:`.kube` (Kubernetes OpenAPI checks for ``--strict``).
"""

from .cache import ChartCache, cache_root
from .engine import DEFAULT_KUBE_VERSION, RenderOptions, check_kube_version, for_engine, helm_values, render
from .errors import ChartRefError, ChartSourceError, KubeVersionError, RenderError, TemplateError
from .manifests import Document, documents, mask_secrets, to_stream, write_tree
from .ref import ChartRef, OciRef, PathRef, RepoRef, parse_chart_ref
from .sources import LoadedChart, load_chart
from .versions import ConstraintError, parse_constraint, version_key

__all__ = [
    "ChartCache",
    "ChartRef",
    "ChartRefError",
    "ChartSourceError",
    "ConstraintError",
    "DEFAULT_KUBE_VERSION",
    "Document",
    "KubeVersionError",
    "LoadedChart",
    "OciRef",
    "PathRef",
    "RenderError",
    "RenderOptions",
    "RepoRef",
    "TemplateError",
    "cache_root",
    "check_kube_version",
    "documents",
    "for_engine",
    "helm_values",
    "load_chart",
    "mask_secrets",
    "parse_chart_ref",
    "parse_constraint",
    "render",
    "to_stream",
    "version_key",
    "write_tree",
]
