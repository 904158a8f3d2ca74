"""Serialising values for people and machines (YAML block style, stable JSON)."""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import SafeRepresenter

_DIRECTIVE = "%YAML 1.1\n"

# What go-yaml v2 (Helm's reader, through sigs.k8s.io/yaml) takes for a number in a plain
# scalar that starts with a sign, a dot or a digit, after dropping every "_": Go's
# ParseInt/ParseUint with base 0 (0x.., 0o.., 0b.., a leading 0 for octal) and its float
# style. YAML 1.1 rules alone leave "08", "0o17" and "+.5" bare, and Helm reads 8, 15, 0.5.
# go-yaml parses what follows "0b" with ParseInt(.., 2), which takes a sign: "0b-1" is -1.
_GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][-+]?[01]+|[0-9]+)$")
_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def helm_reads_as_number(text: str) -> bool:
    """Whether Helm would read ``text``, written as a plain YAML scalar, as a number."""
    if not text or text[0] not in "+-.0123456789":
        return False
    plain = text.replace("_", "")
    return bool(_GO_INT.match(plain) or _GO_FLOAT.match(plain))


class _HelmSafeRepresenter(SafeRepresenter):
    """ruamel's safe representer, quoting what :func:`helm_reads_as_number` (a subclass, so no
    other dumper in the process changes)."""

    def represent_str(self, data: str) -> Any:
        if helm_reads_as_number(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return super().represent_str(data)


_HelmSafeRepresenter.add_representer(str, _HelmSafeRepresenter.represent_str)


def to_yaml(data: Any) -> str:
    """Block-style YAML that reads back the same under YAML 1.1 (Helm) and 1.2.

    Dumping with 1.1 rules quotes ``'yes'``, ``'on'``, ``'n'`` and ``'0123'``, which a 1.2
    dumper leaves bare and Helm would then read as booleans and octals; strings Helm's
    go-yaml would read as numbers although YAML 1.1 does not (``'08'``, ``'0o17'``,
    ``'+.5'``: :func:`helm_reads_as_number`) are quoted too. The ``%YAML`` directive that
    comes with 1.1 is dropped.
    """
    y = YAML(typ="safe", pure=True)
    y.Representer = _HelmSafeRepresenter
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


#: JSON has no NaN or infinities: they are written as YAML spells them (what Helm reads).
_NON_FINITE = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return _NON_FINITE[str(data)]
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def to_json(data: Any) -> str:
    """Indented JSON that any JSON parser reads: a NaN or infinity (a YAML ``.nan`` value)
    is written as the string YAML spells it, never as the invalid token ``NaN``."""
    return json.dumps(_finite(data), indent=2, default=str, allow_nan=False) + "\n"
