"""What counts as a secret (design.md §5) and how it is spelled: the extended key list, the
env-list and URL rules, the schema walk's gaps, keyed placeholders and ETags, and free-text
scrubbing that leaves chart defaults and short words alone (issue 13, items 3, 4 and 8)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from specmerge.core import Layer, Redactor, is_sensitive_key, merge, redact, use_key_source
from specmerge.core.secrets import MIN_SCRUB_LEN, mask_url, resolve_ref, scrub_tokens, spellings
from specmerge.keys import FileKey, RedactionKeyError

PLACEHOLDER = re.compile(r"^<redacted hmac:[0-9a-f]{8}>$")


@pytest.fixture
def other_key():
    """Placeholders under another installation's key; the suite's key afterwards."""
    use_key_source(lambda: b"another-installation-key-0123456789")
    yield
    use_key_source(None)


@pytest.mark.parametrize(
    "key",
    ["passwd", "pwd", "dbPwd", "passphrase", "secrets", "tokens", "apiTokens", "credential", "credentials",
     "privateKeyPem", "tls.key", "licenseKey", "licence", "mysql_password", "AWS_SECRET_ACCESS_KEY", "apiKeys"],
)
def test_extended_key_list_is_sensitive(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key", ["existingSecret", "imagePullSecrets", "secretName", "tokenTTL", "host", "keyring", "monkey", "passwordPolicy"]
)
def test_references_and_look_alikes_are_not(key: str) -> None:
    assert not is_sensitive_key(key)


def test_env_list_value_is_sensitive_by_its_name() -> None:
    env = [{"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG"}, {"name": "LOG_LEVEL", "value": "debug"}]
    r = Redactor()
    masked = r.mask({"app": {"extraEnv": env}})
    assert masked["app"]["extraEnv"][0] == {"name": "AWS_SECRET_ACCESS_KEY", "value": redact("wJalrXUtnFEMI/K7MDENG")}
    assert masked["app"]["extraEnv"][1] == {"name": "LOG_LEVEL", "value": "debug"}
    assert r.is_sensitive(("app", "extraEnv", 0, "value")) and not r.is_sensitive(("app", "extraEnv", 1, "value"))
    assert "wJalrXUtnFEMI" not in r.scrub("env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG")


def test_url_password_is_masked_and_only_it() -> None:
    r = Redactor()
    masked = r.mask({"cache": {"url": "redis://:pw-Hunter2-long@redis.svc:6379/0", "plain": "https://example.com/a:b@c"}})
    assert masked["cache"]["url"] == f"redis://:{redact('pw-Hunter2-long')}@redis.svc:6379/0"
    assert masked["cache"]["plain"] == "https://example.com/a:b@c"  # '@' after the path: no userinfo
    assert mask_url("postgres://app:s3cr3t@db/x") == f"postgres://app:{redact('s3cr3t')}@db/x"
    assert mask_url(masked["cache"]["url"]) == masked["cache"]["url"]  # a placeholder is not masked again
    assert "pw-Hunter2-long" not in r.scrub("connect redis://:pw-Hunter2-long@redis.svc failed")


SCHEMA_GAPS: dict[str, Any] = {
    "$defs": {
        "sealed": {"$anchor": "sealed", "writeOnly": True},
        "a b": {"x-sensitive": True},
        "legacy": {"$id": "#legacy", "writeOnly": True},
    },
    "properties": {
        "both": {"properties": {"kx": {"type": "string"}}, "patternProperties": {"^k": {"writeOnly": True}}},
        "tuple": {"type": "array", "items": [{"type": "string"}, {"writeOnly": True}], "additionalItems": {"x-sensitive": True}},
        "prefix": {"type": "array", "prefixItems": [{"type": "string"}, {"writeOnly": True}]},
        "anchored": {"$ref": "#sealed"},
        "encoded": {"$ref": "#/$defs/a%20b"},
        "legacy": {"$ref": "#legacy"},
        "deps": {"dependencies": {"on": {"properties": {"pin": {"writeOnly": True}}}}},
        "dependent": {"dependentSchemas": {"on": {"properties": {"pin": {"writeOnly": True}}}}},
        "cond": {"if": {"properties": {"kind": {"const": "db"}}},
                 "then": {"properties": {"pin": {"writeOnly": True}}},
                 "else": {"properties": {"code": {"x-sensitive": True}}}},
        "plain": {"type": "string"},
    },
}


@pytest.mark.parametrize(
    ("path", "sensitive"),
    [(("both", "kx"), True), (("both", "other"), False), (("tuple", 0), False), (("tuple", 1), True),
     (("tuple", 5), True), (("prefix", 0), False), (("prefix", 1), True), (("anchored",), True),
     (("encoded",), True), (("legacy",), True), (("deps", "pin"), True), (("dependent", "pin"), True),
     (("cond", "pin"), True), (("cond", "code"), True), (("cond", "kind"), False), (("plain",), False)],
)
def test_schema_walk_follows_every_applicator(path: tuple, sensitive: bool) -> None:
    assert Redactor(SCHEMA_GAPS)._walk(path) is sensitive


def test_refs_that_point_nowhere_resolve_to_nothing() -> None:
    assert resolve_ref(SCHEMA_GAPS, "#/$defs/missing") is None
    assert resolve_ref(SCHEMA_GAPS, "#nowhere") is None
    assert resolve_ref(SCHEMA_GAPS, "other.json#/x") is None
    assert resolve_ref(SCHEMA_GAPS, "#/$defs/a%20b") == {"x-sensitive": True}
    assert Redactor({"properties": {"x": {"$ref": "#/$defs/missing"}}})._walk(("x",)) is False


def test_placeholders_are_keyed_per_installation(other_key: None) -> None:
    """A reader with GET access cannot confirm a guess offline (issue 13 item 4)."""
    guess = "Summer2024!"
    ours = redact(guess)
    unsalted = hashlib.sha256(json.dumps(guess).encode()).hexdigest()[:8]
    assert PLACEHOLDER.match(ours) and unsalted not in ours
    use_key_source(lambda: b"specmerge-test-suite-redaction-key-32")
    assert redact(guess) != ours and PLACEHOLDER.match(redact(guess))


def test_store_etags_are_keyed(other_key: None) -> None:
    from specmerge.service.store import canonical, content_etag

    doc = {"mysql": {"password": "Summer2024!"}}
    unsalted = hashlib.sha256(canonical(doc)).hexdigest()[:32]
    theirs = content_etag(doc)
    assert unsalted not in theirs and theirs == content_etag(json.loads(json.dumps(doc)))
    use_key_source(None)
    assert content_etag(doc) != theirs


def test_key_file_is_created_once_0600_and_refused_when_readable(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "redaction.key"
    first = FileKey(path)()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 32
    assert FileKey(path)() == first  # generated once, read after
    os.chmod(path, 0o644)
    with pytest.raises(RedactionKeyError, match="may be read by others"):
        FileKey(path)()
    path.write_bytes(b"short")
    os.chmod(path, 0o600)
    with pytest.raises(RedactionKeyError, match="shorter than 16 bytes"):
        FileKey(path)()


def test_chart_defaults_and_short_secrets_are_not_hunted_in_free_text() -> None:
    """A chart whose default password is its own name: the word stays in every text; a
    user's long secret is scrubbed; a short one is masked as a value and reported weak."""
    chart = Layer("chart", "chart:leakyapp", {"auth": {"password": "leakyapp", "user": "admin"}, "image": "x/leakyapp:1"})
    user = Layer("user", "file:u.yaml", {"db": {"password": "Zq8fK2rV9xLm"}, "cache": {"token": "abc12"}})
    r = Redactor()
    r.learn(merge([chart, user]))
    text = "image x/leakyapp:1 failed; user password Zq8fK2rV9xLm; token abc12"
    assert r.scrub(text) == f"image x/leakyapp:1 failed; user password {redact('Zq8fK2rV9xLm')}; token abc12"
    assert r.weak() == ["cache.token"] and "shorter than 8" in r.weak_warnings()[0]
    assert r.mask({"cache": {"token": "abc12"}}) == {"cache": {"token": redact("abc12")}}
    assert MIN_SCRUB_LEN == 8


