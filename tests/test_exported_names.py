"""The public surface of each package is pinned (httpx's ``tests/test_exported_members.py``).

A package's ``__all__`` is what other packages may import from it; changing it is a decision,
so it changes here too. Every exported name must exist, every public name a package defines
must be exported, and no module reaches past another package's ``__all__`` into its modules
(except the few listed in :data:`DEEP_OK`, each with its reason).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

EXPORTED: dict[str, list[str]] = {
    "specmerge.core": [
        "CONTROL_PREFIX", "Chain", "CompiledSchema", "ControlKeyIgnored", "Effective", "Entry", "LAYER_ORDER",
        "Layer", "LayerInputError", "MAX_DEPTH", "MIN_SCRUB_LEN", "Memo", "MergeWarning", "Path", "Positions",
        "Redactor", "SHORT_LIMIT", "SchemaError", "SortKey", "TooDeep", "TypeClash", "Violation",
        "canonical_json", "chain_dict", "compile_schema", "compose", "effective_dict", "explain_text",
        "file_layer", "from_dotted", "from_pointer", "get_at", "helm_order", "is_semver", "is_sensitive_key",
        "json_problem", "keyed_hexdigest", "layer_from_values", "load_yaml_1_1", "mask_url", "merge",
        "parse_json", "parse_yaml", "read_text", "redact", "redaction_key", "semver_key", "shorten",
        "strip_controls", "to_dotted", "to_json", "to_pointer", "to_yaml", "too_deep", "type_name",
        "use_key_source", "validate", "validate_values", "values_file_layer", "violations_list", "warning_dict",
        "yaml_layer",
    ],
    "specmerge.channels": [
        "CacheEntry", "CacheError", "ChannelClient", "ChannelFetchError", "ChannelRequest",
        "ChannelRequestError", "ChannelResult", "ChannelSpec", "ChannelSpecError", "ChannelUnavailable",
        "DirectoryCache", "LastGoodCache", "License", "LicenseError", "MemoryCache", "ReleaseNotFound",
        "Resolver", "RetryPolicy", "channel_schema", "default_cache_dir", "embedded_dir", "incumbent_problems",
        "latest", "list_embedded", "load_dir", "load_embedded", "parse_channel_spec", "read_license_file",
        "release_pin", "repo_root",
    ],
    "specmerge.render": [
        "ChartCache", "ChartRef", "ChartRefError", "ChartSourceError", "ConstraintError",
        "DEFAULT_KUBE_VERSION", "Document", "KubeVersionError", "LoadedChart", "OciRef", "PathRef",
        "RenderError", "RenderOptions", "RepoRef", "TemplateError", "cache_root", "check_kube_version",
        "documents", "for_engine", "helm_values", "load_chart", "mask_secrets", "parse_chart_ref",
        "parse_constraint", "render", "to_stream", "version_key", "write_tree",
    ],
    "specmerge.diff": [
        "ChangeType", "DiffResult", "GROUP", "Line", "LiveError", "ManifestChange", "Origin", "PLURAL", "Side",
        "Sides", "StoredSpec", "VERSION", "ValueChange", "WarningChange", "compare", "diff_document",
        "diff_lines", "diff_manifests", "diff_values", "diff_warnings", "file_sides", "layer_sides",
        "live_sides", "parse_cr_resource", "parse_live_ref", "plan_side", "read_live", "read_stored_spec",
        "redactor_for", "release_sides", "stored_side", "value_change_dict",
    ],
    "specmerge.instances": [
        "ACTIVE_SUFFIX", "ActiveSpec", "CACHE_SUFFIX", "CrKind", "DIGEST_KEY", "FINALIZER", "HELM_SELECTOR",
        "InstanceError", "InstanceSpec", "KEYS", "MANAGED_BY", "MANAGED_SELECTOR", "PermanentError",
        "TemporaryError", "USER_SUFFIX", "active_secret", "cache_secret", "cached_release", "channel_request",
        "decode_any", "decode_object", "encode", "encode_parts", "instance_from_objects", "instance_of_secret",
        "plan_inputs", "read_active", "user_secret",
    ],
    "specmerge.drift": [
        "Correction", "DEFAULT_MANAGER", "DriftError", "DriftMemo", "DriftReport", "ObjectDrift", "ObjectRef",
        "changed_paths", "check", "comparable", "correct", "desired_objects", "helm_manager", "live_drift",
        "release_objects",
    ],
    "specmerge.preflight": [
        "CheckResult", "ClassFacts", "ClusterFacts", "NodeFacts", "PreflightError", "PreflightReport",
        "RequirementSet", "Requirements", "RequirementsError", "choose_profile", "evaluate", "format_cpu",
        "format_memory", "gather_facts", "preflight", "requirements_of",
    ],
    "specmerge.service": [
        "Service", "ServiceSettings", "create_app", "load_settings",
    ],
    "specmerge.operator": [
        "Controller", "OperatorConfig", "Reconciler", "Scope", "Settings", "run", "spec_digest",
    ],
    "specmerge.errors": [
        "InputError", "SpecmergeError", "UnavailableError",
    ],
    "specmerge.atomic": [
        "fsync_directory", "write_atomic",
    ],
}


@pytest.mark.parametrize("package", sorted(EXPORTED))
def test_the_exported_names_are_pinned(package):
    module = importlib.import_module(package)
    assert sorted(module.__all__) == EXPORTED[package]
    assert len(set(module.__all__)) == len(module.__all__), "a name is exported twice"


@pytest.mark.parametrize("package", sorted(EXPORTED))
def test_every_exported_name_exists(package):
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("package", sorted(EXPORTED))
def test_every_public_name_a_package_defines_is_exported(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        getattr(module, name)  # load lazily exported names (specmerge.channels)
    defined = [name for name, value in vars(module).items()
               if not name.startswith("_") and getattr(value, "__module__", "").startswith(package)]
    assert sorted(set(defined) - set(module.__all__)) == []


#: Modules another package may import from directly, past its package's ``__all__``, and why.
DEEP_OK: dict[str, str] = {
    "specmerge.channels.server": "the channel server is a front door of its own (.importlinter)",
    "specmerge.channels.semver": "moving to specmerge.core (#17)",
    "specmerge.instances.channel_cache": "imports the kubernetes client: only the operator loads it",
    "specmerge.render.kube": "loads kubernetes-validate: imported on demand by `render --validate`",
    "specmerge.render.select": "imported on demand by `render --show-only`",
    "specmerge.render.guard": "the pipeline's render guard, internal to rendering",
    "specmerge.render.subcharts": "the pipeline's subchart validation, internal to rendering",
    "specmerge.render.sources": "the service's directory-recheck knob",
    "specmerge.service": "`specmerge serve` launches the service (.importlinter front-doors)",
    "specmerge.operator": "`specmerge operator` launches the operator (.importlinter front-doors)",
}


def _cross_package_imports():
    """``(file, line, target module, names)`` of each relative import of a module of another package."""
    for path in sorted((ROOT / "specmerge").rglob("*.py")):
        if "_bundled" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        package = parts[:-1]  # a module's package; an __init__'s own package
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.level or not node.module:
                continue
            base = package[: len(package) - node.level + 1]
            target = (*base, *node.module.split("."))
            if len(target) >= 3 and target[:2] != parts[:2]:
                yield path.relative_to(ROOT), node.lineno, ".".join(target), [a.name for a in node.names]


def test_no_module_reaches_past_another_packages_exports():
    deep = [f"{path}:{line}: {target} {names}" for path, line, target, names in _cross_package_imports()
            if not any(target == ok or target.startswith(ok + ".") for ok in DEEP_OK)]
    assert deep == [], "import these from the package (add them to its __all__ if need be)"


def test_the_walk_finds_the_deep_imports_it_allows():
    targets = {target for _, _, target, _ in _cross_package_imports()}
    assert "specmerge.render.kube" in targets
