"""The guard around the app: timeout (504), a crash becomes a generic 500 with a request id
and a log line without the exception's message, the request id is echoed."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI

from specmerge.service.metrics import Metrics
from specmerge.service.middleware import Guard, generic_500

SECRET = "crash-message-with-a-secret-Q7x"


def _app() -> Guard:
    app = FastAPI()
    app.add_exception_handler(Exception, generic_500)

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(5)
        return {"never": "reached"}

    @app.get("/crash")
    async def crash() -> dict[str, str]:
        raise RuntimeError(SECRET)

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"status": "ok"}

    return Guard(app, Metrics(), body_limit=1024, timeout=0.2)


def _get(path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get(path, headers=headers)

    return asyncio.run(go())


def test_timeout_is_504() -> None:
    r = _get("/slow")
    assert r.status_code == 504 and r.json()["requestId"] == r.headers["x-request-id"]


def test_crash_is_a_generic_500_and_the_log_has_no_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="specmerge.service"):
        r = _get("/crash")
    assert r.status_code == 500
    assert SECRET not in r.text and "Traceback" not in r.text and r.json()["requestId"]
    assert "RuntimeError" in caplog.text and r.json()["requestId"] in caplog.text
    assert SECRET not in caplog.text


def test_request_id_is_echoed_when_sane_and_replaced_when_not() -> None:
    assert _get("/ok", **{"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert _get("/ok", **{"X-Request-Id": "bad id\twith spaces"}).headers["x-request-id"] != "bad id\twith spaces"


def test_a_refusal_from_admit_is_answered_without_reading_the_body_or_running_the_app() -> None:
    from specmerge.service.middleware import Refusal

    ran: list[str] = []
    received: list[str] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        ran.append(scope["path"])

    async def admit(scope: dict) -> Refusal | None:
        return Refusal(401, "bearer token required", {"WWW-Authenticate": "Bearer"}) if scope["path"] == "/v1/x" else None

    async def go() -> list[dict]:
        guard = Guard(app, Metrics(), body_limit=1024, timeout=1, admit=admit)
        sent: list[dict] = []

        async def receive() -> dict:
            received.append("body")
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await guard({"type": "http", "path": "/v1/x", "method": "POST", "headers": [(b"content-length", b"2")]},
                    receive, send)
        return sent

    sent = asyncio.run(go())
    assert sent[0]["status"] == 401 and (b"www-authenticate", b"Bearer") in sent[0]["headers"]
    assert ran == [] and received == []
