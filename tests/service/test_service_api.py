"""The HTTP API over a real uvicorn (``specmerge serve``) on 127.0.0.1, driven by httpx:
every status code of the console-values API and the preview."""

from __future__ import annotations

import copy
import json

import httpx

from service_harness import ACCESS_KEY, MYSQL_PASSWORD, VALID_USER, Server, create, seed_active, values_url


def test_ops_endpoints(api: httpx.Client, server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200 and "stable" in ready.json()["channel"]
    assert httpx.get(f"{server.url}/readyz").json() == {"status": "ready"}  # anonymous: no store, paths or channel
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert "/v1/preview" in spec["paths"] and "patch" in spec["paths"]["/v1/instances/{namespace}/{name}/user-values"]


def test_401_without_or_with_a_wrong_token(server: Server, instance: str) -> None:
    with server.client(token=None) as anon, server.client(token="not-the-token") as wrong:
        for c in (anon, wrong):
            r = c.get(values_url(instance))
            assert r.status_code == 401
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert c.post("/v1/preview", json={}).status_code == 401


def test_404_for_an_instance_with_nothing_stored(api: httpx.Client, instance: str) -> None:
    assert api.get(values_url(instance)).status_code == 404
    r = api.patch(values_url(instance), content=b"{}", headers={"Content-Type": "application/merge-patch+json", "If-Match": "*"})
    assert r.status_code == 404
    assert api.post("/v1/preview", json={"instance": dict(zip(("namespace", "name"), instance.split("/")))}).status_code == 404


def test_put_get_round_trip_with_etag(api: httpx.Client, instance: str) -> None:
    created = create(api, instance)
    got = api.get(values_url(instance))
    assert got.status_code == 200
    assert got.headers["etag"] == created.headers["etag"] == got.json()["etag"]
    assert got.json()["values"]["global"] == VALID_USER["global"]
    assert got.json()["values"]["mysql"]["password"].startswith("<redacted hmac:")


def test_428_without_precondition_and_412_when_stale(api: httpx.Client, instance: str) -> None:
    first = create(api, instance)
    assert api.put(values_url(instance), json=VALID_USER).status_code == 428
    changed = copy.deepcopy(VALID_USER)
    changed["bucket"]["region"] = "us-east-1"
    ok = api.put(values_url(instance), json=changed, headers={"If-Match": first.headers["etag"]})
    assert ok.status_code == 200 and ok.headers["etag"] != first.headers["etag"]
    stale = api.put(values_url(instance), json=VALID_USER, headers={"If-Match": first.headers["etag"]})
    assert stale.status_code == 412
    assert api.put(values_url(instance), json=VALID_USER, headers={"If-None-Match": "*"}).status_code == 412
    weak = api.put(values_url(instance), json=VALID_USER, headers={"If-Match": "W/" + ok.headers["etag"]})
    assert weak.status_code == 412
    assert api.get(values_url(instance)).json()["values"]["bucket"]["region"] == "us-east-1"


def test_422_invalid_write_is_attributed_and_stores_nothing(api: httpx.Client, instance: str) -> None:
    first = create(api, instance)
    bad = copy.deepcopy(VALID_USER)
    bad["mysql"]["port"] = "not-a-port"
    bad["global"]["host"] = "ftp://nope"
    r = api.put(values_url(instance), json=bad, headers={"If-Match": first.headers["etag"]})
    assert r.status_code == 422
    violations = {v["path"]: v for v in r.json()["violations"]}
    assert {"/mysql/port", "/global/host"} <= set(violations)
    assert violations["/mysql/port"]["layer"] == "user"
    assert violations["/global/host"]["source"].endswith("user.json")
    after = api.get(values_url(instance))
    assert after.headers["etag"] == first.headers["etag"]


def test_merge_patch_rfc7396(api: httpx.Client, instance: str) -> None:
    first = create(api, instance)
    patch = {"bucket": {"region": None, "provider": "gcs"}, "features": {"beta": True}}
    r = api.patch(values_url(instance), json=patch,
                  headers={"If-Match": first.headers["etag"], "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    values = api.get(values_url(instance), params={"showSecrets": "true"}).json()["values"]
    assert values["bucket"] == {"name": "ml-artifacts", "provider": "gcs", "accessKey": ACCESS_KEY}
    assert values["features"] == {"beta": True} and values["mysql"]["password"] == MYSQL_PASSWORD
    wrong_type = api.patch(values_url(instance), json=patch, headers={"If-Match": r.headers["etag"]})
    assert wrong_type.status_code == 415
    invalid = api.patch(values_url(instance), json={"redis": {"port": 0}},
                        headers={"If-Match": r.headers["etag"], "Content-Type": "application/merge-patch+json"})
    assert invalid.status_code == 422 and invalid.json()["violations"][0]["path"] == "/redis/port"
    assert api.patch(values_url(instance), json={}, headers={"Content-Type": "application/merge-patch+json"}).status_code == 428


def test_redacted_placeholders_keep_the_stored_secret(api: httpx.Client, instance: str) -> None:
    create(api, instance)
    got = api.get(values_url(instance))
    edited = got.json()["values"]
    assert edited["mysql"]["password"].startswith("<redacted hmac:")
    edited["mysql"]["user"] = "platform-rw"
    r = api.put(values_url(instance), json=edited, headers={"If-Match": got.headers["etag"]})
    assert r.status_code == 200, r.text
    stored = api.get(values_url(instance), params={"showSecrets": "true"}).json()["values"]
    assert stored["mysql"] == {"host": "mysql.db.svc", "user": "platform-rw", "password": MYSQL_PASSWORD}
    assert stored["bucket"]["accessKey"] == ACCESS_KEY
    # a placeholder that stands for no stored value is refused, not stored as the password
    edited["mysql"]["password"] = "<redacted sha256:00000000>"
    bad = api.put(values_url(instance), json=edited, headers={"If-Match": r.headers["etag"]})
    assert bad.status_code == 422 and bad.json()["placeholders"] == ["/mysql/password"]


def test_413_body_over_the_limit(api: httpx.Client, instance: str) -> None:
    big = b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = api.put(values_url(instance), content=big, headers={"If-None-Match": "*", "Content-Type": "application/json"})
    assert r.status_code == 413

    def chunks():  # no Content-Length: the limit is enforced on the streamed body
        yield b'{"pad": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    r = api.put(values_url(instance), content=chunks(), headers={"If-None-Match": "*", "Content-Type": "application/json"})
    assert r.status_code == 413
    assert api.get(values_url(instance)).status_code == 404


def test_400_malformed_json_and_422_bad_instance(api: httpx.Client, instance: str) -> None:
    r = api.put(values_url(instance), content=b'{"a": 1, "a": 2}', headers={"If-None-Match": "*"})
    assert r.status_code == 400 and "duplicate key" in r.json()["detail"]
    assert api.get("/v1/instances/Bad_NS/x/user-values").status_code == 422


def test_values_stored_with_nan_by_an_older_version_stay_readable_and_replaceable(
    server: Server, api: httpx.Client, instance: str
) -> None:
    """Writes refuse NaN now; a document stored before that must not lock the instance."""
    assert server.store is not None
    stored = server.store / instance / "user.json"
    stored.parent.mkdir(parents=True)
    stored.write_text('{"global": {"host": "https://ml.example.com"}, "app": {"ratio": NaN}}')
    got = api.get(values_url(instance))
    assert got.status_code == 200 and got.json()["values"]["app"] == {"ratio": None}
    replaced = api.put(values_url(instance), json=VALID_USER, headers={"If-Match": got.headers["etag"]})
    assert replaced.status_code == 200, replaced.text
    assert "NaN" not in stored.read_text()


def test_integers_beyond_64_bits_come_back_exactly(api: httpx.Client) -> None:
    """JSON has no integer limit; the fast encoder does (found by schemathesis)."""
    big = -1031078973502238752768
    r = api.post("/v1/preview", json={"overrides": [{"name": "big", "values": {"extra": {"n": big}}}],
                                      "provenance": False})
    assert r.status_code == 200, r.text
    assert r.json()["values"]["extra"]["n"] == big


def test_what_json_cannot_carry_is_refused_where_it_is(api: httpx.Client, instance: str) -> None:
    """NaN, Infinity and lone surrogates parse in Python but have no JSON/UTF-8 spelling: a
    write is a 400 storing nothing, a preview a 422 naming the path (not a 500 on the way out)."""
    r = api.put(values_url(instance), content=b'{"app": {"ratio": NaN}}', headers={"If-None-Match": "*"})
    assert r.status_code == 400 and r.json()["detail"] == (
        "body: /app/ratio: NaN is not a JSON number (RFC 8259); quote it if you mean the string")
    r = api.put(values_url(instance), content=b'{"app": {"name": "x\\udc00"}}', headers={"If-None-Match": "*"})
    assert r.status_code == 400 and "/app/name: string has a lone surrogate" in r.json()["detail"]
    assert api.get(values_url(instance)).status_code == 404
    r = api.post("/v1/preview", content=b'{"cr": {"a": {"\\ud800": 1}}}', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "/a: key '\\ud800' has a lone surrogate" in r.json()["detail"][0]["msg"]
    r = api.post("/v1/preview", content=b'{"\\ud800": 1}', headers={"Content-Type": "application/json"})
    assert r.status_code == 422  # an unknown key that is not even a string
    r = api.post("/v1/preview", content=b'{"user": {"app": {"limits": [1, -Infinity]}}}',
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body", "user"] and "/app/limits/1: -Infinity is not a JSON number" in err["msg"]


def test_preview_happy_path_with_render_provenance_and_diff(server: Server, api: httpx.Client, instance: str) -> None:
    create(api, instance)
    ns, name = instance.split("/")
    seed_active(server, instance, {**{k: v for k, v in VALID_USER.items()}, "gone": 1})
    body = {"instance": {"namespace": ns, "name": name}, "cr": {"worker": {"replicaCount": 3}},
            "overrides": [{"name": "what-if", "values": {"redis": {"database": 2}}}],
            "render": {"enabled": True, "releaseName": "demo", "namespace": ns}}
    r = api.post("/v1/preview", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ok"] is True and out["violations"] == []
    assert [l["name"] for l in out["layers"]] == ["chart", "channel", "user", "cr", "what-if"]
    prov = {p["path"]: p for p in out["provenance"]}
    assert prov["/worker/replicaCount"]["winner"]["layer"] == "cr"
    assert prov["/redis/database"]["winner"]["layer"] == "what-if"
    assert prov["/mysql/password"]["winner"]["value"].startswith("<redacted")
    assert any(m["template"].endswith("deployment-worker.yaml") or "worker" in m["template"] for m in out["manifests"])
    changes = {c["path"]: c for c in out["diff"]["changes"]}
    assert changes["/gone"]["change"] == "removed" and changes["/gone"]["old"] == 1
    assert changes["/worker/replicaCount"]["change"] == "added"
    assert changes["/worker/replicaCount"]["newOrigin"]["layer"] == "cr"
    assert "/global/host" not in changes


def test_preview_invalid_layers_report_violations_and_do_not_render(api: httpx.Client) -> None:
    body = {"user": {"global": {"host": "not a url"}, "mystery": 1}, "render": {"enabled": True}}
    out = api.post("/v1/preview", json=body).json()
    assert out["ok"] is False and out["manifests"] is None
    by_path = {v["path"]: v for v in out["violations"]}
    assert by_path["/global/host"]["layer"] == "user"
    assert "/mystery" in by_path or any("mystery" in v["message"] for v in out["violations"])


def test_preview_422_for_a_release_nobody_has(api: httpx.Client) -> None:
    r = api.post("/v1/preview", json={"channel": {"release": "9.9.9"}})
    assert r.status_code == 422 and "9.9.9" in r.json()["detail"]
    r = api.post("/v1/preview", json={"user": "not an object"})
    assert r.status_code == 422 and "input" not in r.json()["detail"][0]


def test_metrics_count_requests_stages_and_channel_results(api: httpx.Client, server: Server) -> None:
    api.post("/v1/preview", json={"render": {"enabled": True}})
    text = httpx.get(f"{server.url}/metrics").text
    assert 'specmerge_http_requests_total{method="POST",route="/v1/preview",status="200"}' in text
    assert 'specmerge_stage_duration_seconds_count{stage="render"}' in text
    assert 'specmerge_stage_duration_seconds_count{stage="merge_validate"}' in text
    assert 'specmerge_channel_results_total{degraded="false",source="embedded"}' in text


def test_the_instance_cr_layer_is_above_the_console_in_writes_and_previews(
    server: Server, api: httpx.Client, instance: str
) -> None:
    """The would-be spec of a console write is what the reconcile will merge: the CR's
    ``spec.values`` sit above the user layer, so a CR that overrides a value wins in the
    preview, and a CR that breaks the schema makes the write a 422 attributed to the CR."""
    create(api, instance)
    ns, name = instance.split("/")
    assert server.store is not None
    cr_file = server.store / instance / "cr.json"
    cr_file.write_text(json.dumps({"app": {"replicaCount": 5}}))
    out = api.post("/v1/preview", json={"instance": {"namespace": ns, "name": name}}).json()
    assert [l["name"] for l in out["layers"]][-2:] == ["user", "cr"]
    assert out["values"]["app"]["replicaCount"] == 5
    prov = {p["path"]: p for p in out["provenance"]}
    assert prov["/app/replicaCount"]["winner"] == {"layer": "cr", "source": f"file:{cr_file}", "op": "set", "value": 5}

    cr_file.write_text(json.dumps({"app": {"replicaCount": "five"}}))
    current = api.get(values_url(instance))
    r = api.put(values_url(instance), json=VALID_USER, headers={"If-Match": current.headers["ETag"]})
    assert r.status_code == 422
    (v,) = r.json()["violations"]
    assert (v["path"], v["layer"]) == ("/app/replicaCount", "cr")
    assert api.get(values_url(instance)).headers["ETag"] == current.headers["ETag"]  # nothing stored
