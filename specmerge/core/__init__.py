"""specmerge's pure core: layers, merge with provenance, validation, secret masking.

Nothing here does I/O beyond reading the files a loader is asked to read.
"""

from .layer import LAYER_ORDER, Layer, Positions, layer_from_values, strip_controls
from .loaders import MAX_DEPTH, LayerInputError, TooDeep, file_layer, json_problem, parse_json, parse_yaml, yaml_layer
from .merge import ControlKeyIgnored, Effective, MergeWarning, TypeClash, merge
from .provenance import Chain, Entry
from .paths import Path, from_dotted, from_pointer, to_dotted, to_pointer
from .secrets import Redactor, is_sensitive_key, keyed_hexdigest, redact, use_key_source
from .validate import CompiledSchema, SchemaError, Violation, compile_schema, validate, validate_values

__all__ = [
    "LAYER_ORDER",
    "Chain",
    "CompiledSchema",
    "ControlKeyIgnored",
    "Effective",
    "Entry",
    "Layer",
    "LayerInputError",
    "MAX_DEPTH",
    "TooDeep",
    "MergeWarning",
    "Path",
    "Positions",
    "Redactor",
    "SchemaError",
    "TypeClash",
    "Violation",
    "compile_schema",
    "file_layer",
    "from_dotted",
    "from_pointer",
    "is_sensitive_key",
    "keyed_hexdigest",
    "layer_from_values",
    "merge",
    "json_problem",
    "parse_json",
    "parse_yaml",
    "redact",
    "strip_controls",
    "to_dotted",
    "to_pointer",
    "use_key_source",
    "validate",
    "validate_values",
    "yaml_layer",
]
