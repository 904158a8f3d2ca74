"""specmerge's pure core: layers, merge with provenance, validation, secret masking.

Nothing here does I/O beyond reading the files a loader is asked to read.
"""

from .dump import to_json, to_yaml
from .layer import CONTROL_PREFIX, LAYER_ORDER, Layer, Positions, layer_from_values, strip_controls
from .loaders import (
    MAX_DEPTH,
    LayerInputError,
    TooDeep,
    file_layer,
    json_problem,
    load_yaml_1_1,
    parse_json,
    parse_yaml,
    read_text,
    too_deep,
    yaml_layer,
)
from .memo import Memo
from .merge import ControlKeyIgnored, Effective, MergeWarning, TypeClash, merge, type_name
from .provenance import Chain, Entry
from .paths import Path, from_dotted, from_pointer, get_at, to_dotted, to_pointer
from .report import chain_dict, effective_dict, explain_text, violations_list, warning_dict
from .secrets import MIN_SCRUB_LEN, Redactor, is_sensitive_key, keyed_hexdigest, mask_url, redact, redaction_key, use_key_source
from .semver import SortKey, is_semver, semver_key
from .setflags import compose, helm_order, values_file_layer
from .text import SHORT_LIMIT, canonical_json, shorten
from .validate import CompiledSchema, SchemaError, Violation, compile_schema, validate, validate_values

__all__ = [
    "CONTROL_PREFIX",
    "SortKey",
    "is_semver",
    "semver_key",
    "SHORT_LIMIT",
    "canonical_json",
    "shorten",
    "Chain",
    "CompiledSchema",
    "ControlKeyIgnored",
    "Effective",
    "Entry",
    "LAYER_ORDER",
    "Layer",
    "LayerInputError",
    "MAX_DEPTH",
    "MIN_SCRUB_LEN",
    "Memo",
    "MergeWarning",
    "Path",
    "Positions",
    "Redactor",
    "SchemaError",
    "TooDeep",
    "TypeClash",
    "Violation",
    "chain_dict",
    "compile_schema",
    "compose",
    "effective_dict",
    "explain_text",
    "file_layer",
    "from_dotted",
    "from_pointer",
    "get_at",
    "helm_order",
    "is_sensitive_key",
    "json_problem",
    "keyed_hexdigest",
    "layer_from_values",
    "load_yaml_1_1",
    "mask_url",
    "merge",
    "parse_json",
    "parse_yaml",
    "read_text",
    "redact",
    "redaction_key",
    "strip_controls",
    "to_dotted",
    "to_json",
    "to_pointer",
    "to_yaml",
    "too_deep",
    "type_name",
    "use_key_source",
    "validate",
    "validate_values",
    "values_file_layer",
    "violations_list",
    "warning_dict",
    "yaml_layer",
]
