"""How many times a plan calls Helm's engine (counted by the engine module itself,
:func:`specmerge.render.engine.renders_done`): the render guard's reference render and the
second (real) render of differential rendering are paid only where they can matter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specmerge.core import layer_from_values, redact
from specmerge.pipeline import PlanInputs, plan
from specmerge.render import PathRef
from specmerge.render.engine import renders_done
from specmerge.render.guard import ValuesAddStructure

CHART = PathRef(Path(__file__).resolve().parent / "guardchart", "tests/render/guardchart")
EXTRA_SA = "x\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: pwn\n  namespace: kube-system\n"


def _renders(user: dict[str, Any], real: bool = False) -> int:
    before = renders_done()
    p = plan(PlanInputs(chart=CHART, user=layer_from_values("user", "secret:team-a/demo-spec-user#values", user)))
    if real:
        assert p.manifests is not None
    return renders_done() - before


def test_a_spec_without_secrets_is_rendered_once_for_showing_and_applying() -> None:
    assert _renders({"name": "my-sa"}, real=True) == 1


def test_a_placeholder_in_the_values_costs_no_reference_render() -> None:
    """A console draft can hold placeholders (``<redacted hmac:…>``): an inert token, one
    line, no YAML structure - the render guard has nothing to compare it against."""
    placeholder = redact("some-secret-value")
    assert placeholder.startswith("<redacted hmac:")
    assert _renders({"name": "my-sa", "note": placeholder}) == 1


def test_a_secret_is_shown_from_one_masked_render_and_applied_from_one_real_render() -> None:
    # the secret's own text could carry structure: only the real render (applied) pays the guard's reference render
    user = {"name": "my-sa", "password": "p@ss: w#rd {x}"}
    assert _renders(user) == 1
    assert _renders(user, real=True) == 3


def test_a_structure_carrying_value_still_costs_a_reference_render_and_is_refused() -> None:
    before = renders_done()
    with pytest.raises(ValuesAddStructure):
        _renders({"name": EXTRA_SA})
    assert renders_done() - before == 2  # the render, then the reference it is compared with
