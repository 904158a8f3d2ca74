"""The one input assembler: an instance (CR + ``-spec-user`` + a channel answer) -> ``PlanInputs``.

Layers, lowest first: the chart's defaults, ``operator`` (when the caller has operator
defaults), ``channel``, ``user`` (``<name>-spec-user#values``), ``cr`` (``spec.values``).
The chart is the CR's ``spec.chart`` when set, else the channel spec's. The release a
channel is asked for follows the one ``_releaseId`` rule,
:func:`specmerge.channels.release_pin`. Problems the user must fix raise
:class:`~.errors.PermanentError`.
"""

from __future__ import annotations

from pathlib import Path

from ..channels import ChannelRequest, ChannelRequestError
from ..core import Layer
from ..locations import repo_root
from ..pipeline import ChannelLike, PlanInputs
from ..render import ChartCache, ChartRefError, RenderOptions, parse_chart_ref
from .errors import PermanentError
from .incumbent import normalise_chart
from .state import InstanceSpec


def channel_request(instance: InstanceSpec, default_channel: str = "stable") -> ChannelRequest:
    """What to ask the channel for: ``spec.channel`` (else ``default_channel``), pinned by ``_releaseId``."""
    try:
        return ChannelRequest.for_layers(instance.channel or default_channel, instance.user_layer(), instance.cr_layer())
    except ChannelRequestError as exc:
        raise PermanentError(instance.cr_locator, str(exc)) from None


def plan_inputs(
    instance: InstanceSpec,
    channel: ChannelLike | None,
    *,
    options: RenderOptions | None = None,
    operator: Layer | None = None,
    offline: bool = False,
    cache: ChartCache | None = None,
    base: Path | None = None,
) -> PlanInputs:
    """The pipeline's inputs for ``instance``; release name and namespace are the instance's own
    unless ``options`` says otherwise."""
    chart = None
    if instance.cr_chart is not None:
        try:
            chart = parse_chart_ref(normalise_chart(instance.cr_chart), base=base or repo_root(),
                                    where=f"{instance.cr_locator} spec.chart")
        except ChartRefError as exc:
            raise PermanentError(instance.cr_locator, str(exc)) from None
    return PlanInputs(
        chart=chart,
        channel=channel,
        operator=operator,
        user=instance.user_layer(),
        cr=instance.cr_layer(),
        options=options or RenderOptions(name=instance.name, namespace=instance.namespace),
        offline=offline,
        cache=cache,
    )


__all__ = ["channel_request", "plan_inputs"]
