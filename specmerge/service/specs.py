"""The service's use of the pipeline: the would-be spec of a console write and the
preview. Everything goes through :func:`specmerge.pipeline.plan`; this module picks the
layers, resolves the channel (counting results in the metrics) and turns a plan into the
masked response. It never writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..channels import ChannelRequest, ChannelResult, Resolver
from ..core import Chain, Layer, Memo, Redactor, chain_dict, layer_from_values, redaction_key, violations_list, warning_dict
from ..diff import StoredSpec, diff_values, plan_side, stored_side, value_change_dict
from ..errors import InputError
from ..pipeline import Plan, PlanInputs, Rendering, Shown, pinned_release, plan
from ..render import RenderOptions
from ..render.guard import trusted
from .limits import NO_DEADLINE, Deadline
from .metrics import Metrics
from .store import Instance, Stored, ValuesStore
from .values_edit import restore_placeholders


class InstanceNotFound(InputError, LookupError):
    pass


@dataclass(frozen=True)
class PreviewInputs:
    """A preview request in plain data (the HTTP model maps onto this)."""

    instance: Instance | None = None
    channel: str | None = None
    release: str | None = None
    operator: Mapping[str, Any] | None = None
    user: Mapping[str, Any] | None = None
    cr: Mapping[str, Any] | None = None
    overrides: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    render: bool = False
    options: RenderOptions = field(default_factory=RenderOptions)
    provenance: bool = True


#: Provenance, as response data, of the paths only the shared layers (the chart's defaults,
#: the channel spec: built once, the same objects for every request) have a say at: most of
#: a spec's paths, and the same answer for every request.
_SHARED_CHAINS: Memo[tuple[Any, ...], tuple[Chain, dict[str, Any]]] = Memo(4096)
_SHARED_LAYERS = frozenset({"chart", "channel"})
#: The same, by the very chain object (see :func:`provenance_dicts`); apart, so that chains
#: made anew per request, filling this one, never clear the answers above.
_SAME_CHAINS: Memo[tuple[Any, ...], tuple[Chain, dict[str, Any]]] = Memo(4096)


def provenance_dicts(p: Plan, redactor: Redactor) -> list[dict[str, Any]]:
    """``[chain_dict(c, redactor) for c in p.effective.provenance().values()]``, with the
    chains of shared layers answered from :data:`_SHARED_CHAINS`. A remembered answer is
    used only for an equal chain: same path, no cut, same layer names, sources and ops, the
    very same value objects, and the same redaction key, reveal and schema. (Masking such a
    chain teaches the redactor nothing :meth:`Plan.masked` did not: its winner is in the
    effective spec and what it shadows is the chart's public default.) The very same chain
    object (the provenance walk remembers the chains of shared subtrees) is found by its id."""
    shared = [layer.name in _SHARED_LAYERS and trusted(layer) for layer in p.layers]
    context = (redaction_key(), redactor.reveal, id(redactor.schema))
    out = []
    for c in p.effective.provenance().values():
        if c.cut is not None or not c.entries or not all(shared[e.index] for e in c.entries):
            out.append(chain_dict(c, redactor))
            continue
        same = _SAME_CHAINS.get((context, id(c)))
        if same is not None and same[0] is c:
            out.append(same[1])
            continue
        key = (context, c.path, tuple((e.layer, e.source, e.op, id(e.value)) for e in c.entries))
        hit = _SHARED_CHAINS.get(key)
        if hit is None or any(a.value is not b.value for a, b in zip(hit[0].entries, c.entries)):
            hit = _SHARED_CHAINS.put(key, (c, chain_dict(c, redactor)))  # the chain keeps its values' ids taken
        out.append(_SAME_CHAINS.put((context, id(c)), (c, hit[1]))[1])  # the entry keeps c's id taken
    return out


class Previews:
    """The service's previews and stored-values views over one resolver and store: each
    builds its layers, runs :func:`specmerge.pipeline.plan` and answers masked data."""

    def __init__(self, resolver: Resolver, store: ValuesStore, metrics: Metrics, channel: str = "stable") -> None:
        self.resolver, self.store, self.metrics, self.channel = resolver, store, metrics, channel

    def resolve(self, request: ChannelRequest) -> ChannelResult:
        """Raises ChannelUnavailable (no source has the release)."""
        result = self.resolver.resolve(request)
        self.metrics.channel.labels(result.source, str(result.degraded).lower()).inc()
        return result

    def _plan(self, channel: ChannelResult, user: Layer | None, **more: Any) -> Plan:
        with self.metrics.timed("merge_validate"):
            return plan(PlanInputs(channel=channel.spec, user=user, render=False, **more))

    def cr_layer(self, instance: Instance) -> Layer | None:
        """The instance's CR layer (its ``spec.values``), when the store knows a CR."""
        found = self.store.cr(instance)
        return None if found is None else layer_from_values("cr", found[0], found[1])

    def would_be(self, instance: Instance, values: Mapping[str, Any]) -> tuple[Plan, ChannelResult]:
        """The effective spec the instance would have with ``values`` as its user layer
        (and its CR's values above it, as the reconcile would merge them)."""
        user = layer_from_values("user", self.store.locator(instance), values)
        cr = self.cr_layer(instance)
        result = self.resolve(ChannelRequest(self.channel, pinned_release(user, cr)))
        return self._plan(result, user, cr=cr), result

    def render(self, p: Plan, options: RenderOptions, reveal: bool = False) -> Shown:
        """What a preview shows of a valid plan's render: the masked render (design.md §5),
        made without the real one unless a template refuses a placeholder."""
        with self.metrics.timed("render"):
            return Rendering(p.chart, p.effective, options, p.helm_values).shown(reveal)  # the plan's Helm values

    def stored(self, instance: Instance) -> Stored:
        found = self.store.get(instance)
        if found is None:
            raise InstanceNotFound(f"no console values stored for {instance}")
        return found

    def preview(self, req: PreviewInputs, reveal: bool, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        """The preview response body (masked unless ``reveal``). ``deadline`` is checked
        between stages: past it, :class:`~.limits.DeadlinePassed` stops the work."""
        user: Layer | None = None
        if req.user is not None:
            # a console's draft holds the secrets it was shown as placeholders: preview the stored ones
            stored = self.store.get(req.instance) if req.instance is not None else None
            draft, _ = restore_placeholders(req.user, stored.values if stored else None)
            user = layer_from_values("user", "request:user", draft)
        elif req.instance is not None:
            user = layer_from_values("user", self.store.locator(req.instance), self.stored(req.instance).values)
        if req.cr is not None:
            cr = layer_from_values("cr", "request:cr", req.cr)
        else:
            cr = self.cr_layer(req.instance) if req.instance is not None else None
        operator = layer_from_values("operator", "request:operator", req.operator) if req.operator is not None else None
        extra = tuple(layer_from_values(name, f"request:overrides[{i}]", values)
                      for i, (name, values) in enumerate(req.overrides))
        release = req.release or pinned_release(user, cr)
        channel = self.resolve(ChannelRequest(req.channel or self.channel, release))
        p = self._plan(channel, user, cr=cr, operator=operator, extra=extra, options=req.options)
        deadline.check("masking")
        redactor, values = p.masked(reveal)
        deadline.check("provenance")
        body: dict[str, Any] = {
            "ok": p.ok,
            "channel": channel.to_dict(),
            "chart": {"locator": p.chart.locator, "digest": p.chart_digest},
            "layers": [{"name": layer.name, "source": layer.source} for layer in p.layers],
            "values": values,
            "warnings": [warning_dict(w, redactor) for w in p.warnings],
            "violations": violations_list(p.violations, redactor),
            "provenance": provenance_dicts(p, redactor) if req.provenance else None,
            "manifests": None,
            "diff": None,
        }
        body["warnings"] += [{"kind": "WeakSecret", "message": m} for m in redactor.weak_warnings()]
        if req.render and p.ok:
            deadline.check("rendering")
            shown = self.render(p, req.options, reveal)
            docs = shown.documents(redactor)
            body["manifests"] = [{"template": d.template, "index": d.index, "text": d.text} for d in docs]
            if shown.fallback is not None:
                body["warnings"].append({"kind": "RenderFallback", "message": shown.note()})
        if req.instance is not None:
            deadline.check("the diff")
            body["diff"] = self._diff(req.instance, p, redactor)
        return body

    def _diff(self, instance: Instance, p: Plan, redactor: Redactor) -> dict[str, Any]:
        """What this preview changes against the instance's active spec (specmerge.diff)."""
        active = self.store.active(instance)
        if active is None:
            return {"active": False, "changes": []}
        redactor.learn(active)
        old = stored_side(StoredSpec(active, None, {}, f"active:{instance}"), "active", None, None)
        changes = diff_values(old, plan_side(p, "preview"), redactor)
        return {"active": True, "changes": [value_change_dict(c) for c in changes]}

    def redactor_for(self, instance: Instance, values: Mapping[str, Any], reveal: bool) -> Redactor:
        """The redactor of the chart the instance's values would be rendered with."""
        p, _ = self.would_be(instance, values)
        return p.redactor(reveal)
