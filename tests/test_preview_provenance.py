"""A preview's provenance reuses the answers for paths only the shared layers (chart
defaults, channel) have a say at: every request must still get exactly what building each
chain afresh gives, for its own values, secrets masked (or revealed) as asked."""

from __future__ import annotations

from typing import Any

from specmerge.channels import ChannelRequest, Resolver, list_embedded
from specmerge.core import layer_from_values
from specmerge.core.report import chain_dict
from specmerge.pipeline import PlanInputs, plan
from specmerge.service.specs import provenance_dicts

CHANNEL = Resolver(None, None, airgapped=True, embedded=list_embedded).resolve(ChannelRequest("stable")).spec
PASSWORD = "provenance-test-pw-9f3Kq1"


def _plan(user: dict[str, Any]) -> Any:
    return plan(PlanInputs(channel=CHANNEL, user=layer_from_values("user", "request:user", user), render=False))


def _fresh(p: Any, reveal: bool) -> list[dict[str, Any]]:
    return [chain_dict(c, p.masked(reveal)[0]) for c in p.effective.provenance().values()]


def test_each_request_gets_the_provenance_of_its_own_values() -> None:
    first = _plan({"mysql": {"password": PASSWORD}, "app": {"replicaCount": 2}})
    second = _plan({"app": {"replicaCount": 5}})
    for p in (first, second, first, second):  # the second round is answered from what the first remembered
        for reveal in (False, True):
            got = provenance_dicts(p, p.masked(reveal)[0])
            assert got == _fresh(p, reveal)
    by_path = {d["dotted"]: d for d in provenance_dicts(second, second.masked()[0])}
    assert by_path["app.replicaCount"]["winner"] == {"layer": "user", "source": "request:user", "op": "set", "value": 5}
    masked = {d["dotted"]: d for d in provenance_dicts(first, first.masked()[0])}
    assert PASSWORD not in repr(masked) and masked["mysql.password"]["winner"]["value"].startswith("<redacted hmac:")
