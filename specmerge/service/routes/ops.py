"""Operations routes: liveness (``/healthz``), readiness (``/readyz``) and Prometheus
``/metrics``. None needs a token; only an authenticated caller is told why the service is
not ready (store, channel)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...channels import ChannelRequest, ChannelRequestError, ChannelUnavailable
from ..auth import AuthUnavailable, bearer
from ..models import Problem
from ..responses import FastJSONResponse as JSONResponse
from ..state import Runtime
from ..store import StoreError
from .deps import Env

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:  # on the event loop: no thread hop, nothing to wait for
    return {"status": "ok"}


def _problems(rt: Runtime) -> tuple[list[str], str | None]:
    """What keeps the service from being ready, and the channel it would answer with."""
    problems = []
    try:
        rt.service.store.ping()
    except StoreError as exc:
        problems.append(f"store: {exc}")
    try:
        channel = rt.previews.resolve(ChannelRequest(rt.service.settings.channel)).describe()
    except (ChannelUnavailable, ChannelRequestError) as exc:
        problems.append(f"channel: {exc}")
        channel = None
    return problems, channel


@router.get("/readyz", responses={503: {"model": Problem}})
def readyz(request: Request, rt: Env) -> JSONResponse:
    """Ready or not; only an authenticated caller is told what (store, channel, paths)."""
    try:
        detailed = rt.service.auth.authenticate(bearer(request.headers.get("authorization"))) is not None
    except AuthUnavailable:
        detailed = False
    problems, channel = _problems(rt)
    if problems:
        return JSONResponse({"detail": problems if detailed else "not ready"}, status_code=503)
    if not detailed:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "ready", "store": repr(rt.service.store), "channel": channel})


@router.get("/metrics", response_class=Response)
def metrics(rt: Env) -> Response:
    return Response(rt.service.metrics.render(), media_type=rt.service.metrics.content_type)