def test_scrub_tokens_does_not_mangle_words() -> None:
    """``--set`` errors: a one-letter value must not turn ``index`` into ``inde<value>``."""
    assert scrub_tokens("index x out of range", ["x"], "<value>") == "index <value> out of range"
    assert scrub_tokens('key "a.b": "p@ss"', ["p@ss"], "<value>") == 'key "a.b": "<value>"'


def test_set_error_keeps_words_and_never_holds_the_value() -> None:
    # a --set error names keys only: the old scrubbing of values out of Helm's text mangled words
    # around a short value ("inde<value>")
    from specmerge.core import LayerInputError
    from specmerge.core.setflags import SetFlag, apply_flag

    with pytest.raises(LayerInputError) as err:
        apply_flag({}, SetFlag("set", "index[x]=1,a.b=1,a.b.c=x"))
    assert str(err.value).startswith("set:--set index[x],a.b,a.b.c: cannot parse: error parsing index of index")
    with pytest.raises(LayerInputError) as err:
        apply_flag({}, SetFlag("set", "a.b=1,a.b.c=Hunter2Secret"))
    assert "Hunter2Secret" not in str(err.value) and "a.b holds a value of type integer" in str(err.value)


def test_spellings_cover_go_json_and_urlquery() -> None:
    s = "P@ss&w<rd>1"
    assert {"P@ss\\u0026w\\u003crd\\u003e1", "P%40ss%26w%3Crd%3E1"} <= spellings(s)


