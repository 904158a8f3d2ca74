"""Chart reference parsing (design.md §6), version constraints, and the Helm values handoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from specmerge.core import layer_from_values, merge
from specmerge.render import ChartRefError, OciRef, PathRef, RepoRef, helm_values, parse_chart_ref
from specmerge.render.versions import ConstraintError, best_match, parse_constraint


def test_the_three_forms(tmp_path: Path) -> None:
    assert parse_chart_ref({"path": "charts/x"}, base=tmp_path) == PathRef(tmp_path / "charts/x", "charts/x")
    repo = parse_chart_ref({"url": "https://u:p4ss-word@charts.example.com/stable/", "name": "platform", "version": "1.4.0"})
    assert repo == RepoRef("https://charts.example.com/stable", "platform", "1.4.0", "u", "p4ss-word")
    oci = parse_chart_ref({"url": "oci://reg.example.com/charts", "name": "platform", "version": "1.4.0", "plainHttp": True})
    assert oci == OciRef("oci://reg.example.com/charts/platform", "1.4.0", None, None, True)
    assert parse_chart_ref({"url": "oci://reg.example.com/charts/platform", "version": "~1.4"}).describe() == (
        "oci://reg.example.com/charts/platform:~1.4"
    )


def test_credentials_stay_out_of_repr_and_describe() -> None:
    ref = parse_chart_ref({"url": "https://charts.example.com", "name": "p", "version": "1.0.0", "username": "bob", "password": "pw-secret-9"})
    assert "pw-secret-9" not in repr(ref) and "pw-secret-9" not in ref.describe()
    inline = parse_chart_ref({"url": "https://bob:pw-secret-9@charts.example.com", "name": "p", "version": "1.0.0"})
    assert "pw-secret-9" not in repr(inline) and "pw-secret-9" not in inline.describe()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, "empty chart reference"),
        ("charts/platform", "must be an object"),
        ({"path": "a", "url": "https://x"}, "both 'path' and 'url'"),
        ({"path": "a", "version": "1"}, "closest to the path form .*unexpected keys: version"),
        ({"path": ""}, "'path' is empty"),
        ({"name": "platform", "version": "1.4.0"}, "closest to the chart repository form .*missing: url"),
        ({"url": "https://charts.example.com"}, "closest to the chart repository form .*missing: name, version"),
        ({"url": "oci://reg.example.com/c/platform"}, "closest to the OCI form .*missing: version"),
        ({"url": "oci://reg.example.com/c/p", "version": 1.4}, r"'version' must be a string, not float \(quote it: \"1.4\"\)"),
        ({"url": "ftp://x", "name": "a", "version": "1"}, "url must start with https://, http:// or oci://, not ftp://"),
        ({"url": "oci://reg.example.com", "version": "1.0.0"}, "needs a host and a chart name"),
        ({"url": "https://x", "name": "a", "version": "1", "token": "t"}, "unexpected keys: token"),
    ],
)
def test_references_that_fit_no_form_say_the_closest_form_and_what_is_wrong(raw: object, expected: str) -> None:
    with pytest.raises(ChartRefError, match=expected):
        parse_chart_ref(raw, where="chart")


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("1.4.0", "1.4.0"),
        ("v1.4.0", "1.4.0"),
        ("*", "2.0.0"),
        ("", "2.0.0"),
        ("^1.2", "1.10.1"),
        ("~1.4", "1.4.2"),
        ("~1.4.1", "1.4.2"),
        ("1.4", "1.4.2"),
        (">=1.3.0 <1.5.0", "1.4.2"),
        (">=1.3.0, <1.5.0", "1.4.2"),
        ("<=1.4", "1.4.2"),
        (">1.4", "2.0.0"),
        (">1.4 <2", "1.10.1"),
        ("1.2 - 1.4.1", "1.4.1"),
        ("^0.2.3", "0.2.9"),
        ("^0.0.3", "0.0.3"),
        ("1.x", "1.10.1"),
        ("<1.0.0 || >=2.0.0", "2.0.0"),
        (">=2.1.0-0", "2.1.0-rc.2"),
        ("!=2.0.0", "1.10.1"),
        ("3.x", None),
    ],
)
def test_version_constraints_pick_the_highest_allowed(constraint: str, expected: str | None) -> None:
    versions = ["0.0.3", "0.2.3", "0.2.9", "1.4.0", "1.4.1", "1.4.2", "1.10.1", "2.0.0", "2.1.0-rc.2", "not-semver"]
    assert best_match(constraint, versions) == expected


def test_bad_constraint_is_an_error() -> None:
    with pytest.raises(ConstraintError, match="'banana' is not a version"):
        parse_constraint(">= banana")


def test_helm_values_carry_an_explicit_null_where_a_layer_deleted_a_default() -> None:
    chart = layer_from_values("chart", "chart:c@1/values.yaml", {"features": {"legacy": True, "v2": False}, "gone": {"a": 1}})
    channel = layer_from_values("channel", "channel:stable@1", {"features": {"legacy": None}, "gone": None, "new": None})
    effective = merge([chart, channel])
    values = helm_values(effective)
    # ``new`` was null in the channel with nothing below it: it is handed on as null too,
    # which is what helm gets from the same -f files.
    assert values == {"features": {"legacy": None, "v2": False}, "gone": None, "new": None}
    assert "legacy" not in effective.values["features"]  # the effective spec itself is untouched
    back = layer_from_values("user", "file:u.yaml", {"features": {"legacy": False}})
    assert helm_values(merge([chart, channel, back]))["features"] == {"legacy": False, "v2": False}


def test_helm_values_null_chart_defaults_the_fold_dropped() -> None:
    """A layer drops the chart's ``features`` map and a higher one sets a new map: the fold
    keeps the defaults dropped, so Helm must be told to delete them, not coalesce them back."""
    defaults = {"features": {"legacy": True, "v2": False}, "port": 80}
    chart = layer_from_values("chart", "chart:c@1/values.yaml", defaults)
    channel = layer_from_values("channel", "channel:stable@1", {"features": None})
    user = layer_from_values("user", "file:u.yaml", {"features": {"shiny": True}})
    effective = merge([chart, channel, user])
    assert effective.values == {"features": {"shiny": True}, "port": 80}
    assert helm_values(effective, defaults) == {
        "features": {"shiny": True, "legacy": None, "v2": None},
        "port": 80,
    }


@pytest.mark.parametrize("url", [
    "oci://bob:S3CRET#pw-123456@registry.example.com/charts/x",
    "oci://bob:S3CRET/pw-123456@registry.example.com/charts/x",
    "https://bob:S3CRET?pw-123456@charts.example.com",
    "https://registry.example.com:S3CRET-123456/charts",
])
def test_a_url_whose_credentials_would_be_misread_is_refused_without_echo(url: str) -> None:
    """A password with an unencoded '#', '/' or '?' moves its '@' out of the host part (the
    rest of the password then reads as a path or fragment); a password after a missing user
    reads as a port. Neither may reach an error message."""
    raw = {"url": url, "name": "x", "version": "1.0.0"}
    with pytest.raises(ChartRefError) as exc:
        parse_chart_ref(raw)
    assert "S3CRET" not in str(exc.value) and "pw-123456" not in str(exc.value)


def test_an_oci_digest_reference_is_not_mistaken_for_credentials() -> None:
    ref = parse_chart_ref({"url": "oci://registry.example.com/charts/x@sha256:" + "ab" * 32, "version": "1.0.0"})
    assert ref.describe().startswith("oci://registry.example.com/charts/x@sha256:")
