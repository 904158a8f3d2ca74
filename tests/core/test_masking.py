"""No sensitive value reaches any output of ``specmerge merge`` unless asked for."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from trees import trees

from specmerge.cli import app
from specmerge.core import Redactor, is_sensitive_key, redact
from specmerge.core.dump import to_yaml

SECRETS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=10, max_size=16).map(lambda s: "S3C-" + s)
SENSITIVE_NAMES = st.sampled_from(
    ["password", "mysqlPassword", "secret", "SecretKey", "accessKey", "token", "apiKey",
     "license", "privateKey", "credentials", "AWS_SECRET_ACCESS_KEY", "db-password"]
)
# a schema that marks /vault/* writeOnly and /app/replicas an integer
SCHEMA = {
    "type": "object",
    "properties": {
        "vault": {"type": "object", "additionalProperties": {"type": "integer", "writeOnly": True}},
        "app": {"type": "object", "properties": {"replicas": {"type": "integer"}}},
    },
}
runner = CliRunner()


def _plant(tree: dict[str, Any], name: str, secret: str, by_schema: bool) -> tuple[dict, str]:
    tree = dict(tree)
    if by_schema:
        tree["vault"] = {"pin": secret}  # a string where the schema wants an integer: a violation
        return tree, "vault.pin"
    tree["db"] = {name: secret, "host": "db"}
    return tree, f'db["{name}"]' if "-" in name else f"db.{name}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    low=trees(),
    high=trees(),
    name=SENSITIVE_NAMES,
    secret=SECRETS,
    other=SECRETS,
    by_schema=st.booleans(),
)
def test_no_secret_in_any_output(
    tmp_path_factory: pytest.TempPathFactory, low: dict, high: dict, name: str, secret: str,
    other: str, by_schema: bool,
) -> None:
    d = tmp_path_factory.mktemp("mask")
    low, path = _plant(low, name, other, by_schema)
    high, _ = _plant(high, name, secret, by_schema)
    high["app"] = {"replicas": "many"}  # an ordinary violation next to the secret ones
    (d / "low.yaml").write_text(to_yaml(low))
    (d / "high.yaml").write_text(to_yaml(high))
    (d / "schema.json").write_text(json.dumps(SCHEMA))
    base = ["merge", "-f", str(d / "low.yaml"), "-f", str(d / "high.yaml"), "--schema", str(d / "schema.json")]
    runs = [
        base,
        base + ["-o", "json"],
        base + ["--explain", path],
        base + ["--explain", path.rsplit(".", 1)[0] if "." in path else "db", "-o", "json"],
        base + ["--set", f"extra.token={secret}"],
        ["merge", "--set", f"x=1,x.y={secret}"],  # a parse error must not echo the value
    ]
    for args in runs:
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1, 2), result.output
        for text in (result.stdout, result.stderr, str(result.exception or "")):
            assert secret not in text and other not in text, (args, text)
    shown = runner.invoke(app, [*base, "--show-secrets"])
    assert secret in shown.stdout  # the explicit flag reveals


def test_redaction_is_stable_and_reveals_changes() -> None:
    assert redact("hunter22") == redact("hunter22") != redact("hunter23")
    assert redact("hunter22").startswith("<redacted hmac:") and len(redact("x")) == len("<redacted hmac:>") + 8


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [("password", True), ("mysqlPassword", True), ("MYSQL_PASSWORD", True), ("apiToken", True),
     ("license", True), ("bucketSecretKey", True), ("credentials", True), ("existingSecret", False),
     ("secretName", False), ("tokenTTL", False), ("host", False), ("passwordPolicy", False)],
)
def test_key_name_rule(key: str, sensitive: bool) -> None:
    assert is_sensitive_key(key) is sensitive


def test_schema_annotations_mark_values_sensitive_through_refs() -> None:
    schema = {
        "$defs": {"cred": {"type": "string", "x-sensitive": True}},
        "properties": {"bucket": {"properties": {"key": {"$ref": "#/$defs/cred"}, "name": {"type": "string"}}}},
    }
    r = Redactor(schema)
    masked = r.mask({"bucket": {"key": "AKIA-REAL-KEY", "name": "artifacts"}})
    assert masked == {"bucket": {"key": redact("AKIA-REAL-KEY"), "name": "artifacts"}}
    assert r.scrub("failed with AKIA-REAL-KEY in it") == f"failed with {redact('AKIA-REAL-KEY')} in it"
    assert Redactor(schema, reveal=True).mask({"bucket": {"key": "k"}}) == {"bucket": {"key": "k"}}


def test_everything_under_a_sensitive_key_is_masked() -> None:
    masked = Redactor().mask({"credentials": {"user": "admin", "pass": ["p1-long", "p2-long"]}})
    assert masked == {"credentials": {"user": redact("admin"), "pass": redact(["p1-long", "p2-long"])}}


# Sensitive by key name, by writeOnly through $ref, patternProperties, items and
# additionalProperties; ``plain`` and ``notes`` are never sensitive.
MEMO_SCHEMA: dict[str, Any] = {
    "$defs": {"cred": {"type": "string", "writeOnly": True}},
    "properties": {
        "a": {"properties": {"key": {"$ref": "#/$defs/cred"}, "plain": {"type": "string"}}},
        "b": {"type": "array", "items": {"properties": {"pin": {"x-sensitive": True}}}},
        "c": {"patternProperties": {"^k": {"writeOnly": True}}, "additionalProperties": {"type": "object"}},
    },
}
MEMO_KEYS = st.sampled_from(["a", "b", "c", "key", "pin", "kx", "plain", "notes", "token"])
MEMO_TREES = st.dictionaries(
    MEMO_KEYS,
    st.recursive(st.one_of(st.text(max_size=6), st.integers(), st.none()),
                 lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(MEMO_KEYS, kids, max_size=3)),
                 max_leaves=10),
    max_size=4,
)


def _masked_where_sensitive(tree: Any, masked: Any, path: tuple, reference: Redactor) -> None:
    if reference._walk(path):  # the uncached schema walk from the root
        assert masked == Redactor().mask_value(tree) if tree is not None else masked is None
        return
    if isinstance(tree, dict):
        assert list(masked) == list(tree)
        for k, v in tree.items():
            _masked_where_sensitive(v, masked[k], path + (k,), reference)
    elif isinstance(tree, list):
        assert len(masked) == len(tree)
        for i, v in enumerate(tree):
            _masked_where_sensitive(v, masked[i], path + (i,), reference)
    else:
        assert masked == tree


@settings(max_examples=150, deadline=None)
@given(tree=MEMO_TREES)
def test_memoised_masking_hides_exactly_what_the_schema_walk_finds(tree: dict[str, Any]) -> None:
    """Redactors share remembered answers per schema; a warm answer must equal the cold walk."""
    schema = copy.deepcopy(MEMO_SCHEMA)  # a schema object no redactor has seen: its memo is cold
    cold = Redactor(schema).mask(tree)
    warm = Redactor(schema).mask(tree)
    assert warm == cold
    _masked_where_sensitive(tree, warm, (), Redactor(copy.deepcopy(MEMO_SCHEMA)))


def test_memoised_answers_are_per_schema() -> None:
    """Two schemas that disagree about a path each keep their own answer."""
    marks = {"properties": {"pin": {"writeOnly": True}}}
    plain = {"properties": {"pin": {"type": "string"}}}
    for _ in range(2):
        assert Redactor(marks).mask({"pin": "1234"}) == {"pin": redact("1234")}
        assert Redactor(plain).mask({"pin": "1234"}) == {"pin": "1234"}


def test_long_keys_sent_by_clients_are_not_kept_in_any_cache() -> None:
    """The redactor's memo and the path spellings are cached per process; 100 distinct 100 KB
    keys (10 MB) must not stay behind once the requests that sent them are done."""
    import gc
    import tracemalloc

    from specmerge.core import to_dotted, to_pointer

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(100):
            key = f"{i}-" + "k" * 100_000
            Redactor(MEMO_SCHEMA).mask({key: {"token": "s3cr3t-value", "plain": 1}})
            to_pointer((key, "plain"))
            to_dotted((key, "plain"))
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert retained < 1_000_000, f"{retained} bytes retained"


def test_scrub_finds_a_secret_however_text_spells_it() -> None:
    """Rendered manifests and schema messages write values base64-encoded, escaped, folded
    or line by line; none of those spellings survives a scrub."""
    import base64 as b64

    secret = "S3CRET-line1-123456\nS3CRET 'quoted\" part-abcdef"
    r = Redactor()
    r.learn({"password": secret})
    spelled = [
        secret,
        b64.b64encode(secret.encode()).decode(),  # {{ .Values.x | b64enc }}
        json.dumps(secret),  # a schema message's JSON
        "key: |-\n  S3CRET-line1-123456\n  S3CRET 'quoted\" part-abcdef",  # a block scalar
        "key: 'S3CRET ''quoted\" part-abcdef'",  # YAML single quotes
        "key: S3CRET-line1-123456\n  S3CRET 'quoted\" part-abcdef",  # folded at the newline
    ]
    for text in spelled:
        scrubbed = r.scrub(text)
        assert "S3CRET-line1" not in scrubbed and "part-abcdef" not in scrubbed, scrubbed
        assert b64.b64encode(secret.encode()).decode() not in scrubbed