@pytest.mark.parametrize("text", ["db:\n  password: !Hunter2Secret\n", "db:\n  password: !!python/name:Hunter2Secret\n"])
def test_yaml_tag_names_are_not_echoed(text: str) -> None:
    from specmerge.core import LayerInputError, yaml_layer

    with pytest.raises(LayerInputError) as err:
        yaml_layer("user", "file:v.yaml", text)
    assert "Hunter2Secret" not in str(err.value) and "v.yaml:2" in str(err.value)


def test_pointer_steps_through_lists_and_digit_keys_and_stops_at_non_schemas() -> None:
    schema = {"allOf": [{"writeOnly": True}], "$defs": {"0": {"x-sensitive": True}, "list": [1, 2], "s": "text"}}
    assert resolve_ref(schema, "#/allOf/0") == {"writeOnly": True}
    assert resolve_ref(schema, "#/$defs/0") == {"x-sensitive": True}  # a digit key of a map
    assert resolve_ref(schema, "#/allOf/1") is None  # past the end of a list
    assert resolve_ref(schema, "#/$defs/list") is None and resolve_ref(schema, "#/$defs/s") is None
    assert resolve_ref(schema, "#") is schema and resolve_ref(schema, "#/") is schema
    assert resolve_ref(schema, "#/$defs/a~1b") is None
    assert resolve_ref({"$defs": {"a/b": {"writeOnly": True}, "~": {"x": 1}}}, "#/$defs/a~1b") == {"writeOnly": True}
    assert resolve_ref({"$defs": {"~": {"x": 1}}}, "#/$defs/~0") == {"x": 1}


def test_ids_name_subschemas_for_refs() -> None:
    schema = {"$defs": {"item": {"$id": "https://example.com/item.json", "properties": {"k": {"writeOnly": True}}}},
              "properties": {"a": {"$ref": "https://example.com/item.json"},
                             "b": {"$ref": "https://example.com/item.json#/properties/k"},
                             "c": {"$ref": "https://example.com/other.json"}}}
    r = Redactor(schema)
    assert r._walk(("a", "k")) and r._walk(("b",)) and not r._walk(("c",)) and not r._walk(("a", "j"))


@pytest.mark.parametrize(
    ("schema", "path", "sensitive"),
    [({"items": [{"type": "string"}], "additionalItems": {"writeOnly": True}}, (1,), True),
     ({"items": [{"type": "string"}, {"type": "string"}]}, (2,), False),
     ({"unevaluatedItems": {"writeOnly": True}}, (0,), True),
     ({"unevaluatedProperties": {"writeOnly": True}}, ("k",), True),
     ({"properties": {"k": {}}, "unevaluatedProperties": {"writeOnly": True}}, ("k",), False),
     ({"additionalProperties": {"writeOnly": True}, "patternProperties": {"^x": {}}}, ("xy",), False),
     ({"additionalProperties": {"writeOnly": True}, "patternProperties": {"^x": {}}}, ("y",), True),
     ({"patternProperties": {"(": {"writeOnly": True}}}, ("(",), False),  # a bad pattern matches nothing
     ({"prefixItems": [{}], "items": {"writeOnly": True}}, (1,), True),
     ({"prefixItems": [{}], "items": {"writeOnly": True}}, (0,), False),
     ({"anyOf": [{"properties": {"k": {"x-sensitive": True}}}]}, ("k",), True),
     ({"oneOf": [{"properties": {"k": {"writeOnly": False}}}]}, ("k",), False),
     ({"$defs": {"d": {"$dynamicAnchor": "node", "writeOnly": True}}, "properties": {"k": {"$dynamicRef": "#node"}}},
      ("k",), True)],
)
def test_schema_walk_edges(schema: dict, path: tuple, sensitive: bool) -> None:
    assert Redactor(schema)._walk(path) is sensitive


