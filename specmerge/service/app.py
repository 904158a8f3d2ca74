"""The FastAPI app: routes, auth checks and status codes. The logic lives in
:mod:`.specs` (pipeline), :mod:`.values_edit` (pure edits) and the store backends.

Status codes: 200; 400 malformed JSON; 401 no/bad bearer token; 403 not allowed (write,
or ``showSecrets``); 404 no stored values; 412 stale ``If-Match``; 413 body over the limit;
415 PATCH not ``application/merge-patch+json``; 422 invalid request or would-be spec;
428 write without ``If-Match``/``If-None-Match``; 503 not ready; 504 timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..channels import ChannelRequest, ChannelRequestError, ChannelUnavailable, Resolver
from ..core import LayerInputError, Redactor, TooDeep, parse_json, to_pointer, violations_list
from ..errors import SpecmergeError
from ..pipeline import bundled_chart_ref
from ..render import RenderError, RenderOptions, load_chart
from .auth import Authenticator, AuthUnavailable, Principal, bearer
from .console import console_router, mount_console
from .limits import Deadline, DeadlinePassed, TooMuchWork, check_leaves
from .metrics import Metrics
from .middleware import BodyTooLarge, Guard, Refusal, generic_500
from .responses import FastJSONResponse as JSONResponse
from .models import DNS_LABEL, VALUES_BODY, PreviewRequest, PreviewResponse, Problem, UserValues
from .settings import ServiceSettings
from .specs import InstanceNotFound, PreviewInputs, Specs
from .store import BadInstance, Instance, StaleETag, Stored, StoreError, ValuesStore
from .values_edit import merge_patch, restore_placeholders

log = logging.getLogger("specmerge.service")
MERGE_PATCH = "application/merge-patch+json"
API_PREFIX = "/v1/"
PRINCIPAL = "principal"  # the scope state key of the caller the guard authenticated
UNAUTHENTICATED = "bearer token required"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="specmerge"'}
#: Helm's limit on release names (53): an instance name past it renders with the default.
RELEASE_NAME_MAX = 53
PREVIEW_THREADS = 1
Namespace = Annotated[str, Path(pattern=DNS_LABEL, max_length=63)]
Name = Annotated[str, Path(pattern=DNS_LABEL, max_length=63)]


class HTTPProblem(SpecmergeError):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        self.status, self.detail, self.headers, self.extra = status, detail, headers, extra


@dataclass
class Service:
    settings: ServiceSettings
    store: ValuesStore
    resolver: Resolver
    auth: Authenticator
    metrics: Metrics


def _problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Problem} for code in codes}


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


def create_app(service: Service) -> Guard:
    s = service.settings
    specs = Specs(service.resolver, service.store, service.metrics, s.channel)
    app = FastAPI(title="specmerge", version="1", docs_url=None, redoc_url=None,
                  description="Preview effective Helm values with provenance; store the console (user) layer.")
    if s.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(s.cors_origins), allow_methods=["GET", "PUT", "PATCH", "POST"],
                           allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
                           expose_headers=["ETag", "X-Request-Id"])

    def rid(request: Request) -> str | None:
        return request.scope.get("state", {}).get("request_id")

    @app.exception_handler(HTTPProblem)
    async def _problem(request: Request, exc: HTTPProblem) -> JSONResponse:
        body = {"detail": exc.detail, "requestId": rid(request), **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse({"detail": f"request body over the {s.body_limit} byte limit", "requestId": rid(request)},
                            status_code=413)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Pydantic's errors echo the input ("input", "ctx"): it may be a secret. Keep where and why.
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors, "requestId": rid(request)}, status_code=422)

    app.add_exception_handler(Exception, generic_500)

    def who(request: Request) -> Principal:
        known = request.scope.get("state", {}).get(PRINCIPAL)
        if isinstance(known, Principal):  # the guard authenticated it before the body was read
            return known
        try:
            principal = service.auth.authenticate(bearer(request.headers.get("authorization")))
        except AuthUnavailable as exc:
            raise HTTPProblem(503, str(exc)) from None
        if principal is None:
            raise HTTPProblem(401, UNAUTHENTICATED, CHALLENGE)
        return principal

    async def admit(scope: MutableMapping[str, Any]) -> Refusal | None:
        """Authenticate an API request from its headers, before anything reads its body: a
        caller without a valid token costs a header parse, never a 1 MiB JSON parse."""
        if not str(scope.get("path", "")).startswith(API_PREFIX) or scope.get("method") == "OPTIONS":
            return None  # not the API, or a CORS preflight (browsers send it without credentials)
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"), None)
        try:
            principal = await run_in_threadpool(service.auth.authenticate, bearer(header))
        except AuthUnavailable as exc:
            return Refusal(503, str(exc))
        if principal is None:
            return Refusal(401, UNAUTHENTICATED, CHALLENGE)
        scope.setdefault("state", {})[PRINCIPAL] = principal
        return None

    def allowed(check: Callable[[], bool], what: str) -> None:
        try:
            ok = check()
        except AuthUnavailable as exc:
            raise HTTPProblem(503, str(exc)) from None
        if not ok:
            raise HTTPProblem(403, f"not allowed to {what}")

    def instance(namespace: str, name: str) -> Instance:
        try:
            return Instance(namespace, name)
        except BadInstance as exc:
            raise HTTPProblem(422, str(exc)) from None

    def guarded(fn: Callable[[], Any]) -> Any:
        """Map the domain's errors onto status codes (one place)."""
        try:
            return fn()
        except InstanceNotFound as exc:
            raise HTTPProblem(404, str(exc)) from None
        except TooMuchWork as exc:
            raise HTTPProblem(422, str(exc)) from None
        except DeadlinePassed as exc:
            log.warning("work stopped at its deadline: %s", exc)
            raise HTTPProblem(504, str(exc)) from None
        except StaleETag:
            raise HTTPProblem(412, "the stored values changed since they were read (stale If-Match)") from None
        except (ChannelRequestError, ChannelUnavailable, LayerInputError) as exc:
            raise HTTPProblem(422, str(exc)) from None
        except RenderError as exc:
            raise HTTPProblem(422, f"{type(exc).__name__}: {exc}") from None
        except StoreError as exc:
            raise HTTPProblem(503, f"store unavailable: {exc}") from None

    def fallback_redactor(reveal: bool) -> Redactor:
        return Redactor(load_chart(bundled_chart_ref()).schema, reveal=reveal)

    def values_response(inst: Instance, stored: Stored, reveal: bool) -> JSONResponse:
        try:
            redactor = specs.redactor_for(inst, stored.values, reveal)
        except (ChannelRequestError, ChannelUnavailable, RenderError):
            redactor = fallback_redactor(reveal)
        body = {"instance": str(inst), "source": service.store.locator(inst), "etag": stored.etag,
                "values": redactor.mask(stored.values)}
        return JSONResponse(body, headers={"ETag": stored.etag, "Cache-Control": "no-store"})

    def reveal_wanted(request: Request, principal: Principal, show: bool, namespace: str | None) -> bool:
        if show:
            allowed(lambda: service.auth.may_reveal(principal, namespace), "reveal secrets (showSecrets=true)")
        return show

    # -- ops ---------------------------------------------------------------------------
    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:  # on the event loop: no thread hop, nothing to wait for
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], responses={503: {"model": Problem}})
    def readyz(request: Request) -> JSONResponse:
        """Ready or not; only an authenticated caller is told what (store, channel, paths)."""
        try:
            detailed = service.auth.authenticate(bearer(request.headers.get("authorization"))) is not None
        except AuthUnavailable:
            detailed = False
        problems = []
        try:
            service.store.ping()
        except StoreError as exc:
            problems.append(f"store: {exc}")
        try:
            result = specs.resolve(ChannelRequest(s.channel))
            channel = result.describe()
        except (ChannelUnavailable, ChannelRequestError) as exc:
            problems.append(f"channel: {exc}")
            channel = None
        if problems:
            return JSONResponse({"detail": problems if detailed else "not ready"}, status_code=503)
        if not detailed:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "ready", "store": repr(service.store), "channel": channel})

    @app.get("/metrics", tags=["ops"], response_class=Response)
    def metrics() -> Response:
        return Response(service.metrics.render(), media_type=service.metrics.content_type)

    # Previews are CPU-bound Python: more threads than this only fight over the GIL and
    # stretch every request's latency; the rest wait their turn in order.
    cpu = anyio.CapacityLimiter(PREVIEW_THREADS)

    # -- preview -----------------------------------------------------------------------
    @app.post("/v1/preview", tags=["preview"], response_model=PreviewResponse,
              responses=_problem_responses(400, 401, 403, 404, 413, 422, 503, 504))
    async def preview(request: Request, body: PreviewRequest, showSecrets: bool = Query(False)) -> JSONResponse:
        await json_body(request, "request:body")  # one rule for every body: duplicate keys are refused (400)
        deadline = Deadline.after(s.request_timeout)
        return await anyio.to_thread.run_sync(run_preview, request, body, showSecrets, deadline, limiter=cpu)

    def run_preview(request: Request, body: PreviewRequest, showSecrets: bool, deadline: Deadline) -> JSONResponse:
        deadline.check("the preview started")  # it waited its turn past the timeout: nobody is listening
        principal = who(request)
        inst = instance(body.instance.namespace, body.instance.name) if body.instance else None
        if inst is not None:
            allowed(lambda: service.auth.may_read(principal, inst), f"read the console values of {inst}")
        reveal = reveal_wanted(request, principal, showSecrets, inst.namespace if inst else None)
        inputs = PreviewInputs(
            instance=inst,
            channel=body.channel.name if body.channel else None,
            release=body.channel.release if body.channel else None,
            operator=body.operator, user=body.user, cr=body.cr,
            overrides=tuple((o.name, o.values) for o in body.overrides),
            render=body.render.enabled,
            options=RenderOptions(name=body.render.releaseName, namespace=body.render.namespace),
            provenance=body.provenance,
        )
        guarded(lambda: check_leaves([body.operator, body.user, body.cr, *(o.values for o in body.overrides)],
                                     s.max_leaves, "the preview request"))
        return JSONResponse(guarded(lambda: specs.preview(inputs, reveal, deadline)))

    # -- console values ----------------------------------------------------------------
    path = "/v1/instances/{namespace}/{name}/user-values"

    @app.get(path, tags=["console"], response_model=UserValues, responses=_problem_responses(401, 403, 404, 422, 503))
    def get_values(request: Request, namespace: Namespace, name: Name, showSecrets: bool = Query(False)) -> JSONResponse:
        principal = who(request)
        inst = instance(namespace, name)
        allowed(lambda: service.auth.may_read(principal, inst), f"read the console values of {inst}")
        reveal = reveal_wanted(request, principal, showSecrets, namespace)
        stored = guarded(lambda: specs.stored(inst))
        return guarded(lambda: values_response(inst, stored, reveal))

    def write(request: Request, inst: Instance, build: Callable[[Stored | None], dict[str, Any]],
              patch: bool = False) -> JSONResponse:
        principal = who(request)
        allowed(lambda: service.auth.may_write(principal, inst), f"write the console values of {inst}")

        def run() -> JSONResponse:
            current = service.store.get(inst)
            if current is None and patch:
                raise InstanceNotFound(f"no console values stored for {inst}")
            expected = expected_etag(request.headers.get("if-match"), request.headers.get("if-none-match"), current)
            new, unresolved = restore_placeholders(build(current), current.values if current else None)
            check_leaves([new], s.max_leaves, "the console values")
            if unresolved:
                raise HTTPProblem(422, "redacted placeholders that stand for no stored value",
                                  placeholders=[to_pointer(p) for p in unresolved])
            p, _ = specs.would_be(inst, new)
            if p.violations:
                raise HTTPProblem(422, "the would-be effective spec is invalid; nothing stored",
                                  violations=violations_list(p.violations, p.redactor()))
            try:  # a write that cannot render would break every later preview and reconcile
                specs.render(p, instance_render_options(inst))
            except RenderError as exc:
                raise HTTPProblem(422, f"the would-be spec does not render; nothing stored: {exc}",
                                  layer="user", source=service.store.locator(inst)) from None
            stored = service.store.put(inst, new, expected)
            return values_response(inst, stored, False)

        return guarded(run)

    async def json_body(request: Request, source: str) -> dict[str, Any]:
        raw = await request.body()
        try:
            return parse_json(raw.decode("utf-8"), source)
        except UnicodeDecodeError:
            raise HTTPProblem(400, "body is not UTF-8") from None
        except TooDeep as exc:
            raise HTTPProblem(422, f"body: {exc.reason}") from None
        except LayerInputError as exc:
            raise HTTPProblem(400, f"body: {exc.reason}") from None

    write_responses = _problem_responses(400, 401, 403, 404, 412, 413, 415, 422, 428, 503)
    preconditions = [
        {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "The ETag of the values this write replaces (strong comparison)."},
        {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string", "enum": ["*"]},
         "description": "`*`: create; fails with 412 when values are already stored."},
    ]

    @app.put(path, tags=["console"], response_model=UserValues, responses=write_responses,
             openapi_extra={"parameters": preconditions,
                            "requestBody": {"required": True, "content": {"application/json": {"schema": VALUES_BODY}}}})
    async def put_values(request: Request, namespace: Namespace, name: Name) -> JSONResponse:
        inst = instance(namespace, name)
        values = await json_body(request, "request:body")
        return await run_in_threadpool(write, request, inst, lambda _current: values)

    @app.patch(path, tags=["console"], response_model=UserValues, responses=write_responses,
               openapi_extra={"parameters": preconditions,
                              "requestBody": {"required": True, "content": {MERGE_PATCH: {"schema": VALUES_BODY}}}})
    async def patch_values(request: Request, namespace: Namespace, name: Name) -> JSONResponse:
        inst = instance(namespace, name)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != MERGE_PATCH:
            raise HTTPProblem(415, f"PATCH needs Content-Type: {MERGE_PATCH} (RFC 7396)")
        patch = await json_body(request, "request:patch")

        def build(current: Stored | None) -> dict[str, Any]:
            return merge_patch(current.values if current else {}, patch)

        return await run_in_threadpool(write, request, inst, build, True)

    app.include_router(console_router(service.store, service.auth, specs, who, guarded))
    mount_console(app)
    return Guard(app, service.metrics, s.body_limit, s.request_timeout, admit)
