"""The console page's routes: the instances a caller may read (``GET /v1/instances``), a
channel's known releases (``GET /v1/channels/{channel}/releases``) and the page itself at
``/console/``. What they list is worked out in :mod:`..console`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import RedirectResponse

from ..console import CHANNEL_NAME, ConsoleFiles, InstanceList, ReleaseList, console_dir, instances, releases
from ..responses import FastJSONResponse as JSONResponse
from .deps import Caller, Env, problem_responses

router = APIRouter(tags=["console"])
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/v1/instances", response_model=InstanceList, responses=problem_responses(401, 422, 503))
def list_instances(principal: Caller, rt: Env) -> JSONResponse:
    store, auth = rt.service.store, rt.service.auth
    body = [{"namespace": i.namespace, "name": i.name, "source": store.locator(i)}
            for i in instances(store) if auth.may_read(principal, i)]
    return JSONResponse({"instances": body}, headers=NO_STORE)


@router.get("/v1/channels/{channel}/releases", response_model=ReleaseList, responses=problem_responses(401, 422, 503))
def list_releases(channel: Annotated[str, Path(pattern=CHANNEL_NAME)], _principal: Caller, rt: Env) -> JSONResponse:
    return JSONResponse(releases(rt.previews, channel), headers=NO_STORE)


def mount_console(app: FastAPI) -> None:
    """``/console/`` serves the page; ``/console`` redirects there (relative URLs need the slash)."""

    @app.get("/console", include_in_schema=False)
    def console_slash() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=308)

    app.mount("/console/", ConsoleFiles(directory=console_dir(), html=True), name="console")