def test_masked_values_for_a_render_keep_shape_and_branches() -> None:
    """What templates get in the masked render: each secret string or number its placeholder;
    maps and lists keep their shape; empty strings, booleans and nulls stay (same branches)."""
    r = Redactor({"properties": {"pin": {"writeOnly": True}}})
    values = {"db": {"password": "Zq8fK2rV9xLm", "user": "app"}, "pin": 1234,
              "credentials": {"list": ["a-secret", ""], "on": True, "none": None, "map": {"k": "v"}},
              "apiToken": "", "url": "redis://:pw-Long-123@h", "env": [{"name": "DB_PASSWORD", "value": "Zq8-env-value"}]}
    masked = r.mask_for_render(values)
    assert masked == {
        "db": {"password": redact("Zq8fK2rV9xLm"), "user": "app"}, "pin": redact(1234),
        "credentials": {"list": [redact("a-secret"), ""], "on": True, "none": None, "map": {"k": redact("v")}},
        "apiToken": "", "url": f"redis://:{redact('pw-Long-123')}@h",
        "env": [{"name": "DB_PASSWORD", "value": redact("Zq8-env-value")}],
    }
    assert values["db"]["password"] == "Zq8fK2rV9xLm"  # the input is not touched
    assert Redactor(reveal=True).mask_for_render({"password": "x"}) == {"password": redact("x")}  # reveal ignored
    assert r.weak() == ["credentials.map.k", "pin"]  # the short non-empty secret texts
    assert "Zq8fK2rV9xLm" not in r.scrub("pw Zq8fK2rV9xLm")


def test_reveal_shows_values_but_still_learns_them() -> None:
    r = Redactor(reveal=True)
    assert r.mask({"password": "Zq8fK2rV9xLm", "url": "redis://:pw-Long-123@h"}) == \
        {"password": "Zq8fK2rV9xLm", "url": "redis://:pw-Long-123@h"}
    assert r.scrub("Zq8fK2rV9xLm") == "Zq8fK2rV9xLm"  # nothing is scrubbed when revealing
    hidden = Redactor()
    hidden.learn({"password": "Zq8fK2rV9xLm", "url": "redis://:pw-Long-123@h"})
    assert hidden.scrub("a Zq8fK2rV9xLm b pw-Long-123") == f"a {redact('Zq8fK2rV9xLm')} b {redact('pw-Long-123')}"


def test_mask_value_keeps_map_keys_and_nulls() -> None:
    r = Redactor()
    assert r.mask_value({"a": "x", "b": None, "c": [1]}) == {"a": redact("x"), "b": None, "c": redact([1])}
    assert r.mask_value(None) is None and r.mask_value(False) == redact(False)


def test_placeholder_is_the_keyed_hmac_of_canonical_json() -> None:
    import hmac

    from specmerge.core.secrets import redaction_key

    expected = hmac.new(redaction_key(), b'{"a":1,"b":[true,null]}', hashlib.sha256).hexdigest()[:8]
    assert redact({"b": [True, None], "a": 1}) == f"<redacted hmac:{expected}>"


def test_ids_with_a_trailing_hash_and_look_alikes() -> None:
    schema = {"$defs": {"a": {"$id": "urn:item#", "writeOnly": True}, "b": {"$id": "urn:leX", "writeOnly": True}},
              "properties": {"p": {"$ref": "urn:item"}, "q": {"$ref": "urn:le"}, "r": {"$ref": "urn:leX"}}}
    r = Redactor(schema)
    assert r._walk(("p",)) and not r._walk(("q",)) and r._walk(("r",))


def test_schema_memos_and_public_sets_are_shared() -> None:
    from specmerge.core import secrets as s

    schema = {"properties": {"pin": {"writeOnly": True}}}
    first = Redactor(schema)
    assert Redactor(schema)._memo is first._memo
    assert first.is_sensitive(("pin",)) and first._memo.answers[("pin",)] is True
    chart = {"password": "default-pw"}
    first.publish(chart)
    assert s._PUBLIC[(id(chart), id(schema))][2] == frozenset(spellings("default-pw"))


def test_a_short_chart_default_is_not_weak() -> None:
    """A chart's default ``admin`` password is public: no weak-secret warning for it."""
    chart = Layer("chart", "chart:x", {"auth": {"password": "admin"}})
    r = Redactor()
    r.learn(merge([chart]))
    assert r.weak() == []
    r.learn(merge([chart, Layer("user", "u", {"auth": {"password": "short"}})]))
    assert r.weak() == ["auth.password"]


def test_cli_key_where_no_file_can_be_made_is_per_process(tmp_path: Path) -> None:
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("x")  # the key's directory cannot be created (even as root)
    with pytest.raises(RedactionKeyError, match="redaction key"):
        FileKey(blocker / "specmerge" / "redaction.key")()
    with pytest.warns(UserWarning, match="for this process only"):
        assert len(FileKey(blocker / "specmerge" / "redaction.key", ephemeral=True)()) == 32
