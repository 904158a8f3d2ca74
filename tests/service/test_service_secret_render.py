"""The service side of design.md §5 (issue 13 items 2 and 4): a preview with render shows
the masked render, so secrets in env lists, folded by ``toYaml`` or escaped by ``toJson``
never reach a body or the log; ETags are keyed, so a GET reader cannot test a guess."""

from __future__ import annotations

import hashlib
import json
import re

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_harness import VALID_USER, Server, create, values_url

WORD = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=6, max_size=7).filter(
    lambda w: any(c.isalpha() for c in w))  # a run of digits could be a port or a timestamp
SECRET = st.builds(lambda ws, sep: sep.join(ws), st.lists(WORD, min_size=2, max_size=14),
                   st.sampled_from([" ", "&", "<>", "-", "'"]))
ENV_NAMES = st.sampled_from(["AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "GITHUB_TOKEN", "SENTRY_API_KEY"])


def _hidden(text: str, secret: str) -> bool:
    return not any(word in text for word in re.findall(r"[A-Z0-9]{6,}", secret)) and secret not in text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=SECRET, env_secret=SECRET, env_name=ENV_NAMES, license=SECRET)
def test_preview_with_render_shows_no_secret_nor_its_transforms(
    server: Server, api: httpx.Client, password: str, env_secret: str, env_name: str, license: str
) -> None:
    user = {**VALID_USER, "mysql": {**VALID_USER["mysql"], "password": password}, "license": {"value": license},
            "app": {"extraEnv": [{"name": env_name, "value": env_secret}, {"name": "LOG_LEVEL", "value": "debug"}]}}
    r = api.post("/v1/preview", json={"user": user, "render": {"enabled": True}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] and body["manifests"], body["violations"]
    text = r.text
    for secret in (password, env_secret, license):
        assert _hidden(text, secret), secret
        assert _hidden(server.log_text(), secret)
    assert '"name": "LOG_LEVEL"' in json.dumps(body["values"]) or "LOG_LEVEL" in text
    assert "value: debug" in text or '"debug"' in text  # what is not secret is shown as it is


def test_etag_is_keyed(api: httpx.Client, instance: str) -> None:
    """An unsalted hash of the stored document would let a reader confirm a guessed password."""
    create(api, instance)
    etag = api.get(values_url(instance)).headers["etag"]
    canon = json.dumps(VALID_USER, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(canon).hexdigest()[:32] not in etag
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)


def test_placeholder_round_trip_keeps_a_url_password(api: httpx.Client, instance: str) -> None:
    """A console GETs ``redis://:<placeholder>@host`` and PUTs it back: the stored password stays."""
    values = {**VALID_USER, "redis": {"host": "redis://:Zq8fK2rV9xLm@cache.svc"}}
    create(api, instance, values)
    got = api.get(values_url(instance))
    shown = got.json()["values"]["redis"]["host"]
    assert "Zq8fK2rV9xLm" not in got.text and shown.startswith("redis://:<redacted hmac:")
    put = api.put(values_url(instance), json=got.json()["values"], headers={"If-Match": got.headers["etag"]})
    assert put.status_code == 200, put.text
    revealed = api.get(values_url(instance), params={"showSecrets": "true"}).json()["values"]
    assert revealed["redis"]["host"] == "redis://:Zq8fK2rV9xLm@cache.svc"
