"""``to_yaml`` writes strings that every reader takes back as the same strings: Helm's own
go-yaml (through helm-python-sdk), specmerge's YAML 1.1 loader and a YAML 1.2 loader."""

from __future__ import annotations

import helm_python as helm
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from specmerge.core import parse_yaml
from specmerge.core.dump import helm_reads_as_number, to_yaml

# strings made of what numbers, booleans, nulls and dates are made of: the ones a dumper must quote
TRICKY = st.one_of(
    st.text(alphabet="0123456789+-._eExXoObB:~", min_size=1, max_size=8),
    st.sampled_from(["08", "0o17", "+.5", "1_0", "0x_1F", ".inf", "-.NaN", "yes", "Off", "y", "Null", "~",
                     "2001-12-14", "1:20", "0b101", "1e3", "_1", "1.", "-", ".", "0b-0", "0b+1"]),
)


@settings(max_examples=300, deadline=None)
@given(values=st.dictionaries(TRICKY, TRICKY, min_size=1, max_size=6))
def test_strings_stay_strings_for_helm_and_both_yaml_versions(values: dict[str, str]) -> None:
    text = to_yaml({"values": values})
    assert helm.values_from_yaml(text) == {"values": values}, text
    assert parse_yaml(text, "dump") == {"values": values}, text
    assert YAML(typ="safe").load(text) == {"values": values}, text


def test_what_helm_reads_as_a_number() -> None:
    helm_view = helm.values_from_yaml("a: 08\nb: 0o17\nc: +.5\nd: 1_0\ne: _1\nf: 0x1F\ng: 1e\n")
    assert helm_view == {"a": 8, "b": 15, "c": 0.5, "d": 10, "e": "_1", "f": 31, "g": "1e"}
    assert [helm_reads_as_number(s) for s in ["08", "0o17", "+.5", "1_0", "_1", "0x1F", "1e"]] == \
        [True, True, True, True, False, True, False]
