"""Differential rendering (design.md §5, issue 13 items 2, 3 and 8): what is shown is a
render of the masked values, so no template transform of a secret can print it.

The chart is tests/charts/leakyapp: its templates b64enc, toJson, urlquery, sha256sum,
quote, printf and toYaml (folded) every value, and its default password is its own name.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from urllib.parse import quote_plus

import yaml
from renderkit import REPO, run_cli

from specmerge.core import redact
from specmerge.pipeline import PlanInputs, plan
from specmerge.render import PathRef

LEAKY = str(REPO / "tests" / "charts" / "leakyapp")
BASE = ("--channel", "none", "--chart", LEAKY)
#: A 90-character token with spaces: toYaml folds it into pieces shorter than 8 characters.
FOLDED = "Zq8 fK2 rV9 xLm Qw3 eR4 tY5 uI6 oP7 aS8 dF9 gH1 jK2 lZ3 xC4 vB5 nM6 qW7 eR8 tY9 uI1 oP2 aS3"
AMPERSAND = "P@ss&w<rd>1-Zq8fK2"


def go_json(s: str) -> str:
    return json.dumps(s)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def transforms(secret: str) -> list[str]:
    """The spellings leakyapp's templates give a secret (each must never be shown)."""
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        go_json(secret),
        quote_plus(secret),
        hashlib.sha256(secret.encode()).hexdigest(),
        base64.b64encode(f"user:{secret}".encode()).decode(),
        base64.b64encode(f"admin:{secret}".encode()).decode(),
    ]


def assert_hidden(text: str, secret: str) -> None:
    for spelled in transforms(secret):
        assert spelled not in text, (spelled, text[:2000])
    for piece in secret.split():  # the folded pieces, each alone
        if len(piece) >= 3 and any(c.isupper() for c in piece):
            assert f" {piece}\n" not in text and f" {piece} " not in text, piece


def test_folded_escaped_encoded_secrets_never_print() -> None:
    out = run_cli("render", *BASE, "--set", f"auth.password={AMPERSAND}", "--set-string", f"extra.apiToken={FOLDED}")
    assert out.exit_code == 0, out.stderr
    assert_hidden(out.stdout + out.stderr, FOLDED)
    assert_hidden(out.stdout + out.stderr, AMPERSAND)
    assert redact(AMPERSAND) in out.stdout  # shown as its placeholder, wherever the template put it
    assert "note:" not in out.stderr


def test_env_list_secret_is_masked_in_the_bundled_chart() -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"
    out = run_cli("render", "--set", "app.extraEnv[0].name=AWS_SECRET_ACCESS_KEY", "--set", f"app.extraEnv[0].value={secret}")
    assert out.exit_code == 0, out.stderr
    assert "AWS_SECRET_ACCESS_KEY" in out.stdout and redact(secret) in out.stdout
    assert_hidden(out.stdout, secret)


def test_chart_default_password_that_is_the_product_name_is_not_scrubbed() -> None:
    """Issue 13 item 3: the word stays in image names and labels; the password is a placeholder."""
    out = run_cli("render", *BASE)
    assert out.exit_code == 0, out.stderr
    assert "image: example/leakyapp:1.0" in out.stdout and "app.kubernetes.io/name: leakyapp" in out.stdout
    assert out.stdout.count("leakyapp") >= 8
    assert "password: <redacted hmac:" in out.stdout


def test_show_values_masks_chart_default_secrets_unless_asked() -> None:
    shown = run_cli("show", "values", "--chart", LEAKY)
    assert shown.exit_code == 0
    assert f"password: {redact('leakyapp')}" in shown.stdout and "image: example/leakyapp:1.0" in shown.stdout
    assert "# -- The chart's default credentials" in shown.stdout  # comments kept
    raw = run_cli("show", "values", "--chart", LEAKY, "--show-secrets")
    assert raw.stdout == (Path(LEAKY) / "values.yaml").read_text() + "\n"  # helm show values adds a newline
    bundled = run_cli("show", "values")  # no non-empty secret: exactly helm show values
    assert bundled.stdout == (REPO / "charts" / "platform" / "values.yaml").read_text() + "\n"


def test_template_error_quotes_the_placeholder_not_the_secret() -> None:
    secret = "Zq8fK2rV9xLm-fail"
    out = run_cli("render", *BASE, "--set", "explode=true", "--set", f"auth.password={secret}")
    assert out.exit_code == 2
    assert redact(secret) in out.stderr
    assert_hidden(out.stderr, secret)
    assert secret.upper() not in out.stderr  # a transform no textual scrub could follow


def test_a_template_refusing_a_placeholder_falls_back_for_that_secret_only() -> None:
    token = "0123456789abcdef0123456789abcdef"
    out = run_cli("render", *BASE, "--set", f"strictToken={token}", "--set", f"auth.password={AMPERSAND}")
    assert out.exit_code == 0, out.stderr
    assert "note: a template refused the placeholder of strictToken" in out.stderr
    assert token not in out.stdout  # scrubbed where it is printed as is
    assert 'prefix: "0123"' in out.stdout  # what scrubbing cannot follow is said in the note
    assert_hidden(out.stdout + out.stderr, AMPERSAND)  # every other secret stays a placeholder


def test_the_real_render_is_kept_for_applying() -> None:
    p = plan(PlanInputs(chart=PathRef(Path(LEAKY), "leakyapp"), extra=(), render=True))
    shown = p.shown()
    assert shown is not None and shown.manifests != p.manifests
    assert "leakyapp" in (p.manifests or {})["leakyapp/templates/secret.yaml"]  # the real password
    assert "leakyapp" not in shown.manifests["leakyapp/templates/secret.yaml"].split("stringData")[1]


def test_strict_findings_come_from_the_masked_render() -> None:
    secret = "Zq8fK2rV9xLm-strict"
    out = run_cli("render", *BASE, "--strict", "--set", "strictProbe=true", "--set", f"auth.password={secret}")
    assert out.exit_code == 1, out.stderr
    assert "is not of type 'integer'" in out.stderr and secret.upper() not in out.stderr
    assert_hidden(out.stderr, secret)


def test_manifest_diff_reports_secret_derived_changes_by_keyed_hash() -> None:
    """Only the length of the password reaches ``length.yaml``: the masked renders agree, the
    real ones do not, and the diff says so with keyed hashes."""
    old, new = "Zq8fK2rV9xLm", "Zq8fK2rV9xLm-longer"
    out = run_cli("diff", "--only", "manifests", *BASE, "--set", f"auth.password={old}", "--",
                  *BASE, "--set", f"auth.password={new}")
    assert out.exit_code == 0, out.stderr
    assert "fields derived from secrets changed" in out.stdout
    assert f"data.passwordLength: {redact(str(len(old)))} -> {redact(str(len(new)))}" in out.stdout
    for secret in (old, new):
        assert_hidden(out.stdout, secret)
    doc = yaml.safe_load(run_cli("diff", "--only", "manifests", "-o", "yaml", *BASE, "--set", f"auth.password={old}",
                                 "--", *BASE, "--set", f"auth.password={new}").stdout)
    assert any("passwordLength" in m["diff"] for m in doc["manifests"])
