"""The Dockerfile's image, as far as this machine can build it without a Docker engine: the
files its COPY lines take, installed as its RUN line installs them (a regular, non-editable
install), with its ENV, running its ENTRYPOINT/CMD. Catches packaging mistakes (files the
image would lack, paths that only work from a checkout) that the editable dev install hides."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from procs import await_served, stop_process

ROOT = Path(__file__).resolve().parents[1]


def dockerfile() -> tuple[list[tuple[list[str], str]], dict[str, str], list[str]]:
    """The COPY (sources, destination) pairs, the ENV settings and ENTRYPOINT + CMD."""
    copies, env, command = [], {}, []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word == "COPY":
            *sources, dest = rest.split()
            copies.append((sources, dest))
        elif word == "ENV":
            env.update(dict(pair.split("=", 1) for pair in rest.split()))
        elif word in ("ENTRYPOINT", "CMD"):
            command += json.loads(rest)
    return copies, env, command


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], list[str]]:
    """(the venv's bin dir, the image's environment, its command): the app dir is a copy of
    exactly what the COPY lines take, installed with pip into a fresh venv."""
    tmp = tmp_path_factory.mktemp("image")
    app = tmp / "app"
    app.mkdir()
    copies, env, command = dockerfile()
    for sources, dest in copies:
        for source in sources:
            src, target = ROOT / source, app / (dest if dest not in ("./", ".") else source)
            if dest.endswith("/") and dest not in ("./",):
                target = app / dest / source
            if src.is_dir():
                shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    # --no-deps: the dependencies are this interpreter's (the image's pip fetches the same ones); the build
    # itself is isolated, as in the image (pip fetches the setuptools pyproject asks for)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-deps", "-q", str(app)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    def here(value: str) -> str:  # the image's absolute paths, mapped into this test's directory
        for root, local in (("/app", app), ("/tmp", tmp)):
            if value == root or value.startswith(root + "/"):
                return str(local) + value[len(root):]
        return value

    image_env = {**os.environ, **{k: here(v) for k, v in env.items()}}
    image_env["PATH"] = f"{venv / 'bin'}:{image_env['PATH']}"
    return venv / "bin", image_env, command


def test_the_installed_package_is_the_images_not_the_checkout(image: tuple[Path, dict[str, str], list[str]]) -> None:
    bin_dir, env, _ = image
    where = subprocess.run([str(bin_dir / "python"), "-c", "import specmerge; print(specmerge.__file__)"],
                           capture_output=True, text=True, env=env, cwd="/", check=True).stdout.strip()
    assert where.startswith(str(bin_dir.parent)) and not where.startswith(str(ROOT / "specmerge"))


def test_the_image_renders_the_bundled_chart(image: tuple[Path, dict[str, str], list[str]]) -> None:
    bin_dir, env, _ = image
    done = subprocess.run([str(bin_dir / "specmerge"), "render"], capture_output=True, text=True, env=env, cwd="/",
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("# Source: platform/templates/") >= 10
    # without SPECMERGE_ROOT an installed package cannot know where charts/ and channels/ are: say so
    lost = subprocess.run([str(bin_dir / "specmerge"), "render"], capture_output=True, text=True, cwd="/",
                          env={k: v for k, v in env.items() if k != "SPECMERGE_ROOT"}, timeout=120)
    assert lost.returncode == 2 and "no embedded channels: the directory does not exist (set SPECMERGE_ROOT" in lost.stderr


def test_the_images_command_serves_previews_and_insists_on_a_token(
    image: tuple[Path, dict[str, str], list[str]],
) -> None:
    bin_dir, env, command = image
    assert command[:2] == ["specmerge", "serve"]
    args = [str(bin_dir / "specmerge"), *command[1:]]
    refused = subprocess.run(args, capture_output=True, text=True, env=env, cwd="/", timeout=120)
    assert refused.returncode == 2 and "no bearer token" in refused.stderr  # no token: the container will not start
    port_at = args.index("--port") + 1
    args[port_at] = "0"  # the image's 8080 may be taken here
    args[args.index("--host") + 1] = "127.0.0.1"
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/",
                            env={**env, "SPECMERGE_TOKEN": "image-token-0123456789"})
    try:
        url = await_served(proc, "the image's serve", lambda: proc.stderr.read() if proc.stderr else "")
        r = httpx.post(f"{url}/v1/preview", json={"user": {"global": {"host": "https://ml.example.com"}}},
                       headers={"Authorization": "Bearer image-token-0123456789"}, timeout=60)
        assert r.status_code == 200 and r.json()["chart"]["locator"].startswith("chart:platform@")
        assert re.match(r"channel:stable@", r.json()["layers"][1]["source"])
    finally:
        stop_process(proc)
