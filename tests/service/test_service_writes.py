"""Console writes are checked as a whole before anything is stored (issue 13): a body that is
not a JSON object (``null``) is 400, a write whose render fails or trips the render guard is
422 naming the layer and path, and in every case the stored values and ETag are unchanged.
Authentication comes before the body is read, and ``/readyz`` tells an anonymous caller only
whether the service is ready."""

from __future__ import annotations

import httpx

from service_harness import VALID_USER, Server, create, values_url

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def _unchanged(api: httpx.Client, instance: str, before: httpx.Response) -> None:
    after = api.get(values_url(instance), params={"showSecrets": "true"})
    assert after.status_code == 200
    assert after.headers["etag"] == before.headers["etag"] and after.json()["values"] == before.json()["values"]


def _stored(api: httpx.Client, instance: str) -> httpx.Response:
    create(api, instance)
    return api.get(values_url(instance), params={"showSecrets": "true"})


def test_put_and_patch_of_null_are_400_and_change_nothing(api: httpx.Client, instance: str) -> None:
    before = _stored(api, instance)
    etag = before.headers["etag"]
    r = api.put(values_url(instance), content=b"null", headers={"If-Match": etag, "Content-Type": "application/json"})
    assert r.status_code == 400 and "top level must be a map of values, not null" in r.json()["detail"]
    r = api.patch(values_url(instance), content=b"null", headers={"If-Match": etag, **MERGE_PATCH})
    assert r.status_code == 400
    _unchanged(api, instance, before)


def test_a_write_whose_render_fails_is_422_and_nothing_is_stored(api: httpx.Client, instance: str) -> None:
    """``http://:8080`` matches the schema's URL pattern, but the chart's ingress template fails
    on a host without a name: stored, it would make every later preview a 422."""
    before = _stored(api, instance)
    r = api.patch(values_url(instance), json={"global": {"host": "http://:8080"}},
                  headers={"If-Match": before.headers["etag"], **MERGE_PATCH})
    assert r.status_code == 422, r.text
    body = r.json()
    assert "does not render" in body["detail"] and "global.host" in body["detail"] and body["layer"] == "user"
    _unchanged(api, instance, before)


def test_a_value_that_would_add_objects_is_422_naming_its_path(api: httpx.Client, instance: str) -> None:
    before = _stored(api, instance)
    crb = "x\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwn\n"
    for patch in ({"app": {"serviceAccount": {"name": crb}}}, {"nameOverride": crb}, {"fullnameOverride": crb},
                  {"worker": {"enabled": True, "queues": ["default", crb]}}):
        r = api.patch(values_url(instance), json=patch, headers={"If-Match": before.headers["etag"], **MERGE_PATCH})
        assert r.status_code == 422, r.text
        assert r.json()["violations"], r.text
    r = api.post("/v1/preview", json={"user": {**VALID_USER, "nameOverride": crb}, "render": {"enabled": True}})
    assert r.status_code == 200 and r.json()["manifests"] is None and not r.json()["ok"]
    _unchanged(api, instance, before)


def test_preview_refuses_duplicate_keys_as_put_does(api: httpx.Client, instance: str) -> None:
    body = b'{"user": {"mysql": {"host": "a", "host": "b"}}}'
    r = api.post("/v1/preview", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "duplicate key" in r.json()["detail"]
    r = api.put(values_url(instance), content=b'{"mysql": {"host": "a", "host": "b"}}',
                headers={"If-None-Match": "*", "Content-Type": "application/json"})
    assert r.status_code == 400 and "duplicate key" in r.json()["detail"]


def test_a_wrong_token_is_401_before_the_body_is_read(server: Server, instance: str) -> None:
    """Malformed JSON and a schema-invalid preview body: the answer is 401, not 400/422."""
    with server.client(token="not-the-token") as wrong:
        r = wrong.post("/v1/preview", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        r = wrong.post("/v1/preview", json={"unknown": 1})
        assert r.status_code == 401
        r = wrong.put(values_url(instance), content=b"null", headers={"If-None-Match": "*"})
        assert r.status_code == 401


def test_readyz_tells_an_anonymous_caller_only_ready_or_not(server: Server, api: httpx.Client) -> None:
    anon = httpx.get(f"{server.url}/readyz")
    assert anon.json() == {"status": "ready"}
    assert str(server.store) not in anon.text
    assert str(server.store) in api.get("/readyz").text


def test_a_body_nested_past_the_one_limit_is_a_clean_422(api: httpx.Client, instance: str) -> None:
    for depth in (201, 256):
        deep = ('{"a":' * depth + "1" + "}" * depth).encode()
        r = api.put(values_url(instance), content=deep, headers={"If-None-Match": "*", "Content-Type": "application/json"})
        assert r.status_code == 422 and "deeper than 200" in r.json()["detail"], r.text
        r = api.post("/v1/preview", content=b'{"user":' + deep + b"}", headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "deeper than 200" in r.text, r.text
    assert api.get(values_url(instance)).status_code == 404
