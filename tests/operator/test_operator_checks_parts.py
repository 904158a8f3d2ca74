"""The parts the operator's preflight and drift wiring is built from: the CR's switches, the
conditions' messages, the shared facts cache (on the real apiserver), the interval flags."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from specmerge.cli import app
from specmerge.drift import DriftReport, ObjectDrift, ObjectRef
from specmerge.instances import PermanentError
from specmerge.operator.checks import FactsCache, Policy, drift_condition, policy_of, requirements_condition
from specmerge.preflight import CheckResult, ClusterFacts, NodeFacts, PreflightReport, Requirements, evaluate

WHERE = "cr:ns/demo"


def test_policy_defaults_and_bad_values_name_the_field() -> None:
    assert policy_of({"spec": {}}, WHERE) == Policy(enforce_on_upgrade=True, drift_mode="warn")
    assert policy_of({"spec": {"drift": {"mode": "correct"}, "preflight": {"enforceOnUpgrade": False}}}, WHERE) == \
        Policy(False, "correct")
    with pytest.raises(PermanentError, match=r"spec.drift.mode.*disabled, warn, correct"):
        policy_of({"spec": {"drift": {"mode": "fix"}}}, WHERE)
    with pytest.raises(PermanentError, match=r"spec.preflight.enforceOnUpgrade.*true or false"):
        policy_of({"spec": {"preflight": {"enforceOnUpgrade": "no"}}}, WHERE)


def test_requirements_condition_lists_each_unmet_check_with_its_numbers() -> None:
    req = Requirements.parse({"minNodes": 3, "total": {"cpu": "12"}})
    facts = ClusterFacts("v1.36.0", (NodeFacts("n1", True, True, Decimal(4), Decimal(2**34)),
                                     NodeFacts("n2", False, True, Decimal(4), Decimal(2**34))))
    unmet = requirements_condition(evaluate(req, facts, {}), "beta 1.0", enforced=True)
    assert (unmet.status, unmet.reason) == (False, "RequirementsNotMet")
    assert unmet.message == ("2 of 2 checks unmet: nodes: required >= 3 Ready, schedulable, found 1 of 2 "
                             "(not counted: n2 NotReady); cpu total: required >= 12, found 4 on 1 Ready, "
                             "schedulable node(s) (not counted: n2 NotReady)")
    waived = requirements_condition(evaluate(req, facts, {}), "beta 1.0", enforced=False)
    assert waived.message.endswith("; upgrading anyway (spec.preflight.enforceOnUpgrade is false)")
    met = requirements_condition(PreflightReport("dev", (CheckResult("nodes", ">= 1", "1 of 1", True),)), "b", True)
    assert (met.status, met.message) == (True, "1 checks passed (profile dev)")
    assert requirements_condition(None, "stable 0.62.0", True).reason == "NoRequirements"


def test_drift_condition_names_objects_and_paths_never_values() -> None:
    report = DriftReport((
        ObjectDrift(ObjectRef("v1", "ConfigMap", "ns", "cfg"), "missing"),
        ObjectDrift(ObjectRef("apps/v1", "Deployment", "ns", "app"), "drifted", ("/spec/replicas", "/metadata/labels/x")),
        ObjectDrift(ObjectRef("v1", "Service", "ns", "svc"), "unchanged"),
    ))
    warn = drift_condition(report, None)
    assert (warn.status, warn.reason) == (True, "DriftDetected")
    assert warn.message == ("2 object(s) differ from the release: ConfigMap ns/cfg deleted; "
                            "Deployment ns/app /spec/replicas, /metadata/labels/x")
    from specmerge.drift import Correction

    fixed = drift_condition(report, Correction((report.objects[1].ref,), (report.objects[0].ref,)))
    assert (fixed.status, fixed.reason) == (False, "Remediated") and "ConfigMap ns/cfg deleted" in fixed.message


@pytest.mark.cluster
def test_facts_are_read_once_per_ttl_for_everyone(kube) -> None:  # type: ignore[no-untyped-def]
    cache = FactsCache(kube.api_client, ttl=0.5)
    assert not cache.current(0)
    stamp, facts = cache.get()
    assert facts.version == kube.kube_version and cache.current(stamp)
    assert cache.get()[0] == stamp  # fresh: no second reading
    time.sleep(0.6)
    assert not cache.current(stamp)  # stale: a blocked instance looks again
    assert cache.get()[0] == stamp + 1


@pytest.mark.parametrize("value", ["0", "-5s", "10x", "m"])
def test_interval_flags_reject_what_is_not_a_duration(value: str) -> None:
    result = CliRunner().invoke(app, ["operator", "--drift-interval", value])
    assert result.exit_code == 2 and "--drift-interval: expected a duration such as 30s, 10m or 1h" in result.stderr
