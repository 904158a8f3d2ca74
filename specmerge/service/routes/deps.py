"""What the routes depend on (FastAPI ``Depends``): the app's :class:`~..state.Runtime`, who
is calling, what they may do, and a request body read as strict JSON.

Authentication happens once, in :func:`admit`, from the headers alone and before anything
reads the body: a caller without a valid token costs a header parse, never a 1 MiB JSON
parse. :func:`caller` then only picks up the principal ``admit`` stored in the scope.
Permissions are checked in the order the answers were always given: a malformed body or
path (400/415/422) before a refusal (403), a refusal before a missing document (404).
Errors are raised, never answered here: :mod:`..problems` maps them onto statuses.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ...core import LayerInputError, TooDeep, parse_json
from ..auth import Authenticator, AuthUnavailable, Principal, bearer
from ..middleware import Admit, Refusal
from ..models import DNS_LABEL, Problem
from ..problems import HTTPProblem
from ..state import Runtime
from ..store import Instance

API_PREFIX = "/v1/"
PRINCIPAL = "principal"  # the scope state key of the caller the guard authenticated
UNAUTHENTICATED = "bearer token required"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="specmerge"'}
MERGE_PATCH = "application/merge-patch+json"
Namespace = Annotated[str, Path(pattern=DNS_LABEL, max_length=63)]
Name = Annotated[str, Path(pattern=DNS_LABEL, max_length=63)]


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route's error statuses (each a :class:`Problem`)."""
    return {code: {"model": Problem} for code in codes}


async def authenticated(auth: Authenticator, token: str | None) -> Principal | None:
    """``auth.authenticate(token)``: at once for an authenticator that answers from memory,
    else on a thread (it may ask the apiserver)."""
    if getattr(auth, "in_memory", False):
        return auth.authenticate(token)
    return await run_in_threadpool(auth.authenticate, token)


def admit_with(auth: Authenticator) -> Admit:
    """The guard's ``admit``: authenticate an API request from its headers alone."""

    async def admit(scope: MutableMapping[str, Any]) -> Refusal | None:
        if not str(scope.get("path", "")).startswith(API_PREFIX) or scope.get("method") == "OPTIONS":
            return None  # not the API, or a CORS preflight (browsers send it without credentials)
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"), None)
        try:
            principal = await authenticated(auth, bearer(header))
        except AuthUnavailable as exc:
            return Refusal(503, str(exc))
        if principal is None:
            return Refusal(401, UNAUTHENTICATED, CHALLENGE)
        scope.setdefault("state", {})[PRINCIPAL] = principal
        return None

    return admit


async def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


Env = Annotated[Runtime, Depends(runtime)]


async def caller(request: Request, rt: Env) -> Principal:
    """Who is calling: the principal :func:`admit` found (401 when there is none)."""
    known = request.scope.get("state", {}).get(PRINCIPAL)
    if isinstance(known, Principal):
        return known
    principal = await authenticated(rt.service.auth, bearer(request.headers.get("authorization")))
    if principal is None:
        raise HTTPProblem(401, UNAUTHENTICATED, CHALLENGE)
    return principal


Caller = Annotated[Principal, Depends(caller)]


def allowed(ok: bool, what: str) -> None:
    """403 unless ``ok`` (an :class:`~..auth.AuthUnavailable` on the way is a 503)."""
    if not ok:
        raise HTTPProblem(403, f"not allowed to {what}")


def reveal_wanted(auth: Authenticator, principal: Principal, show: bool, namespace: str | None) -> bool:
    """``showSecrets``, once the caller may reveal secrets in ``namespace``."""
    if show:
        allowed(auth.may_reveal(principal, namespace), "reveal secrets (showSecrets=true)")
    return show


def instance_path(namespace: Namespace, name: Name) -> Instance:
    return Instance(namespace, name)


PathInstance = Annotated[Instance, Depends(instance_path)]


@dataclass(frozen=True)
class Access:
    """An instance the caller may use, and whether they see its secrets."""

    instance: Instance
    principal: Principal
    reveal: bool = False


def reading(inst: PathInstance, rt: Env, principal: Caller, showSecrets: bool = Query(False)) -> Access:
    """The path's instance, once the caller may read it (and reveal, when asked)."""
    auth = rt.service.auth
    allowed(auth.may_read(principal, inst), f"read the console values of {inst}")
    return Access(inst, principal, reveal_wanted(auth, principal, showSecrets, inst.namespace))


def writing(inst: PathInstance, rt: Env, principal: Caller) -> Access:
    """The path's instance, once the caller may write it."""
    allowed(rt.service.auth.may_write(principal, inst), f"write the console values of {inst}")
    return Access(inst, principal)


async def json_body(request: Request, source: str) -> dict[str, Any]:
    """The body as a JSON object, by the one rule for every body (duplicate keys: 400)."""
    raw = await request.body()
    try:
        return parse_json(raw.decode("utf-8"), source)
    except UnicodeDecodeError:
        raise HTTPProblem(400, "body is not UTF-8") from None
    except TooDeep as exc:
        raise HTTPProblem(422, f"body: {exc.reason}") from None
    except LayerInputError as exc:
        raise HTTPProblem(400, f"body: {exc.reason}") from None


async def put_body(request: Request, _inst: PathInstance) -> dict[str, Any]:
    """A PUT's values (read only once the path names an instance)."""
    return await json_body(request, "request:body")


async def patch_body(request: Request, _inst: PathInstance) -> dict[str, Any]:
    """A PATCH's merge patch: RFC 7396's content type (415), then the body."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != MERGE_PATCH:
        raise HTTPProblem(415, f"PATCH needs Content-Type: {MERGE_PATCH} (RFC 7396)")
    return await json_body(request, "request:patch")
