"""A chart repository whose URL carries a token in its query (``https://h/charts?token=...``,
as signed or token-gated repositories do): the index and the archive are fetched as Helm
fetches them (the query kept on every URL relative to the repository), and no message ever
shows the query."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from specmerge.render import ChartSourceError, load_chart, parse_chart_ref
from specmerge.render.ref import resolve_reference_url, shown_url

TOKEN = "tok-Zr8q2LmX7vKc"


@pytest.fixture(scope="module")
def token_repo(tmp_path_factory: pytest.TempPathFactory, chart_repo_dir: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("token-repo")
    shutil.copytree(chart_repo_dir, root / "charts")
    seen: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            seen.append(self.path)
            if parse_qs(urlsplit(self.path).query).get("token") != [TOKEN]:
                self.send_response(403)
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/charts"
    server.shutdown()


def test_index_and_archive_are_fetched_with_the_query_kept(token_repo: str) -> None:
    ref = parse_chart_ref({"url": f"{token_repo}?token={TOKEN}", "name": "mlops-agent", "version": "0.9.0"})
    chart = load_chart(ref)
    assert (chart.name, chart.version) == ("mlops-agent", "0.9.0")
    assert TOKEN not in ref.describe()


def test_no_message_shows_the_query(token_repo: str) -> None:
    ref = parse_chart_ref({"url": f"{token_repo}?token={TOKEN}", "name": "no-such-chart", "version": "1.0.0"})
    with pytest.raises(ChartSourceError) as err:
        load_chart(ref)
    assert "no chart named 'no-such-chart'" in str(err.value) and TOKEN not in str(err.value)
    wrong = parse_chart_ref({"url": f"{token_repo}?token=wrong-{TOKEN}", "name": "mlops-agent", "version": "0.9.0"})
    with pytest.raises(ChartSourceError) as err:
        load_chart(wrong)
    assert "HTTP 403" in str(err.value) and TOKEN not in str(err.value) and "<redacted>" in str(err.value)


@pytest.mark.parametrize("base, reference, expected", [
    ("https://h/charts?token=t", "index.yaml", "https://h/charts/index.yaml?token=t"),
    ("https://h/charts/", "index.yaml", "https://h/charts/index.yaml"),
    ("https://h/charts?token=t", "sub/a-1.0.0.tgz", "https://h/charts/sub/a-1.0.0.tgz?token=t"),
    ("https://h/charts?token=t", "/abs/a.tgz", "https://h/abs/a.tgz?token=t"),
    ("https://h/charts?token=t", "https://cdn/a.tgz?sig=s", "https://cdn/a.tgz?sig=s"),
])
def test_resolve_reference_url_is_helms(base: str, reference: str, expected: str) -> None:
    assert resolve_reference_url(base, reference) == expected


def test_shown_url_hides_the_query() -> None:
    assert shown_url("https://h/charts?token=t#x") == "https://h/charts?<redacted>"
    assert shown_url("https://h/charts") == "https://h/charts"
