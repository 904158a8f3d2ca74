"""The layer: one named, located source of values.

Layers are merged lowest precedence first. The pipeline's canonical names, in that
order, are ``chart``, ``operator``, ``channel``, ``user``, ``cr``; the CLI adds one group
above them, Helm's ``-f`` and ``--set*`` composed as Helm composes them
(:mod:`specmerge.core.setflags`), whose provenance names a ``file`` or ``set`` per leaf. A layer never changes once
made: loaders build its values as plain ``dict``/``list``/scalars and nothing mutates them.

Line and column positions are optional and may be computed lazily (see
:class:`Positions`): the hot path loads YAML with the fast C loader, and the round-trip
parse that knows lines only runs when an error or ``explain`` needs a position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .paths import Path

#: Precedence of the pipeline's layers, lowest first.
LAYER_ORDER: tuple[str, ...] = ("chart", "operator", "channel", "user", "cr")

#: Top-level keys with this prefix steer specmerge (``_releaseId`` pins a channel
#: release). They are stripped before values reach validation or Helm.
CONTROL_PREFIX = "_"

#: Only these layers may set control keys (design.md §6).
STEERING_LAYERS: frozenset[str] = frozenset({"user", "cr"})

Position = tuple[int, int]  # 1-based line, 1-based column


class Positions:
    """Line/column per path, computed on first use and then kept."""

    __slots__ = ("_compute", "_table")

    def __init__(
        self,
        table: Mapping[Path, Position] | None = None,
        compute: Callable[[], Mapping[Path, Position]] | None = None,
    ) -> None:
        self._table = dict(table) if table is not None else None
        self._compute = compute

    @classmethod
    def of_yaml(cls, text: str) -> Positions:
        """The line and column of each key and item of the YAML ``text``, parsed on first use
        (nothing is read now: for values another reader took, as Helm's reading of a chart's
        defaults)."""
        from .loaders import text_positions

        return text_positions(text)

    def table(self) -> Mapping[Path, Position]:
        if self._table is None:
            self._table = dict(self._compute()) if self._compute else {}
            self._compute = None
        return self._table

    def find(self, path: Path) -> tuple[Path, Position] | None:
        """The position of ``path``, or of its nearest ancestor that has one."""
        table = self.table()
        if not table:
            return None
        for n in range(len(path), -1, -1):
            pos = table.get(path[:n])
            if pos is not None:
                return path[:n], pos
        return None


@dataclass(frozen=True, slots=True)
class Layer:
    """``(name, source, values)``; ``source`` is a human-readable locator such as
    ``file:env/prod.yaml``, ``channel:stable@0.62.0`` or ``secret:ns/demo-spec-user#values``."""

    name: str
    source: str
    values: Mapping[str, Any]
    positions: Positions = field(default_factory=Positions, compare=False, repr=False)
    #: Per-leaf provenance of a layer built from several sources (the CLI's ``-f``/``--set*``
    #: group): ``path -> (name, locator)``, or ``None`` where the layer's own name/source apply.
    origins: Callable[[Path], tuple[str, str] | None] | None = field(default=None, compare=False, repr=False)
    #: A null here deletes only what a lower layer has; elsewhere it stays a null value
    #: (Helm's coalesce of user values: design.md §2).
    keep_nulls: bool = False
    #: Paths this layer had as ``key: null`` and does not carry (a chart's own null defaults,
    #: which Helm drops): no value, but a key all the same, so a ``keep_nulls`` null above deletes there.
    null_keys: frozenset[Path] = field(default=frozenset(), compare=False, repr=False)

    def name_at(self, path: Path) -> str:
        """The name provenance gives ``path`` (``file``/``set`` inside the CLI's group)."""
        if self.origins is not None:
            found = self.origins(path)
            if found is not None:
                return found[0]
        return self.name

    def locate(self, path: Path) -> str:
        """The source locator of ``path``, with ``:line:col`` when known (``file:a.yaml:12:5``)."""
        if self.origins is not None:
            hit = self.origins(path)
            if hit is not None:
                return hit[1]
        found = self.positions.find(path)
        if found is None or (not found[0] and path):
            return self.source
        line, col = found[1]
        return f"{self.source}:{line}:{col}"

    def controls(self) -> dict[str, Any]:
        """This layer's top-level control keys (``_releaseId`` ...)."""
        return {k: v for k, v in self.values.items() if k.startswith(CONTROL_PREFIX)}


def layer_from_values(name: str, source: str, values: Mapping[str, Any] | None) -> Layer:
    """A layer from values already in memory (a channel response, a Secret, a CR)."""
    return Layer(name=name, source=source, values=dict(values or {}))


def strip_controls(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values without their top-level control keys: what validation and Helm see."""
    return {k: v for k, v in values.items() if not k.startswith(CONTROL_PREFIX)}
