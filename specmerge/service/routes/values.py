"""The console-values API: ``GET``/``PUT``/``PATCH /v1/instances/{namespace}/{name}/user-values``,
an instance's stored ``user`` layer with a strong ETag.

A write needs ``If-Match: <etag>`` (or ``If-None-Match: *`` to create): 428 without, 412 when
stale. It is stored only when the would-be effective spec is valid and renders (422 names
what is wrong; nothing is stored). Redacted placeholders the console was shown are put back
to the stored secrets they stand for (:mod:`..values_edit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ...channels import ChannelRequestError, ChannelUnavailable
from ...core import Redactor, to_pointer
from ...core import violations_list
from ...pipeline import bundled_chart_ref
from ...render import RenderError, RenderOptions, load_chart
from ..limits import check_leaves
from ..models import VALUES_BODY, UserValues
from ..problems import HTTPProblem
from ..responses import FastJSONResponse as JSONResponse
from ..specs import InstanceNotFound
from ..state import Runtime
from ..store import Instance, Stored
from ..values_edit import merge_patch, restore_placeholders
from .deps import MERGE_PATCH, Access, Env, patch_body, problem_responses, put_body, reading, writing

#: Helm's limit on release names (53): an instance name past it renders with the default.
RELEASE_NAME_MAX = 53
PATH = "/v1/instances/{namespace}/{name}/user-values"
WRITE_RESPONSES = problem_responses(400, 401, 403, 404, 412, 413, 415, 422, 428, 503)
PRECONDITIONS = [
    {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "The ETag of the values this write replaces (strong comparison)."},
    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string", "enum": ["*"]},
     "description": "`*`: create; fails with 412 when values are already stored."},
]
Build = Callable[[Stored | None], dict[str, Any]]

router = APIRouter(tags=["console"])


def _match(header: str, etag: str | None) -> bool:
    """Strong comparison (RFC 9110 §13.1.1): weak tags never match an If-Match."""
    tags = [t.strip() for t in header.split(",")]
    return etag is not None and ("*" in tags or etag in tags)


def expected_etag(if_match: str | None, if_none_match: str | None, current: Stored | None) -> str | None:
    """The ETag a write may replace, from its preconditions; raises 428 or 412."""
    if if_match is None and if_none_match is None:
        raise HTTPProblem(428, "a write needs If-Match: <etag> (or If-None-Match: * to create)")
    if if_match is not None:
        if current is None or not _match(if_match, current.etag):
            raise HTTPProblem(412, "the stored values changed since they were read (stale If-Match)")
        return current.etag
    assert if_none_match is not None
    if if_none_match.strip() != "*":
        raise HTTPProblem(428, "only If-None-Match: * (create) is supported on writes")
    if current is not None:
        raise HTTPProblem(412, "values already stored for this instance (If-None-Match: *)")
    return None


def instance_render_options(inst: Instance) -> RenderOptions:
    """How a console write is rendered before it is stored: the instance's name and namespace."""
    if len(inst.name) <= RELEASE_NAME_MAX:
        return RenderOptions(name=inst.name, namespace=inst.namespace)
    return RenderOptions(namespace=inst.namespace)


def values_response(rt: Runtime, inst: Instance, stored: Stored, reveal: bool) -> JSONResponse:
    """The stored values, masked with the redactor of the chart they would render with."""
    try:
        redactor = rt.previews.redactor_for(inst, stored.values, reveal)
    except (ChannelRequestError, ChannelUnavailable, RenderError):  # the bundled chart's schema, then
        redactor = Redactor(load_chart(bundled_chart_ref()).schema, reveal=reveal)
    body = {"instance": str(inst), "source": rt.service.store.locator(inst), "etag": stored.etag,
            "values": redactor.mask(stored.values)}
    return JSONResponse(body, headers={"ETag": stored.etag, "Cache-Control": "no-store"})


@router.get(PATH, response_model=UserValues, responses=problem_responses(401, 403, 404, 422, 503))
def get_values(access: Annotated[Access, Depends(reading)], rt: Env) -> JSONResponse:
    return values_response(rt, access.instance, rt.previews.stored(access.instance), access.reveal)


def _checked(rt: Runtime, inst: Instance, new: dict[str, Any], unresolved: list[Any]) -> None:
    """Refuse (422) what must not be stored: unresolved placeholders, more values than the
    limit, a would-be spec that is invalid or does not render."""
    check_leaves([new], rt.service.settings.max_leaves, "the console values")
    if unresolved:
        raise HTTPProblem(422, "redacted placeholders that stand for no stored value",
                          placeholders=[to_pointer(p) for p in unresolved])
    p, _ = rt.previews.would_be(inst, new)
    if p.violations:
        raise HTTPProblem(422, "the would-be effective spec is invalid; nothing stored",
                          violations=violations_list(p.violations, p.redactor()))
    try:  # a write that cannot render would break every later preview and reconcile
        rt.previews.render(p, instance_render_options(inst))
    except RenderError as exc:
        raise HTTPProblem(422, f"the would-be spec does not render; nothing stored: {exc}",
                          layer="user", source=rt.service.store.locator(inst)) from None


def write(rt: Runtime, inst: Instance, headers: dict[str, str | None], build: Build, patch: bool = False) -> JSONResponse:
    """Store ``build(current)`` as the instance's values, under the request's preconditions."""
    current = rt.service.store.get(inst)
    if current is None and patch:
        raise InstanceNotFound(f"no console values stored for {inst}")
    expected = expected_etag(headers["if-match"], headers["if-none-match"], current)
    new, unresolved = restore_placeholders(build(current), current.values if current else None)
    _checked(rt, inst, new, unresolved)
    stored = rt.service.store.put(inst, new, expected)
    return values_response(rt, inst, stored, False)


def _preconditions(request: Request) -> dict[str, str | None]:
    return {name: request.headers.get(name) for name in ("if-match", "if-none-match")}


def _write_doc(content_type: str) -> dict[str, Any]:
    """A write's OpenAPI extras: its precondition headers and its body (read by hand)."""
    body = {"required": True, "content": {content_type: {"schema": VALUES_BODY}}}
    return {"parameters": PRECONDITIONS, "requestBody": body}


@router.put(PATH, response_model=UserValues, responses=WRITE_RESPONSES, openapi_extra=_write_doc("application/json"))
async def put_values(request: Request, values: Annotated[dict[str, Any], Depends(put_body)],
                     access: Annotated[Access, Depends(writing)], rt: Env) -> JSONResponse:
    return await run_in_threadpool(write, rt, access.instance, _preconditions(request), lambda _current: values)


@router.patch(PATH, response_model=UserValues, responses=WRITE_RESPONSES, openapi_extra=_write_doc(MERGE_PATCH))
async def patch_values(request: Request, patch: Annotated[dict[str, Any], Depends(patch_body)],
                       access: Annotated[Access, Depends(writing)], rt: Env) -> JSONResponse:
    def build(current: Stored | None) -> dict[str, Any]:
        return merge_patch(current.values if current else {}, patch)

    return await run_in_threadpool(write, rt, access.instance, _preconditions(request), build, True)
