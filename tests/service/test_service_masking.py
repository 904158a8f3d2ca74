"""No secret byte in any response body, header or log line unless explicitly revealed."""

from __future__ import annotations

import copy

import httpx

from service_harness import SECRETS, TOKEN, VALID_USER, Server, create, seed_active, values_url


def _leaks(response: httpx.Response) -> list[str]:
    text = response.text + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return [s for s in SECRETS if s in text]


def test_no_secret_in_any_response_or_log_line_unless_revealed(server: Server, api: httpx.Client, instance: str) -> None:
    ns, name = instance.split("/")
    seed_active(server, instance, {**VALID_USER, "mysql": {**VALID_USER["mysql"], "password": "old-" + SECRETS[0]}})
    responses = [create(api, instance)]
    get = api.get(values_url(instance))
    responses.append(get)
    bad = copy.deepcopy(VALID_USER)
    bad["mysql"]["password"] = 12345678  # a type violation: its message must not print a secret either
    bad["bucket"]["accessKey"] = ["not", SECRETS[2]]
    responses.append(api.put(values_url(instance), json=bad, headers={"If-Match": get.headers["etag"]}))
    responses.append(api.patch(values_url(instance), json={"mysql": {"user": "x"}},
                               headers={"If-Match": get.headers["etag"], "Content-Type": "application/merge-patch+json"}))
    responses.append(api.post("/v1/preview", json={"instance": {"namespace": ns, "name": name},
                                                   "render": {"enabled": True}}))
    responses.append(api.post("/v1/preview", json={"user": {**VALID_USER, "global": {"host": "bad"}}}))
    responses.append(api.post("/v1/preview", json={"user": {"license": {"value": 7}}, "cr": VALID_USER}))
    responses.append(api.post("/v1/preview", json={"user": {"mysql": {"password": {"nested": SECRETS[0]}}}}))
    with server.client(token=None) as anon:
        responses.append(anon.get(values_url(instance), headers={"X-Debug": SECRETS[0]}))
    assert [r.status_code for r in responses] == [200, 200, 422, 200, 200, 200, 200, 200, 401]
    assert responses[2].json()["violations"], "the invalid write must be reported"
    for r in responses:
        assert _leaks(r) == [], f"{r.request.method} {r.request.url} leaked"
    assert "PUT /v1/instances/{namespace}/{name}/user-values 422" in server.log_text()  # the log is being written
    assert TOKEN not in server.log_text()
    assert [s for s in SECRETS if s in server.log_text()] == []

    revealed = api.get(values_url(instance), params={"showSecrets": "true"})
    assert set(_leaks(revealed)) == set(SECRETS)
    preview = api.post("/v1/preview", params={"showSecrets": "true"},
                       json={"instance": {"namespace": ns, "name": name}, "render": {"enabled": True}})
    assert set(_leaks(preview)) == set(SECRETS)


def test_reveal_refused_without_permission(tmp_path, instance: str) -> None:  # type: ignore[no-untyped-def]
    from service_harness import start_server, stop_server

    server = start_server(tmp_path)  # no --allow-reveal
    try:
        with server.client() as api:
            create(api, instance)
            r = api.get(values_url(instance), params={"showSecrets": "true"})
            assert r.status_code == 403 and _leaks(r) == []
            assert api.post("/v1/preview", params={"showSecrets": "true"}, json={}).status_code == 403
            assert api.get(values_url(instance)).status_code == 200
    finally:
        stop_server(server)
