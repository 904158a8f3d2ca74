"""Serialising values for people and machines (YAML block style, stable JSON)."""

from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML


_DIRECTIVE = "%YAML 1.1\n"


def to_yaml(data: Any) -> str:
    """Block-style YAML that reads back the same under YAML 1.1 (Helm) and 1.2.

    Dumping with 1.1 rules quotes ``'yes'``, ``'on'``, ``'n'`` and ``'0123'``, which a 1.2
    dumper leaves bare and Helm would then read as booleans and octals. The ``%YAML``
    directive that comes with it is dropped.
    """
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.version = (1, 1)
    y.sort_base_mapping_type_on_output = False  # keep document order
    buf = io.StringIO()
    y.dump(data, buf)
    text = buf.getvalue()
    text = text[len(_DIRECTIVE):] if text.startswith(_DIRECTIVE) else text
    for start in ("---\n", "--- "):
        if text.startswith(start):
            return text[len(start):]
    return text


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str) + "\n"
