"""``POST /v1/preview``: the effective values of a set of layers, with provenance, and
optionally the rendered manifests and the diff against an instance's active spec. The work
itself is :meth:`~..specs.Previews.preview`; this route checks the caller's rights and the
request's size, and runs previews one at a time on their own thread (:data:`..state.PREVIEW_THREADS`)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Query, Request

from ...render import RenderOptions
from ..auth import Principal
from ..limits import Deadline, check_leaves
from ..models import PreviewRequest, PreviewResponse
from ..responses import FastJSONResponse as JSONResponse
from ..specs import PreviewInputs
from ..state import Runtime
from ..store import Instance
from .deps import Caller, Env, allowed, json_body, problem_responses, reveal_wanted

router = APIRouter(tags=["preview"])


@router.post("/v1/preview", response_model=PreviewResponse,
             responses=problem_responses(400, 401, 403, 404, 413, 422, 503, 504))
async def preview(request: Request, body: PreviewRequest, rt: Env, principal: Caller,
                  showSecrets: bool = Query(False)) -> JSONResponse:
    await json_body(request, "request:body")  # one rule for every body: duplicate keys are refused (400)
    deadline = Deadline.after(rt.service.settings.request_timeout)
    return await anyio.to_thread.run_sync(run_preview, rt, principal, body, showSecrets, deadline, limiter=rt.cpu)


def preview_inputs(body: PreviewRequest, inst: Instance | None) -> PreviewInputs:
    """The request in the preview's plain terms."""
    return PreviewInputs(
        instance=inst,
        channel=body.channel.name if body.channel else None,
        release=body.channel.release if body.channel else None,
        operator=body.operator, user=body.user, cr=body.cr,
        overrides=tuple((o.name, o.values) for o in body.overrides),
        render=body.render.enabled,
        options=RenderOptions(name=body.render.releaseName, namespace=body.render.namespace),
        provenance=body.provenance,
    )


def run_preview(rt: Runtime, principal: Principal, body: PreviewRequest, show: bool, deadline: Deadline) -> JSONResponse:
    deadline.check("the preview started")  # it waited its turn past the timeout: nobody is listening
    auth = rt.service.auth
    inst = Instance(body.instance.namespace, body.instance.name) if body.instance else None
    if inst is not None:
        allowed(auth.may_read(principal, inst), f"read the console values of {inst}")
    reveal = reveal_wanted(auth, principal, show, inst.namespace if inst else None)
    check_leaves([body.operator, body.user, body.cr, *(o.values for o in body.overrides)],
                 rt.service.settings.max_leaves, "the preview request")
    return JSONResponse(rt.previews.preview(preview_inputs(body, inst), reveal, deadline))
