"""What a plan depends on (:class:`PlanInputs`) and what it needs of a channel spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..core import Layer
from ..render import ChartCache, ChartRef, RenderOptions


class ChannelLike(Protocol):
    """What the pipeline needs of a channel spec (:class:`specmerge.channels.ChannelSpec`)."""

    @property
    def chart(self) -> Mapping[str, Any]: ...

    @property
    def locator(self) -> str: ...

    def layer(self) -> Layer: ...


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan depends on. Layers are built by the caller (files, Secrets, a CR);
    the channel spec is chosen by the caller (embedded, fetched, or last good)."""

    chart: ChartRef | None = None
    channel: ChannelLike | None = None
    operator: Layer | None = None
    user: Layer | None = None
    cr: Layer | None = None
    extra: tuple[Layer, ...] = ()
    options: RenderOptions = field(default_factory=RenderOptions)
    render: bool = True
    offline: bool = False  # remote charts only from the cache: airgapped mode
    cache: ChartCache | None = None
