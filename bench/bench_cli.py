"""Whole-process CLI figures (issue 12): ``specmerge render`` vs ``helm template``, paired.

    python3 bench/bench_cli.py [--pairs N] [--helm PATH] [--write bench/cli.md] [--baseline DIR]

Each pair runs ``helm template`` and ``specmerge render`` back to back as fresh processes on
the same chart and flags (alternating which goes first), so both see the same machine load;
the figure is the median of the per-pair ratios and of each side's wall times. Workloads:

* the bundled chart (charts/platform) with the embedded stable channel given to Helm as a
  ``-f`` file, and a ``-f`` overlay and ``--set`` flags to both;
* a generated chart with 48 templates and 3 subcharts (``--chart DIR``, no channel);
* ``specmerge --version``, ``python -c pass`` and ``helm version`` (start-up floors);
* in-process ``plan()`` on the bundled chart against the ``helm template`` process;
* where the rest of a ``specmerge render`` goes: the interpreter, Typer, Helm's library and
  the other imports (each a fresh ``python -c "import ..."`` less the bare interpreter), and
  the run itself.

specmerge's modules are byte-compiled first (``compileall``), as a ``pip install`` leaves
them: a shell that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise make every run compile
~60 modules again (~150 ms) and time that instead.

Figures only, no assertions: targets are judged by reading them.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from parity import find_helm  # noqa: E402

SPECMERGE = [sys.executable, "-m", "specmerge.cli"]
#: The environment of every timed run: this tree's specmerge, not an installed one.
#: One process per command (``SPECMERGE_DAEMON=off``): the daemon rows are measured on their own.
THIS_TREE = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
             "SPECMERGE_DAEMON": "off"}


#: CPU seconds (user + system) of every finished child, for :func:`cpu_of` pairs.
CPU: list[tuple[list[str], float]] = []


def wall(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one run of ``cmd`` (its CPU seconds go to :data:`CPU`), from a neutral
    directory (``python -m`` puts the working directory first on the path) with this tree on the path."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, timeout=300, check=False, cwd=tempfile.gettempdir(),
                          env=env or THIS_TREE)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:4])}... failed: {done.stderr.decode()[-400:]}")
    CPU.append((cmd, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return elapsed


def cpu_of(cmd: list[str]) -> float:
    """Median CPU seconds of the runs of ``cmd`` so far: less sensitive to a loaded machine than wall time."""
    return statistics.median(c for ran, c in CPU if ran == cmd)


def row(ours: list[str], theirs: list[str], pairs: int, env: dict[str, str] | None = None) -> tuple[str, float]:
    """``ours / theirs = ratio`` of :func:`paired` wall times and both CPU times; theirs (s)."""
    o, t, r = paired(ours, theirs, pairs, env)
    return (f"{o * 1000:.0f} ms / {t * 1000:.0f} ms = **{r:.2f}x** (CPU {cpu_of(ours) * 1000:.0f} ms / "
            f"{cpu_of(theirs) * 1000:.0f} ms)", t)


def paired(ours: list[str], theirs: list[str], pairs: int, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Median ours (s), median theirs (s), median of per-pair ratios ours/theirs (``env``: ours')."""
    o, t, r = [], [], []
    wall(ours, env), wall(theirs)  # warm the page cache
    for i in range(pairs):
        if i % 2:
            b, a = wall(theirs), wall(ours, env)
        else:
            a, b = wall(ours, env), wall(theirs)
        o.append(a), t.append(b), r.append(a / b)
    return statistics.median(o), statistics.median(t), statistics.median(r)


#: One ``specmerge`` run, timed from inside: Typer's import, Helm's library, every other
#: import of the render command, then the command itself (stdout discarded).
_PHASES = """
import json, runpy, sys, time
t0 = time.perf_counter()
import typer
t1 = time.perf_counter()
import helm_python
t2 = time.perf_counter()
import specmerge.cli.render_cmd, specmerge.cli.coerce
t3 = time.perf_counter()
sys.argv = ["specmerge"] + json.loads(sys.argv[1])
try:
    runpy.run_module("specmerge.cli", run_name="__main__")
except SystemExit:
    pass
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3]), file=sys.stderr)
"""


def phases(args: list[str], runs: int) -> list[float]:
    """Median seconds of each phase of :data:`_PHASES` over ``runs`` fresh processes."""
    seen = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _PHASES, json.dumps(args)], capture_output=True, timeout=300,
                              env=THIS_TREE, cwd=tempfile.gettempdir(), check=True)
        seen.append(json.loads(done.stderr.decode().strip().splitlines()[-1]))
    return [statistics.median(p[i] for p in seen) for i in range(4)]


