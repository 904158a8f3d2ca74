"""The pure half of drift: desired objects from a manifest, the manager, the changed paths."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from specmerge.drift import changed_paths, desired_objects, helm_manager

MANIFEST = """---
# Source: c/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo-config
  labels: {app: demo}
data: {message: one}
---
# Source: c/templates/empty.yaml
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo-app, annotations: {note: x}}
spec: {replicas: 1}
"""


def test_desired_objects_carry_helms_ownership_metadata() -> None:
    cm, deploy = desired_objects(MANIFEST, "demo", "ns1")
    assert cm["metadata"] == {
        "name": "demo-config",
        "labels": {"app": "demo", "app.kubernetes.io/managed-by": "Helm"},
        "annotations": {"meta.helm.sh/release-name": "demo", "meta.helm.sh/release-namespace": "ns1"},
    }
    assert deploy["metadata"]["annotations"]["note"] == "x"


LIVE: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {
        "name": "demo-app", "namespace": "ns1", "uid": "u1", "resourceVersion": "9", "generation": 3,
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "annotations": {"deployment.kubernetes.io/revision": "2", "meta.helm.sh/release-name": "demo"},
        "managedFields": [
            {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status"},
            {"manager": "helm", "operation": "Apply",
             "fieldsV1": {"f:metadata": {"f:annotations": {"f:meta.helm.sh/release-name": {}}}}},
            {"manager": "other-applier", "operation": "Apply", "fieldsV1": {"f:metadata": {"f:labels": {}}}},
        ],
    },
    "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "app", "image": "a:1"}]}}},
    "status": {"replicas": 5, "readyReplicas": 0},
}


def test_helms_manager_owns_the_release_annotation() -> None:
    assert helm_manager(LIVE) == "helm"
    only = copy.deepcopy(LIVE)
    only["metadata"]["managedFields"] = [LIVE["metadata"]["managedFields"][3]]
    assert helm_manager(only) == "other-applier"  # the only applier
    assert helm_manager({"metadata": {}}) is None


def test_status_and_server_metadata_are_not_drift() -> None:
    dry = copy.deepcopy(LIVE)
    dry["metadata"].update(resourceVersion="10", generation=4, managedFields=[])
    dry["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3"
    dry["status"] = {"replicas": 1}
    assert changed_paths(dry, LIVE) == ()
    dry["spec"]["replicas"] = 1
    dry["spec"]["template"]["spec"]["containers"][0]["image"] = "a:2"
    dry["metadata"]["annotations"]["a/b~c"] = "new"
    assert changed_paths(dry, LIVE) == (
        "/metadata/annotations/a~1b~0c", "/spec/replicas", "/spec/template/spec/containers/0/image")
    dry["spec"]["template"]["spec"]["containers"].append({"name": "sidecar"})
    assert changed_paths(dry, LIVE)[-1] == "/spec/template/spec/containers"


json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_tree = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                         max_leaves=12)


@given(st.dictionaries(st.text(max_size=4), json_tree, max_size=4), st.dictionaries(st.text(max_size=4), json_tree, max_size=4))
def test_no_paths_exactly_when_equal_outside_status(a: dict[str, Any], b: dict[str, Any]) -> None:
    x = {"kind": "K", "metadata": {"name": "n"}, "spec": a, "status": b}
    y = {"kind": "K", "metadata": {"name": "n"}, "spec": b, "status": a}
    assert (changed_paths(x, y) == ()) == (a == b)
    assert changed_paths(x, x) == ()
    assert set(changed_paths(x, y)) == set(changed_paths(y, x))
