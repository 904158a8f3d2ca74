"""Redactor.learn is a walk that copies nothing; the mask* methods learn on the walk that builds
their copy. Whichever a caller uses, the redactor ends up knowing the same secrets (issue 17)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from specmerge.core import Redactor, redact

KEYS = st.sampled_from(["password", "name", "value", "env", "url", "plain", "pin", "tokens", "x"])
SCALARS = st.one_of(
    st.sampled_from(["DB_PASSWORD", "LOG_LEVEL", "redis://:pw-Long-123@h", "short", "", "a-long-secret-value"]),
    st.integers(), st.booleans(), st.none(),
)
TREES = st.dictionaries(
    KEYS,
    st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(KEYS, kids, max_size=3)),
                 max_leaves=12),
    max_size=4,
)
SCHEMA = {"properties": {"pin": {"writeOnly": True}}}
PROBE = "a-long-secret-value pw-Long-123 DB_PASSWORD"


def _knowledge(r: Redactor) -> tuple[str, list[str]]:
    return r.scrub(PROBE), r.weak()


@settings(max_examples=150, deadline=None)
@given(tree=TREES)
def test_learn_and_every_mask_teach_the_same_secrets_and_change_nothing(tree: dict[str, Any]) -> None:
    before = copy.deepcopy(tree)
    learned, masked, rendered = Redactor(SCHEMA), Redactor(SCHEMA), Redactor(SCHEMA)
    assert learned.learn(tree) is None
    masked.mask(tree)
    rendered.mask_for_render(tree)
    assert _knowledge(learned) == _knowledge(masked) == _knowledge(rendered)
    assert tree == before  # no walk touches its input
    # what a learned redactor masks is what a fresh one masks: learning adds env-list shapes only
    assert learned.mask(tree) == Redactor(SCHEMA).mask(tree)


def test_learn_of_an_env_list_marks_its_value_sensitive_without_masking_anything() -> None:
    r = Redactor()
    env = [{"name": "API_TOKEN", "value": "tok-0123456789"}, {"name": "MODE", "value": "fast"}]
    r.learn({"env": env})
    assert r.is_sensitive(("env", 0, "value")) and not r.is_sensitive(("env", 1, "value"))
    assert r.scrub("token tok-0123456789 used") == f"token {redact('tok-0123456789')} used"
    assert env[0]["value"] == "tok-0123456789"


def test_a_short_secret_in_a_map_is_weak_at_its_own_path() -> None:
    r = Redactor()
    r.learn({"credentials": {"user": "admin", "key": "a-long-secret-value"}})
    assert r.weak() == ["credentials.user"]