def big_chart(root: Path) -> Path:
    """48 templates: 10 components x (Deployment, Service, ConfigMap) + 3 subcharts x 6."""
    chart = root / "big"
    (chart / "templates").mkdir(parents=True)
    deps = "".join(f"  - name: sub{i}\n    version: 0.1.0\n" for i in range(3))
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: big\nversion: 1.0.0\ndependencies:\n{deps}")
    comps = {f"comp{i}": {"replicas": 1 + i % 3, "image": {"repository": f"r/c{i}", "tag": "1.0"},
                          "env": {f"K{j}": f"v{j}" for j in range(10)}, "port": 8000 + i} for i in range(10)}
    (chart / "values.yaml").write_text(json.dumps({"components": comps, "global": {"env": "prod"}}, indent=2))
    (chart / "values.schema.json").write_text(json.dumps({"type": "object", "properties": {"components": {
        "type": "object", "additionalProperties": {"type": "object", "properties": {
            "replicas": {"type": "integer", "minimum": 0}, "port": {"type": "integer"}}}}}}))
    for i in range(10):
        name = f"comp{i}"
        v = f".Values.components.{name}"
        (chart / "templates" / f"{name}-deployment.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ .Release.Name }}}}-{name}\nspec:\n"
            f"  replicas: {{{{ {v}.replicas }}}}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n"
            f"    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n"
            f"          image: \"{{{{ {v}.image.repository }}}}:{{{{ {v}.image.tag }}}}\"\n          env:\n"
            f"          {{{{- range $k, $val := {v}.env }}}}\n            - name: {{{{ $k }}}}\n"
            f"              value: {{{{ $val | quote }}}}\n          {{{{- end }}}}\n")
        (chart / "templates" / f"{name}-service.yaml").write_text(
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {{{{ .Release.Name }}}}-{name}\nspec:\n"
            f"  selector: {{app: {name}}}\n  ports:\n    - port: {{{{ {v}.port }}}}\n")
        (chart / "templates" / f"{name}-configmap.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ .Release.Name }}}}-{name}\ndata:\n"
            f"  config.json: {{{{ toJson {v} | quote }}}}\n")
    for s in range(3):
        sub = chart / "charts" / f"sub{s}"
        (sub / "templates").mkdir(parents=True)
        (sub / "Chart.yaml").write_text(f"apiVersion: v2\nname: sub{s}\nversion: 0.1.0\n")
        (sub / "values.yaml").write_text("replicas: 1\nitems: [a, b, c]\n")
        (sub / "values.schema.json").write_text('{"type": "object", "properties": {"replicas": {"type": "integer"}}}')
        for t in range(6):
            (sub / "templates" / f"cm{t}.yaml").write_text(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ .Release.Name }}}}-sub{s}-{t}\ndata:\n"
                "  items: {{ join \",\" .Values.items | quote }}\n  env: {{ .Values.global.env | quote }}\n")
    return chart


NOTES = """\
**Two ways to run.** The "user install" rows are what a new user gets: a virtualenv of its own,
`pip install .` (a wheel, not editable), its `specmerge` script; with this user's daemon running
(`specmerge daemon start`, or the first command in a shell outside CI starts it) every row runs a
small client that hands the command to the resident process, which keeps the interpreter, Typer,
ruamel.yaml, jsonschema-rs and Helm's Go library loaded (README "A resident daemon"). The "daemon's
own count" row proves the daemon ran them (a client falls back to running alone silently). The "no
daemon" rows run every command in its own process.

The "this tree" rows run `python -m specmerge.cli` with this machine's interpreter, whose `site`
pays this sandbox's `.pth` hooks (an editable install's finder, `certifi`, `_distutils_hack`): about
35 ms more than the virtualenv's `python -c pass`; they are kept to compare with earlier runs.

**Without a daemon, <= 1.5x is out of reach.** The "floor" row is what a one-process Python render
pays before any of its own code or Typer runs: the interpreter and loading Helm's Go library
(`helm_python._native`: an 85 MB shared object and the Go runtime's start, on import), which
`helm template` pays neither of. Importing Typer (~35-50 ms: the vendored click, `inspect`,
`subprocess`, `uuid`) and ruamel.yaml + jsonschema_rs (~20 ms) alone exceed what 1.5x leaves.
"""


