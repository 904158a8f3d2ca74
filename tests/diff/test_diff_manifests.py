"""The pure manifest diff (specmerge.diff.manifests): per resource, unified diff, Secret data
compared as hashes, context lines."""

from __future__ import annotations

from specmerge.core import Redactor
from specmerge.diff.manifests import diff_manifests

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n{lines}"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: prod\nstringData:\n  password: {pw}\n"


def cm(**data: str) -> str:
    return CM.format(lines="".join(f"  {k}: {v!r}\n" for k, v in data.items()))


def render(**templates: str) -> dict[str, str]:
    return {f"chart/templates/{k}.yaml": v for k, v in templates.items()}


def test_changed_added_removed_resources_sorted_by_kind_namespace_name() -> None:
    old = render(cm=cm(a="1", b="2"), gone="apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n")
    new = render(cm=cm(a="1", b="3"), fresh="apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n")
    found = diff_manifests(old, new, Redactor(), old_namespace="ns", new_namespace="ns")
    assert [(m.kind, m.namespace, m.name, m.change) for m in found] == [
        ("ConfigMap", "ns", "cfg", "changed"),
        ("Deployment", "ns", "app", "added"),
        ("Service", "ns", "svc", "removed"),
    ]
    changed = found[0].diff
    assert "--- a/ConfigMap/ns/cfg\n+++ b/ConfigMap/ns/cfg\n" in changed
    assert "-  b: '2'\n+  b: '3'\n" in changed
    assert found[1].diff.startswith("--- /dev/null\n+++ b/Deployment/ns/app\n")
    assert diff_manifests(old, old, Redactor()) == ()


def test_context_lines_follow_the_option() -> None:
    many = {f"k{i}": str(i) for i in range(10)}
    old, new = render(cm=cm(**many)), render(cm=cm(**{**many, "k5": "x"}))
    (zero,) = diff_manifests(old, new, Redactor(), context=0)
    (three,) = diff_manifests(old, new, Redactor(), context=3)
    assert "k4" not in zero.diff and "k4" in three.diff and "k1" not in three.diff


def test_secret_data_is_compared_as_hashes_unless_revealed() -> None:
    old, new = render(s=SECRET.format(pw="hunter2-old-pw")), render(s=SECRET.format(pw="hunter2-new-pw"))
    (m,) = diff_manifests(old, new, Redactor())
    assert (m.kind, m.namespace, m.name) == ("Secret", "prod", "creds")
    assert "hunter2" not in m.diff and m.diff.count("<redacted hmac:") == 2
    (shown,) = diff_manifests(old, new, Redactor(reveal=True))
    assert "hunter2-old-pw" in shown.diff and "hunter2-new-pw" in shown.diff


def test_sensitive_values_learned_from_the_spec_are_scrubbed_from_other_documents() -> None:
    r = Redactor()
    r.learn({"token": "tok-abcdef-123"})
    old, new = render(cm=cm(a="tok-abcdef-123")), render(cm=cm(a="plain"))
    (m,) = diff_manifests(old, new, r)
    assert "tok-abcdef-123" not in m.diff and "<redacted hmac:" in m.diff
