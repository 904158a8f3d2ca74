"""What an incumbent operator's channel client (the W&B operator v1's Go client) can load.

A site migrating to specmerge may keep old operators polling the same channel server for a
while. Their client decodes ``metadata`` as a map of strings and reads a ``{"path": ...}``
chart as a packaged chart file: a spec whose metadata holds a number or a boolean, or whose
chart path is a directory, serves specmerge well and breaks that client. The channel server
lists such specs once at start-up (:func:`incumbent_problems`), so nobody learns it from an
old operator's crash loop.
"""

from __future__ import annotations

from pathlib import Path

from ..core import type_name
from ..locations import repo_root
from .spec import ChannelSpec


def incumbent_problems(spec: ChannelSpec, base: Path | None = None) -> list[str]:
    """Why an incumbent client could not load ``spec`` (empty: it can). A relative chart path
    resolves against ``base`` (default: :func:`~specmerge.locations.repo_root`, as ours does)."""
    problems = [f"metadata.{key} is not a string ({type_name(value)})"
                for key, value in spec.metadata.items() if not isinstance(value, str)]
    path = spec.chart.get("path")
    if isinstance(path, str):
        where = Path(path) if Path(path).is_absolute() else (base or repo_root()) / path
        if where.is_dir():
            problems.append(f"chart.path {path} is a directory, not a packaged chart (.tgz)")
        elif not where.is_file():
            problems.append(f"chart.path {path} does not exist")
    return problems


__all__ = ["incumbent_problems"]