def user_rows(helm_cmds: dict[str, list[str]], args: dict[str, list[str]], pairs: int) -> list[tuple[str, str]]:
    """The whole-process rows of a user's install (:mod:`user_install`), with its daemon running
    and without one; ``helm_cmds``/``args``: the bundled, masked and 48-template workloads."""
    from user_install import user_install

    bin_dir = user_install()
    script = [str(bin_dir / "specmerge")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed specmerge, not this tree
    env.update(SPECMERGE_DAEMON_DIR=tempfile.mkdtemp(prefix="smb-"), SPECMERGE_DAEMON="on")
    off = {**env, "SPECMERGE_DAEMON": "off"}
    floor = statistics.median(wall([str(bin_dir / "python"), "-c", "pass"], env) for _ in range(pairs))
    rows = [("user install (virtualenv, `pip install .`, its `specmerge` script): `python -c pass` there",
             f"{floor * 1000:.0f} ms")]
    subprocess.run([*script, "daemon", "start"], env=env, check=True, capture_output=True)
    try:
        for name, label in (("bundled", "bundled chart"), ("masked", "bundled chart, secrets masked"),
                            ("big", "48-template chart with 3 subcharts")):
            text, _ = row([*script, *args[name]], helm_cmds[name], pairs, env)
            rows.append((f"user install, **daemon running**: {label}: `specmerge render` / `helm template`", text))
        served = subprocess.run([*script, "daemon", "status"], env=env, check=True, capture_output=True, text=True)
        count = re.search(r"(\d+) commands run", served.stdout)
        rows.append(("user install: commands the daemon itself ran, of the daemon rows' specmerge runs",
                     f"{count[1] if count else '?'} of {3 * (pairs + 1)}"))
    finally:
        subprocess.run([*script, "daemon", "stop"], env=env, check=False, capture_output=True)
        shutil.rmtree(env["SPECMERGE_DAEMON_DIR"], ignore_errors=True)
    for name, label in (("bundled", "bundled chart"), ("big", "48-template chart with 3 subcharts")):
        text, _ = row([*script, *args[name]], helm_cmds[name], pairs, off)
        rows.append((f"user install, no daemon (`SPECMERGE_DAEMON=off`): {label}: `specmerge render` / `helm template`",
                     text))
    version = statistics.median(wall([*script, "--version"], off) for _ in range(pairs))
    rows.append(("user install: `specmerge --version`", f"**{version * 1000:.0f} ms**"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=11)
    parser.add_argument("--helm")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--no-user-install", action="store_true",
                        help="skip the rows of a user's install (a virtualenv with this tree pip-installed)")
    parser.add_argument("--baseline", type=Path,
                        help="an export of an earlier commit (git archive REV | tar -x -C DIR): paired with this tree")
    opts = parser.parse_args()
    helm = find_helm(opts.helm)
    compileall.compile_dir(str(REPO / "specmerge"), quiet=1)
    load_before = os.getloadavg()
    env_overlay = str(REPO / "examples" / "env" / "prod.yaml")
    flags = ["-f", env_overlay, "--set", "app.replicaCount=4", "--set", "console.image.tag=2.13.5"]
    rows: list[tuple[str, str]] = []

    from specmerge.channels import load_embedded

    spec = load_embedded("stable", None)
    with tempfile.TemporaryDirectory() as tmp:
        channel = Path(tmp) / "channel.json"
        channel.write_text(json.dumps(spec.values))
        helm_bundled_cmd = [helm, "template", "specmerge", str(REPO / "charts" / "platform"), "-f", str(channel), *flags]
        text, helm_bundled = row(SPECMERGE + ["render", "--show-secrets", *flags], helm_bundled_cmd, opts.pairs)
        rows.append(("this tree, no daemon (`python -m specmerge.cli`, this machine's interpreter): bundled chart: "
                     "`specmerge render` / `helm template` (median of per-pair ratios)", text))
        text, _ = row(SPECMERGE + ["render", *flags], helm_bundled_cmd, opts.pairs)
        rows.append(("this tree, no daemon: bundled chart, secrets masked (`specmerge render` without `--show-secrets`) / "
                     "`helm template`",
                     text))
        big = big_chart(Path(tmp))
        big_args = ["render", "--chart", str(big), "--show-secrets", "--set", "components.comp1.replicas=3"]
        helm_big_cmd = [helm, "template", "specmerge", str(big), "--set", "components.comp1.replicas=3"]
        text, _ = row(SPECMERGE + big_args, helm_big_cmd, opts.pairs)
        rows.append(("this tree, no daemon: 48-template chart with 3 subcharts (and schemas): `specmerge render` / "
                     "`helm template`", text))
        if not opts.no_user_install:
            rows[:0] = user_rows({"bundled": helm_bundled_cmd, "masked": helm_bundled_cmd, "big": helm_big_cmd},
                                 {"bundled": ["render", "--show-secrets", *flags], "masked": ["render", *flags],
                                  "big": big_args}, opts.pairs)

    if opts.baseline:
        compileall.compile_dir(str(opts.baseline / "specmerge"), quiet=1)
        args = ["render", "--show-secrets", *flags]
        ours_cmd, base_cmd = ["env", *SPECMERGE, *args], ["env", f"PYTHONPATH={opts.baseline.resolve()}", *SPECMERGE, *args]
        o, t, r = paired(ours_cmd, base_cmd, opts.pairs)
        rows.append((f"this tree / `{opts.baseline.name}` (baseline): bundled `specmerge render --show-secrets`",
                     f"{o * 1000:.0f} ms / {t * 1000:.0f} ms = **{r:.2f}x** (CPU {cpu_of(ours_cmd) * 1000:.0f} ms / "
                     f"{cpu_of(base_cmd) * 1000:.0f} ms)"))

    version = statistics.median(wall(SPECMERGE + ["--version"]) for _ in range(opts.pairs))
    floor = statistics.median(wall([sys.executable, "-c", "pass"]) for _ in range(opts.pairs))
    helm_version = statistics.median(wall([helm, "version"]) for _ in range(opts.pairs))
    rows.append(("`specmerge --version` (python -m, whole process)",
                 f"**{version * 1000:.0f} ms** (CPU {cpu_of(SPECMERGE + ['--version']) * 1000:.0f} ms)"))
    rows.append(("`python -c pass` / `helm version` (start-up floors)", f"{floor * 1000:.0f} ms / {helm_version * 1000:.0f} ms"))

    typer_s, helm_s, other_s, run_s = phases(["render", "--show-secrets", *flags], opts.pairs)
    rows.append(("where a bundled `specmerge render --show-secrets` goes (medians, timed inside the process)",
                 f"interpreter + site {floor * 1000:.0f} ms (`python -c pass`), Typer {typer_s * 1000:.0f} ms, "
                 f"Helm's library {helm_s * 1000:.0f} ms, other imports {other_s * 1000:.0f} ms, the run (chart "
                 f"load, merge, validate, render, print) {run_s * 1000:.0f} ms"))
    rows.append(("floor of any one-process Python render: `python -c pass` + Helm's library, before a line of "
                 "specmerge or Typer runs / `helm template`",
                 f"{(floor + helm_s) * 1000:.0f} ms / {helm_bundled * 1000:.0f} ms = "
                 f"**{(floor + helm_s) / helm_bundled:.2f}x**"))

    from specmerge.cli.inputs import InputFlags
    from specmerge.pipeline import plan

    inputs = InputFlags(values=[Path(env_overlay)], set_=["app.replicaCount=4", "console.image.tag=2.13.5"]).plan_inputs(render=True)
    plan(inputs)
    times = []
    for _ in range(41):
        t0 = time.perf_counter()
        plan(inputs)
        times.append(time.perf_counter() - t0)
    inproc = statistics.median(times)
    rows.append(("in-process `plan()` (bundled chart: merge, validate, render) vs the `helm template` process",
                 f"{inproc * 1000:.1f} ms vs {helm_bundled * 1000:.0f} ms = **{helm_bundled / inproc:.1f}x faster**"))

    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    baseline = " --baseline DIR" if opts.baseline else ""
    load = f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    text = ("# CLI as a user times it (issue 12) - `python3 bench/bench_cli.py --write bench/cli.md`\n\n"
            f"Produced by `python3 bench/bench_cli.py{baseline}` ({machine}; {opts.pairs} pairs; {load}; the machine is "
            "shared, so read ratios, not absolute times)."
            + (f" DIR is `git archive {opts.baseline.name} | tar -x -C DIR`." if opts.baseline else "")
            + "\n\n| measurement | value |\n| --- | --- |\n"
            + "\n".join(f"| {k} | {v} |" for k, v in rows) + "\n\n" + NOTES)
    print(text)
    if opts.write:
        opts.write.write_text(text)


if __name__ == "__main__":
    main()
