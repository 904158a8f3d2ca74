"""The masking law (design.md §5, issue 13): for random value trees with secrets at random
paths - by key name, by schema (``writeOnly``), in env lists and in URLs - rendered through
tests/charts/leakyapp, whose templates ``b64enc``, ``toJson``, ``urlquery``, ``sha256sum``,
``quote``, ``printf`` and fold (``toYaml``) every value, no secret nor any of those spellings
of it appears in ``render``, ``diff``, ``explain`` or an error; and no other string is
altered (the chart's ``toJson .Values`` shows every non-secret leaf exactly as given)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from renderkit import REPO, run_cli

LEAKY = str(REPO / "tests" / "charts" / "leakyapp")
BASE = ("--channel", "none", "--chart", LEAKY)
PLACEHOLDER = re.compile(r"<redacted hmac:[0-9a-f]{8}>")

# Secret words: upper-case letters and digits (nothing else in the tree or a manifest spells
# such a run by chance); plain strings are lower-case, so they can never contain a secret.
WORD = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=6, max_size=7).filter(
    lambda w: any(c.isalpha() for c in w))  # a run of digits could also be a plain value's
SECRET = st.builds(
    lambda words, seps: "".join(w + s for w, s in zip(words, seps)).strip(),
    st.lists(WORD, min_size=2, max_size=14),
    st.lists(st.sampled_from([" ", " ", "&", "<", ">", "@", "%", '"', "'", "-"]), min_size=14, max_size=14),
)
URL_PASSWORD = st.lists(WORD, min_size=2, max_size=3).map("-".join)
PLAIN = st.text(alphabet="abcdefghijkmnopqrstuvwxyz0123456789 -_", min_size=1, max_size=12).filter(str.strip)
KEYS = st.sampled_from(["a", "b", "c", "on", "host", "x.y"])
SENSITIVE_KEY = st.sampled_from(["password", "dbPasswd", "pwd", "passphrase", "apiToken", "tokens", "credentials",
                                 "privateKeyPem", "tls.key", "licenseKey", "AWS_SECRET_ACCESS_KEY"])
SENSITIVE_ENV = st.sampled_from(["AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "GITHUB_TOKEN", "API_KEY"])
PLAIN_TREE = st.recursive(PLAIN, lambda kids: st.dictionaries(KEYS, kids, min_size=1, max_size=3), max_leaves=6)


@st.composite
def planted(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], list[tuple[tuple, Any]]]:
    """Values with secrets planted, the secrets, and every plain leaf ``(path, value)``."""
    extra = draw(st.dictionaries(KEYS, PLAIN_TREE, max_size=3))
    secrets: list[str] = []
    values: dict[str, Any] = {"extra": extra, "vault": {}, "env": []}
    for _ in range(draw(st.integers(1, 4))):
        mode = draw(st.sampled_from(["key", "schema", "env", "url", "password"]))
        secret = draw(URL_PASSWORD if mode == "url" else SECRET)
        secrets.append(secret)
        if mode == "key":
            where = draw(st.lists(KEYS, min_size=1, max_size=3))
            node = values["extra"]
            for k in where:
                node = node.setdefault(k, {}) if isinstance(node.get(k), dict) or k not in node else node
                if not isinstance(node, dict):
                    break
            if isinstance(node, dict):
                node[draw(SENSITIVE_KEY)] = secret
            else:
                values["extra"][draw(SENSITIVE_KEY)] = secret
        elif mode == "schema":
            values["vault"][draw(KEYS)] = secret
        elif mode == "env":
            values["env"].append({"name": draw(SENSITIVE_ENV), "value": secret})
        elif mode == "url":
            values["extra"].setdefault("urls", {})[draw(KEYS)] = f"redis://:{secret}@cache.svc:6379/0"
        else:
            values["auth"] = {"password": secret}
    values["env"].append({"name": "LOG_LEVEL", "value": draw(PLAIN)})
    plain = [(p, v) for p, v in leaves(values) if isinstance(v, str) and not any(s in v for s in secrets)]
    return values, secrets, plain


def leaves(tree: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(tree, dict):
        return [leaf for k, v in tree.items() for leaf in leaves(v, path + (k,))]
    if isinstance(tree, list):
        return [leaf for i, v in enumerate(tree) for leaf in leaves(v, path + (i,))]
    return [(path, tree)]


def spellings(secret: str) -> list[str]:
    go = json.dumps(secret)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return [secret, go, json.dumps(secret)[1:-1], quote_plus(secret), base64.b64encode(secret.encode()).decode(),
            hashlib.sha256(secret.encode()).hexdigest(), base64.b64encode(f"user:{secret}".encode()).decode()]


def assert_hidden(text: str, secrets: list[str], what: str) -> None:
    for secret in secrets:
        for spelled in spellings(secret):
            assert spelled not in text, (what, secret, spelled)
        for word in re.findall(r"[A-Z0-9]{6,}", secret):  # every folded or split piece
            assert word not in text, (what, secret, word)


def values_json(stream: str) -> Any:
    for doc in yaml.safe_load_all(stream):
        if isinstance(doc, dict) and doc.get("metadata", {}).get("name") == "specmerge-values":
            return json.loads(doc["data"]["values.json"])
    raise AssertionError("no values ConfigMap in the render")


def at(tree: Any, path: tuple) -> Any:
    for k in path:
        tree = tree[k]
    return tree


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(case=planted(), other=planted())
def test_no_secret_or_transform_of_it_is_ever_shown(tmp_path_factory: Any, case: Any, other: Any) -> None:
    values, secrets, plain = case
    other_values, other_secrets, _ = other
    d: Path = tmp_path_factory.mktemp("law")
    # JSON is YAML whose strings are quoted: a plain "n" stays a string (YAML 1.1 reads n as false)
    (d / "v.yaml").write_text(json.dumps(values))
    (d / "o.yaml").write_text(json.dumps(other_values))
    every = secrets + other_secrets

    out = run_cli("render", *BASE, "-f", str(d / "v.yaml"))
    assert out.exit_code == 0, out.stderr
    assert_hidden(out.stdout + out.stderr, every, "render")
    shown = values_json(out.stdout)
    for path, value in plain:
        assert at(shown, path) == value, path  # nothing that is not a secret is altered
    assert PLACEHOLDER.search(json.dumps(shown))

    runs = {
        "diff": ("diff", *BASE, "-f", str(d / "o.yaml"), "--", *BASE, "-f", str(d / "v.yaml")),
        "diff-json": ("diff", "-o", "json", *BASE, "-f", str(d / "o.yaml"), "--", *BASE, "-f", str(d / "v.yaml")),
        "explain": ("explain", "--all", *BASE, "-f", str(d / "o.yaml"), "-f", str(d / "v.yaml")),
        "error": ("render", *BASE, "-f", str(d / "v.yaml"), "--set", "explode=true"),
        "values": ("render", "--show-values", *BASE, "-f", str(d / "v.yaml")),
    }
    for what, args in runs.items():
        res = run_cli(*args)
        assert res.exit_code in (0, 2), (what, res.stderr)
        assert_hidden(res.stdout + res.stderr, every, what)
