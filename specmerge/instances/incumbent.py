"""Reading state Secrets the incumbent (W&B-style Go) operator wrote, without loss.

Its Secrets differ from ours in spelling, not meaning:

* chart objects carry client-side extras: ``"username": ""``, ``"password": ""``,
  ``"debug": false``, ``plainHTTP`` (ours: ``plainHttp``) and an empty ``version``;
* ``metadata`` holds only ``{"version": ...}`` (no channel, releaseId or publishedAt);
* ``<name>-latest-cached-release`` may hold the instance's *pinned* release.

:func:`normalise_chart` maps a chart object onto our forms (empty credentials and a false
``debug`` mean "none"; ``plainHTTP`` is ``plainHttp``; an empty version is absent).
:func:`cached_release` turns a ``-latest-cached-release`` Secret's parts into a channel spec
document, filling what the incumbent left out from what the operator knows, and says
whether it is a pin, which is never served to unpinned instances.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EPOCH = "1970-01-01T00:00:00Z"


def normalise_chart(chart: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(chart)
    for key in ("username", "password", "version"):
        if out.get(key) == "":
            del out[key]
    if out.get("debug") is False:
        del out["debug"]
    if "plainHTTP" in out:
        plain = out.pop("plainHTTP")
        if str(out.get("url", "")).startswith("oci://"):
            out.setdefault("plainHttp", plain)
        elif plain not in (False, None):
            out["plainHTTP"] = plain  # not a repo option of ours: left for the chart-ref check to name
    return out


def cached_release(parts: Mapping[str, Any], channel: str, pinned: str | None) -> tuple[dict[str, Any], bool]:
    """``(channel spec document, is_pin)`` from a ``-latest-cached-release`` Secret's parts.

    ``channel`` is the instance's channel; ``pinned`` its ``_releaseId`` (or ``None``). An
    entry whose version or releaseId equals the pin is a pin: it may answer that instance
    only, never the channel's latest.
    """
    metadata = dict(parts.get("metadata") or {})
    version = str(metadata.get("version") or "")
    metadata.setdefault("channel", channel)
    metadata.setdefault("releaseId", version)
    metadata.setdefault("publishedAt", EPOCH)
    chart = normalise_chart(parts.get("chart") or {})
    doc = {"metadata": metadata, "chart": chart, "values": dict(parts.get("values") or {})}
    is_pin = pinned is not None and pinned in (version, metadata.get("releaseId"))
    return doc, is_pin


__all__ = ["cached_release", "normalise_chart"]
