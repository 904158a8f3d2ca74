"""The Dockerfile's image, as far as this machine can build it without a Docker engine: the
files the build stage's COPY lines take, built into a wheel as its RUN line builds it, that
wheel installed as the runtime stage installs it (a regular, non-editable install), with the
runtime stage's ENV, running its ENTRYPOINT/CMD from ``/``. Catches packaging mistakes (files
the wheel would lack, paths that only work from a checkout) that the editable dev install hides.

The environment is made the same way whether the tests run in a virtualenv or in the system
interpreter: a fresh venv without system site-packages, whose dependencies are this
interpreter's own site-packages, added by a ``.pth`` line (the image's pip fetches the same
versions from PyPI, pinned by constraints.txt; this machine need not download them again).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from procs import await_served, stop_process

ROOT = Path(__file__).resolve().parents[1]
#: The environment every step runs in: no PYTHONPATH (a developer's, pointing at a checkout, would
#: make pip and the image's python see the checkout's specmerge), no venv or SPECMERGE_ROOT of ours.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("SPECMERGE_ROOT", "PYTHONPATH", "VIRTUAL_ENV")}


def dockerfile() -> tuple[list[list[str]], dict[str, str], list[str]]:
    """The build stage's COPY source lists, the runtime stage's ENV settings, ENTRYPOINT + CMD."""
    copies: list[list[str]] = []
    env: dict[str, str] = {}
    command: list[str] = []
    stages = 0
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word == "FROM":
            stages += 1
        elif word == "COPY" and not rest.startswith("--from"):
            assert stages == 1, "only the build stage copies from the build context"
            copies.append(rest.split()[:-1])
        elif word == "ENV":
            env.update(dict(pair.split("=", 1) for pair in rest.split()))
        elif word in ("ENTRYPOINT", "CMD"):
            command += json.loads(rest)
    assert stages == 2, "a build stage that makes the wheel, a runtime stage that installs it"
    return copies, env, command


def venv_with_this_interpreters_packages(venv: Path) -> Path:
    """A fresh venv that sees this interpreter's installed packages (but not its editable
    specmerge, whose .pth is not read from an added directory); returns its bin dir."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=CLEAN_ENV)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True, env=CLEAN_ENV).stdout.strip()
    ours = dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(purelib) / "_this_interpreter.pth").write_text("".join(f"{p}\n" for p in ours if Path(p).is_dir()))
    return venv / "bin"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], list[str]]:
    """(the venv's bin dir, the image's environment, its command): the build context is a copy
    of exactly what the COPY lines take; its wheel is installed into a fresh venv."""
    tmp = tmp_path_factory.mktemp("image")
    src, dist = tmp / "src", tmp / "dist"
    src.mkdir()
    copies, env, command = dockerfile()
    for sources in copies:
        for source in sources:
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, src / source, ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
            else:
                (src / source).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, src / source)
    # as the build stage's RUN: a wheel, built in isolation (pip fetches the setuptools pyproject asks for)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--wheel-dir", str(dist), str(src)],
                           capture_output=True, text=True, timeout=600, env=CLEAN_ENV)
    assert built.returncode == 0, built.stderr
    wheel, = dist.glob("specmerge-*.whl")
    bin_dir = venv_with_this_interpreters_packages(tmp / "venv")
    done = subprocess.run([str(bin_dir / "pip"), "install", "--no-deps", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=600, env=CLEAN_ENV)
    assert done.returncode == 0, done.stderr

    def here(value: str) -> str:  # the image's absolute paths, mapped into this test's directory
        return str(tmp) + value[len("/tmp"):] if value == "/tmp" or value.startswith("/tmp/") else value

    image_env = dict(CLEAN_ENV)
    image_env.update({k: here(v) for k, v in env.items()})
    image_env["PATH"] = f"{bin_dir}:{image_env['PATH']}"
    return bin_dir, image_env, command


def test_the_installed_package_is_the_images_not_the_checkout(image: tuple[Path, dict[str, str], list[str]]) -> None:
    bin_dir, env, _ = image
    where = subprocess.run([str(bin_dir / "python"), "-c", "import specmerge; print(specmerge.__file__)"],
                           capture_output=True, text=True, env=env, cwd="/", check=True).stdout.strip()
    assert where.startswith(str(bin_dir.parent)) and not where.startswith(str(ROOT / "specmerge"))


def test_the_image_renders_the_bundled_chart(image: tuple[Path, dict[str, str], list[str]]) -> None:
    bin_dir, env, _ = image
    done = subprocess.run([str(bin_dir / "specmerge"), "render"], capture_output=True, text=True, env=env, cwd="/",
                          timeout=120)
    assert done.returncode == 0, done.stderr  # from /, with no SPECMERGE_ROOT: the wheel carries its data
    assert done.stdout.count("# Source: platform/templates/") >= 10
    assert "SPECMERGE_ROOT" not in env


def test_the_image_prints_the_crd(image: tuple[Path, dict[str, str], list[str]]) -> None:
    bin_dir, env, _ = image
    done = subprocess.run([str(bin_dir / "specmerge"), "operator", "--print-crd"], capture_output=True, text=True,
                          env=env, cwd="/", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "kind: CustomResourceDefinition" in done.stdout and "weightsandbiases.apps.wandb.com" in done.stdout


def test_specmerge_root_still_overrides_the_bundled_files(
    image: tuple[Path, dict[str, str], list[str]], tmp_path: Path,
) -> None:
    bin_dir, env, _ = image
    for name in ("charts", "channels", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "charts/platform/templates/zz-site.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-site\n")
    done = subprocess.run([str(bin_dir / "specmerge"), "render"], capture_output=True, text=True, cwd="/",
                          env={**env, "SPECMERGE_ROOT": str(tmp_path)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "# Source: platform/templates/zz-site.yaml" in done.stdout  # the override's chart, not the wheel's


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
