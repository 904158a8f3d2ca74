"""No secret reaches stdout or stderr of ``diff``, ``explain`` or ``validate`` in any output
form unless ``--show-secrets``; a changed secret still shows as a changed hash."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffkit import at_repo_root, AGENT, LICENSE, MYSQL_PASSWORD, NEW_PASSWORD, USER_VALUES, run_cli  # noqa: F401 (autouse fixture)

OUTPUTS = (("-o", "text"), ("-o", "json"), ("-o", "yaml"))


def forms(secret: str) -> list[str]:
    """The secret and the base64 a Kubernetes Secret's ``data`` would hold."""
    return [secret, base64.b64encode(secret.encode()).decode()]


def assert_hidden(result, *secrets: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in result.stdout and form not in result.stderr, (form, result.stdout[-2000:])


PLATFORM_DIFF = ("-f", USER_VALUES, "--", "-f", USER_VALUES, "--set", f"mysql.password={NEW_PASSWORD}")


@pytest.mark.parametrize("output", OUTPUTS)
def test_diff_masks_values_warnings_and_manifests(output: tuple[str, str]) -> None:
    out = run_cli("diff", *output, *PLATFORM_DIFF)  # options before `--`
    assert out.exit_code == 0, out.stderr
    assert_hidden(out, MYSQL_PASSWORD, NEW_PASSWORD, LICENSE)
    assert "mysql.password" in out.stdout or "/mysql/password" in out.stdout  # the change is visible
    assert out.stdout.count("<redacted hmac:") >= 2


def test_diff_show_secrets_reveals() -> None:
    out = run_cli("diff", "--only", "values", "--show-secrets", *PLATFORM_DIFF)
    assert MYSQL_PASSWORD in out.stdout and NEW_PASSWORD in out.stdout


@pytest.mark.parametrize("output", OUTPUTS)
def test_explain_masks_one_path_and_the_table(output: tuple[str, str]) -> None:
    args = ("-f", USER_VALUES, "--set", f"mysql.password={NEW_PASSWORD}", *output)
    one = run_cli("explain", "mysql.password", *args)
    assert one.exit_code == 0, one.stderr
    assert_hidden(one, MYSQL_PASSWORD, NEW_PASSWORD)
    assert "<redacted hmac:" in one.stdout
    table = run_cli("explain", "--all", *args)
    assert table.exit_code == 0, table.stderr
    assert_hidden(table, MYSQL_PASSWORD, NEW_PASSWORD, LICENSE)
    revealed = run_cli("explain", "mysql.password", *args, "--show-secrets")
    assert NEW_PASSWORD in revealed.stdout and MYSQL_PASSWORD in revealed.stdout


@pytest.mark.parametrize("output", OUTPUTS)
def test_validate_masks_a_secret_in_a_violation(output: tuple[str, str]) -> None:
    out = run_cli("validate", "-f", USER_VALUES, "--set-json", f'mysql.password=["{NEW_PASSWORD}"]', *output)
    assert out.exit_code == 1
    assert_hidden(out, MYSQL_PASSWORD, NEW_PASSWORD, LICENSE)
    assert "mysql" in out.stdout and "<redacted hmac:" in out.stdout


SECRETS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=10, max_size=16).map(lambda s: "S3C-" + s)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=SECRETS, new=SECRETS)
def test_agent_token_rendered_into_a_secret_is_never_shown(old: str, new: str) -> None:
    """The agent chart renders agent.apiToken into a Secret: values, manifests, explain and
    validate all hide both tokens, and the Secret's diff shows two different hashes."""
    runs = [
        ("diff", *o, *AGENT, "--set", f"agent.apiToken={old}", "--", *AGENT, "--set", f"agent.apiToken={new}")
        for o in OUTPUTS
    ] + [
        ("explain", "agent.apiToken", *AGENT, "--set", f"agent.apiToken={new}", "-o", "json"),
        ("explain", "--all", *AGENT, "--set", f"agent.apiToken={new}"),
        ("validate", *AGENT, "--set", f"agent.apiToken={new}", "--set", f"agent.logLevel={new}"),
    ]
    for args in runs:
        out = run_cli(*args)
        assert out.exit_code in (0, 1), (args, out.stderr)
        assert_hidden(out, old, new)
    text = run_cli(*runs[0])  # -o text
    if old != new:
        assert "Secret default/specmerge-mlops-agent" in text.stdout
        assert "-  token: <redacted hmac:" in text.stdout and "+  token: <redacted hmac:" in text.stdout


def test_a_template_error_on_the_stored_side_is_scrubbed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A chart's `fail` can quote a value; when the stored spec (--from-file) is the one that
    fails to render, its secrets are scrubbed from the error as on the new side."""
    chart = tmp_path / "failing"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: failing\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("token: ''\n")
    (chart / "templates" / "cm.yaml").write_text(
        '{{- if .Values.token }}{{ fail (printf "token %s was revoked" .Values.token) }}{{ end }}\n'
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    stored = tmp_path / "stored.yaml"
    stored.write_text("token: S3CRET-tok-123456\n")
    out = run_cli("diff", "--from-file", str(stored), "--chart", str(chart), "--channel", "none")
    assert out.exit_code == 2 and "was revoked" in out.stderr
    assert "S3CRET-tok-123456" not in out.stderr + out.stdout


def test_help_after_the_double_dash_does_not_repeat_the_values() -> None:
    out = run_cli("diff", "--channel", "none", "--", "--set", "mysql.password=S3CRET-abc-123456", "--help")
    assert out.exit_code == 2 and "S3CRET" not in out.stdout + out.stderr
