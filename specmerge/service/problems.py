"""The one place an error becomes an HTTP status and a problem body.

Every error answer is ``{"detail": ..., "requestId": ...}`` (plus, for some, ``violations``,
``placeholders``, ``layer``, ``source``). Two kinds reach the handlers:

* :class:`HTTPProblem`: a route's own answer about the HTTP exchange (401 without a token,
  403, 400 for a body that is not JSON, 412/428 preconditions, 415), status and all.
* Any other :class:`~specmerge.errors.SpecmergeError`: its status comes from :data:`RULES`,
  the first row whose class it is an instance of. The tree decides by default (an
  :class:`~specmerge.errors.InputError` is the caller's to fix: 422; an
  :class:`~specmerge.errors.UnavailableError` may pass: 503); the rows above the defaults
  name the classes that answer otherwise.

An error in the service's own configuration (its redaction key, its settings) is nobody's
input in the request: it gets the generic 500 and the log has it. So does any error that is
not a :class:`SpecmergeError` (:func:`.middleware.generic_500`). Status codes in use: 400,
401, 403, 404, 412, 413, 415, 422, 428, 503, 504; the guard answers 413/504 itself too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError

from ..channels import ChannelUnavailable
from ..errors import InputError, SpecmergeError, UnavailableError
from ..keys import RedactionKeyError
from ..render import RenderError
from .limits import DeadlinePassed
from .middleware import BodyTooLarge, generic_500
from .responses import FastJSONResponse as JSONResponse
from .settings import SettingsError
from .specs import InstanceNotFound
from .store import StaleETag, StoreError

STALE = "the stored values changed since they were read (stale If-Match)"


class HTTPProblem(SpecmergeError):
    """An answer a route gives about the exchange itself: its status, detail, headers and
    extra body fields are sent as they are."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers, extra


@dataclass(frozen=True)
class Rule:
    """Errors of ``kinds`` answer ``status`` with ``detail(error)``; ``status`` ``None``: the
    generic 500."""

    kinds: tuple[type[BaseException], ...]
    status: int | None
    detail: Callable[[BaseException], str] = str


def _named(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


#: First match wins: the specific rows, then the tree's two defaults.
RULES: tuple[Rule, ...] = (
    Rule((RedactionKeyError, SettingsError), None),  # the service's own configuration
    Rule((InstanceNotFound,), 404),
    Rule((StaleETag,), 412, lambda _exc: STALE),
    Rule((BodyTooLarge,), 413),
    Rule((DeadlinePassed,), 504),
    Rule((RenderError,), 422, _named),  # a chart that cannot be loaded, too: the request chose it
    Rule((ChannelUnavailable,), 422),  # no source has the channel or release the request names
    Rule((StoreError,), 503, lambda exc: f"store unavailable: {exc}"),
    Rule((InputError,), 422),
    Rule((UnavailableError,), 503),
)


def rule_for(exc: BaseException) -> Rule | None:
    return next((rule for rule in RULES if isinstance(exc, rule.kinds)), None)


def status_for(exc: BaseException) -> int | None:
    """The status ``exc`` is answered with; ``None`` for the generic 500."""
    if isinstance(exc, HTTPProblem):
        return exc.status
    rule = rule_for(exc)
    return None if rule is None else rule.status


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


async def _specmerge_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, HTTPProblem):
        body = {"detail": exc.detail, "requestId": _request_id(request), **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)
    rule = rule_for(exc)
    if rule is None or rule.status is None:
        raise exc  # the generic 500; the guard logs its frames under the request id
    return JSONResponse({"detail": rule.detail(exc), "requestId": _request_id(request)}, status_code=rule.status)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    # Pydantic's errors echo the input ("input", "ctx"): it may be a secret. Keep where and why.
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    return JSONResponse({"detail": errors, "requestId": _request_id(request)}, status_code=422)


def install_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` by the rules above."""
    app.add_exception_handler(SpecmergeError, _specmerge_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, generic_500)


__all__ = ["HTTPProblem", "RULES", "Rule", "install_handlers", "rule_for", "status_for"]
