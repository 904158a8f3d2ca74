"""The resident ``specmerge`` (issue #12: a CLI as fast as ``helm template``).

A daemon is an accelerator, never a second implementation: every command it runs must print
the same bytes on stdout and stderr and exit with the same status as the same command run in
its own process, with the client's stdin, working directory and umask. Each test runs real
client processes against a real daemon over its Unix socket (tests/cli/daemonkit.py), and
checks the daemon's own count of commands run, so a silent fallback to running in-process
cannot pass for the daemon working."""

from __future__ import annotations

import array
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from daemonkit import REPO, Daemons, daemons  # noqa: F401  (fixture)

from specmerge.cli.daemon import wire
from specmerge.cli.daemon.client import proxied
from specmerge.cli.daemon.where import MAX_DAEMONS, RETRY_AFTER_FAILURE, failed_recently, record_failure

EXAMPLE = str(REPO / "examples" / "user-values.yaml")

#: (argv, exit status): one of every proxied command and of every exit class.
CASES = [
    (["render"], 0),
    (["render", "-f", EXAMPLE, "--set", "app.replicaCount=3", "--show-secrets"], 0),
    (["render", "--set", "app.replicaCount=-4"], 1),  # a schema violation, attributed
    (["render", "-f", "no-such-file.yaml"], 2),
    (["render", "--help"], 0),
    (["show", "values"], 0),
    (["merge", "-f", EXAMPLE], 0),
    (["explain", "app.replicaCount", "-f", EXAMPLE, "--set", "app.replicaCount=5"], 0),
    (["explain", "--all", "-f", EXAMPLE], 0),
    (["validate", "-f", EXAMPLE, "--set", "app.replicaCount=x"], 1),
    (["diff", "-f", EXAMPLE, "--", "-f", EXAMPLE, "--set", "app.replicaCount=7"], 0),
    (["render", "--no-such-flag"], 2),
    (["render"], 0),  # again, after all of the above: nothing of an earlier command leaks into a later one
]


def test_a_command_run_by_the_daemon_prints_and_exits_as_in_its_own_process(daemons: Daemons) -> None:
    daemons.start()
    for argv, status in CASES:
        alone = daemons.cli(*argv, mode="off")
        before = daemons.commands()
        served = daemons.cli(*argv)
        assert daemons.commands() == before + 1, f"{argv}: the daemon did not run it"
        assert (served.returncode, alone.returncode) == (status, status), (argv, served.stderr, alone.stderr)
        assert served.stdout == alone.stdout, argv
        assert served.stderr == alone.stderr, argv


def test_the_client_s_stdin_directory_and_umask_are_the_command_s(daemons: Daemons, tmp_path: Path) -> None:
    daemons.start()
    (tmp_path / "mine.yaml").write_text("app:\n  replicaCount: 4\n")
    overlay = "app:\n  replicaCount: 6\n"
    served = daemons.cli("render", "-f", "mine.yaml", "-f", "-", "--output-dir", "out", stdin=overlay, cwd=tmp_path)
    alone = daemons.cli("render", "-f", "mine.yaml", "-f", "-", "--output-dir", "alone", stdin=overlay, cwd=tmp_path,
                        mode="off")
    assert (served.returncode, alone.returncode) == (0, 0), served.stderr
    written = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*.yaml"))
    assert written and written == sorted(p.relative_to(tmp_path / "alone") for p in (tmp_path / "alone").rglob("*.yaml"))
    deployment = next(p for p in (tmp_path / "out").rglob("*.yaml") if "replicas: 6" in p.read_text())
    assert deployment.read_text() == (tmp_path / "alone" / deployment.relative_to(tmp_path / "out")).read_text()
    umask = subprocess.run(["sh", "-c", f"umask 077 && exec {sys.executable} -m specmerge.cli render --output-dir tight"],
                           cwd=tmp_path, env={**daemons.env, "SPECMERGE_DAEMON": "on"}, capture_output=True, check=False)
    assert umask.returncode == 0, umask.stderr
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "tight").rglob("*.yaml")}
    assert modes == {0o600}
    assert daemons.commands() == 2


def test_a_chart_rewritten_with_its_old_size_and_mtime_is_read_again(daemons: Daemons, tmp_path: Path) -> None:
    """What ``cp -p`` onto an existing file does: only the change time tells."""
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    cm = chart / "templates" / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: HOST\n")
    daemons.start()
    assert "k: HOST" in daemons.cli("render", "--chart", str(chart)).stdout
    before = cm.stat()
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: HOZT\n")
    os.utime(cm, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "k: HOZT" in daemons.cli("render", "--chart", str(chart)).stdout
    assert daemons.commands() == 2


def test_a_terminal_s_variables_are_the_command_s_own(daemons: Daemons) -> None:
    """Variables read per command (here COLUMNS, the help's width) do not need a daemon of their own."""
    daemons.start()
    wide = daemons.cli("render", "--help", mode="off")
    narrow = daemons.cli("render", "--help", extra={"COLUMNS": "60", "TMUX_PANE": "%3"})
    assert narrow.returncode == 0 and daemons.commands() == 1 and len(daemons.sockets()) == 1
    assert narrow.stdout == daemons.cli("render", "--help", mode="off", extra={"COLUMNS": "60"}).stdout
    assert narrow.stdout != wide.stdout
    assert daemons.cli("render", "--help").stdout == wide.stdout  # and they do not stick


def test_another_environment_gets_another_daemon_not_this_one(daemons: Daemons) -> None:
    daemons.start()
    before, sockets = daemons.commands(), daemons.sockets()
    # KUBECONFIG is read once by Helm's Go runtime: another daemon's; CI set: none is started for it
    done = daemons.cli("render", "--set", "app.replicaCount=2", mode="auto", extra={"CI": "true", "KUBECONFIG": "/x"})
    assert done.returncode == 0 and "replicas: 2" in done.stdout
    assert daemons.commands() == before and daemons.sockets() == sockets


def test_the_daemon_itself_declines_another_environment(daemons: Daemons) -> None:
    """Even at this daemon's socket (a key collision), a run request from another environment is declined."""
    daemons.start()
    interpreter = subprocess.run([sys.executable, "-c", "from specmerge.cli.daemon import where; "
                                  "print(where.interpreter().decode())"], env=daemons.env, capture_output=True,
                                 text=True, check=True).stdout.strip().encode()
    env = [f"{k}={v}".encode() for k, v in {**daemons.env, "SPECMERGE_DAEMON": "on"}.items()]
    assert _send_run(daemons, interpreter, env)[0] == wire.READY  # the same environment: taken

    other = [*env, b"HELM_DRIVER=memory"]
    assert _send_run(daemons, interpreter, other) == (wire.DECLINED, [b"another environment"])
    assert _send_run(daemons, b"0" * 16, env) == (wire.DECLINED, [b"another interpreter, specmerge or interpreter flags"])
    assert daemons.commands() == 0


def _send_run(daemons: Daemons, interpreter: bytes, env: list[bytes]) -> tuple[bytes, list[bytes]]:
    """The daemon's first answer to a run request (``render``) with this digest and environment."""
    with socket.socket(socket.AF_UNIX) as sock, open(os.devnull, "r+b") as null:
        sock.connect(str(daemons.root / daemons.sockets()[0]))
        fields = wire.run_fields(interpreter, str(REPO).encode(), 0o22, [b"render"], env)
        sock.sendmsg([wire.frame(wire.RUN, fields)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array(
            "i", [null.fileno()] * 3).tobytes())])
        return wire.read_frame(sock.recv)


def test_a_busy_daemon_sends_the_next_command_back_to_run_in_its_own_process(daemons: Daemons) -> None:
    daemons.start()
    first = daemons.holding()  # holds the daemon: its command reads a stdin that stays open until we close it
    try:
        _wait_until(lambda: daemons.commands() == 0 and _daemon_busy(daemons))
        second = daemons.cli("render", "--set", "app.replicaCount=8")
        assert second.returncode == 0 and "replicas: 8" in second.stdout
        out, err = first.communicate(b"app:\n  replicaCount: 9\n", timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0 and b"replicas: 9" in out, err
    assert daemons.commands() == 1  # only the first: the second ran in its own process


def test_a_client_that_goes_away_interrupts_its_command(daemons: Daemons) -> None:
    daemons.start()
    stuck = daemons.holding(stdout=subprocess.DEVNULL)
    try:
        _wait_until(lambda: _daemon_busy(daemons))
        stuck.send_signal(signal.SIGKILL)
        stuck.wait(timeout=10)
        # the daemon would wait on that stdin forever; the hang-up interrupted it instead
        _wait_until(lambda: not _daemon_busy(daemons))
    finally:
        stuck.kill()
        stuck.stdin.close()
    done = daemons.cli("render", "--set", "app.replicaCount=2")
    assert done.returncode == 0 and "replicas: 2" in done.stdout
    assert daemons.commands() == 2


def test_a_daemon_that_dies_mid_command_is_reported_not_run_twice(daemons: Daemons) -> None:
    info = daemons.start()
    held = daemons.holding()
    try:
        _wait_until(lambda: _daemon_busy(daemons))
        os.kill(int(info["pid"]), signal.SIGKILL)
        out, err = held.communicate(timeout=30)
    finally:
        held.kill()
    assert held.returncode == 2 and out == b""
    assert err.decode() == ("error: the specmerge daemon stopped while running this command; run it again "
                            "(or with SPECMERGE_DAEMON=off)\n")


def test_sigterm_lets_the_running_command_finish_then_the_daemon_exits(daemons: Daemons) -> None:
    info = daemons.start()
    held = daemons.holding()
    try:
        _wait_until(lambda: _daemon_busy(daemons))
        os.kill(int(info["pid"]), signal.SIGTERM)
        out, err = held.communicate(b"app:\n  replicaCount: 5\n", timeout=60)
    finally:
        held.kill()
    assert held.returncode == 0 and b"replicas: 5" in out, err
    assert daemons.wait_gone() and daemons.sockets() == []


def test_ctrl_c_interrupts_the_command_as_in_its_own_process(daemons: Daemons) -> None:
    daemons.start()
    outcomes = []
    for mode in ("on", "off"):
        held = daemons.holding(mode=mode)
        try:
            _wait_until(lambda: _daemon_busy(daemons) if mode == "on" else _reading_stdin(held.pid))
            held.send_signal(signal.SIGINT)
            out, err = held.communicate(timeout=30)
        finally:
            held.kill()
        outcomes.append((held.returncode, out, err))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 130
    assert daemons.commands() == 1 and not _daemon_busy(daemons)


def test_a_client_with_a_closed_standard_stream_runs_its_command_itself(daemons: Daemons) -> None:
    """Its socket would take the closed descriptor's number and be handed over as that stream."""
    daemons.start()
    results = {}
    for mode in ("on", "off"):
        for redirect in (">&-", "<&-", "2>&-"):
            line = f"exec {sys.executable} -m specmerge.cli render -f {EXAMPLE} {redirect}"
            done = subprocess.run(["sh", "-c", line], env={**daemons.env, "SPECMERGE_DAEMON": mode}, cwd=REPO,
                                  capture_output=True, timeout=120, check=False)
            results[(mode, redirect)] = (done.returncode, done.stdout, done.stderr)
    for redirect in (">&-", "<&-", "2>&-"):
        assert results[("on", redirect)] == results[("off", redirect)], redirect
    assert daemons.commands() == 0


def test_unbuffered_output_interleaves_as_in_its_own_process(daemons: Daemons, tmp_path: Path) -> None:
    daemons.env["PYTHONUNBUFFERED"] = "1"
    daemons.start()
    (tmp_path / "v.yaml").write_text("a: 1\nb: x\n")
    (tmp_path / "s.json").write_text('{"type": "object", "properties": {"b": {"type": "integer"}}}')
    outputs = []
    for mode in ("on", "off"):
        with open(tmp_path / f"out-{mode}", "wb") as out:
            done = subprocess.run([sys.executable, "-m", "specmerge.cli", "merge", "-f", "v.yaml", "--schema", "s.json"],
                                  env={**daemons.env, "SPECMERGE_DAEMON": mode}, cwd=tmp_path, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=120, check=False)
        outputs.append((done.returncode, (tmp_path / f"out-{mode}").read_text()))
    assert outputs[0] == outputs[1] and outputs[0][0] == 1
    assert daemons.commands() == 1


def test_stop_says_when_the_daemon_still_runs_a_command(daemons: Daemons) -> None:
    daemons.start()
    held = daemons.holding()
    try:
        _wait_until(lambda: _daemon_busy(daemons))
        stopped = daemons.cli("daemon", "stop")
        assert stopped.returncode == 1 and "asked to stop; still running a command" in stopped.stdout
        out, _ = held.communicate(b"app:\n  replicaCount: 3\n", timeout=60)
    finally:
        held.kill()
    assert held.returncode == 0 and b"replicas: 3" in out
    assert daemons.wait_gone()


def test_the_daemon_steps_aside_when_its_own_files_change(daemons: Daemons, tmp_path: Path) -> None:
    shutil.copytree(REPO / "specmerge", tmp_path / "specmerge", ignore=shutil.ignore_patterns("__pycache__"))
    daemons.env.update(PYTHONPATH=str(tmp_path), SPECMERGE_ROOT=str(REPO))
    daemons.cwd = tmp_path
    daemons.start()
    assert daemons.cli("render").returncode == 0 and daemons.commands() == 1
    (tmp_path / "specmerge" / "core" / "merge.py").touch()
    done = daemons.cli("render", "--set", "app.replicaCount=2")
    assert done.returncode == 0 and "replicas: 2" in done.stdout  # declined: run by the client itself
    assert daemons.wait_gone(), "the daemon kept running old code"


def test_the_daemon_steps_aside_when_its_code_changes(daemons: Daemons, tmp_path: Path) -> None:
    extra = tmp_path / "site"  # a directory on the daemon's sys.path: installing into it is a code change
    extra.mkdir()
    daemons.env["PYTHONPATH"] = os.pathsep.join([daemons.env["PYTHONPATH"], str(extra)])
    daemons.start()
    assert daemons.cli("render").returncode == 0 and daemons.commands() == 1
    (extra / "newly_installed.py").write_text("")
    done = daemons.cli("render", "--set", "app.replicaCount=2")
    assert done.returncode == 0 and "replicas: 2" in done.stdout  # declined: run by the client itself
    assert daemons.wait_gone(), "the daemon kept running old code"
    assert daemons.sockets() == []


def test_an_idle_daemon_exits_and_removes_its_socket(daemons: Daemons) -> None:
    daemons.env["SPECMERGE_DAEMON_IDLE"] = "1"
    daemons.start()
    assert daemons.sockets()
    assert daemons.wait_gone()
    assert daemons.sockets() == [] and daemons.status() == {}


def test_the_first_command_starts_a_daemon_for_the_next_unless_in_ci(daemons: Daemons) -> None:
    ci = daemons.cli("render", mode="auto", extra={"CI": "true"})
    assert ci.returncode == 0 and daemons.pids() == []
    first = daemons.cli("render", mode="auto")
    assert first.returncode == 0
    _wait_until(lambda: daemons.status() != {})
    nxt = daemons.cli("render", mode="auto")
    assert nxt.stdout == first.stdout and daemons.commands() == 1


def test_no_daemon_is_started_unasked_while_the_most_allowed_run(daemons: Daemons) -> None:
    """Each environment gets its own daemon; a shell whose variables change on every command
    (a build tool's) must not leave one behind each time."""
    others = []
    for i in range(MAX_DAEMONS):  # sockets that answer, as other environments' daemons do
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(daemons.root / f"d-other{i}.sock"))
        listener.listen(8)
        others.append(listener)
    try:
        done = daemons.cli("render", mode="auto")
        assert done.returncode == 0 and "kind: Deployment" in done.stdout
        assert daemons.pids() == []  # a start would have been a child process by the time the client exits
        assert daemons.cli("daemon", "start").returncode == 0  # asked for: started
    finally:
        for listener in others:
            listener.close()


def test_a_daemon_that_cannot_start_is_not_started_again_by_every_command(daemons: Daemons) -> None:
    path = Path(subprocess.run([sys.executable, "-c", "from specmerge.cli.daemon import where; print(where.socket_path())"],
                               env=daemons.env, capture_output=True, text=True, check=True).stdout.strip())
    path.mkdir()  # a directory where its socket must go: the daemon cannot listen
    first = daemons.cli("render", mode="auto")
    assert first.returncode == 0 and "kind: Deployment" in first.stdout  # run alone
    _wait_until(lambda: Path(f"{path}.failed").exists())
    assert daemons.wait_gone()
    marker = Path(f"{path}.failed")
    assert marker.read_text().startswith(f"IsADirectoryError: [Errno 21] Is a directory: '{path}'")
    kept = marker.stat().st_mtime_ns
    again = daemons.cli("render", mode="auto")
    assert again.returncode == 0 and again.stdout == first.stdout
    assert daemons.wait_gone() and marker.stat().st_mtime_ns == kept  # no daemon started to fail again
    asked = daemons.cli("daemon", "start")  # asked for: tried, and the reason said
    assert asked.returncode == 2
    assert "exited with status 1 before it answered" in asked.stderr and "IsADirectoryError" in asked.stderr


def test_a_start_failure_is_forgotten_after_a_while(tmp_path: Path) -> None:
    path = str(tmp_path / "d-x.sock")
    assert failed_recently(path) is None
    record_failure(path, ImportError("no module named x\nmore"))
    written = os.stat(path + ".failed").st_mtime
    assert failed_recently(path) == "ImportError: no module named x"
    assert failed_recently(path, now=written + RETRY_AFTER_FAILURE + 1) is None


def test_a_directory_others_may_enter_is_not_used(daemons: Daemons) -> None:
    os.chmod(daemons.root, 0o755)
    started = daemons.cli("daemon", "start")
    assert started.returncode == 2
    assert f"{daemons.root} may be entered by others (mode 0755)" in started.stderr
    done = daemons.cli("render")
    assert done.returncode == 0 and daemons.pids() == [] and daemons.sockets() == []


def test_stop_and_status_say_what_runs(daemons: Daemons) -> None:
    assert daemons.cli("daemon", "status").returncode == 1
    info = daemons.start()
    assert info["pid"].isdigit()
    stopped = daemons.cli("daemon", "stop")
    assert stopped.stdout.strip() == "specmerge daemon: stopped"
    assert daemons.wait_gone() and daemons.sockets() == []
    assert daemons.cli("daemon", "stop").stdout.strip() == "specmerge daemon: not running"


def test_a_bad_mode_is_a_usage_error(daemons: Daemons) -> None:
    done = daemons.cli("render", mode="sometimes")
    assert done.returncode == 2
    assert done.stderr == "error: $SPECMERGE_DAEMON='sometimes': expected auto, on or off\n"


@pytest.mark.parametrize(("argv", "expected"), [
    (["render"], True), (["diff", "-f", "a"], True), (["diff", "--live", "ns/x"], False),
    (["diff", "--live=ns/x"], False), (["serve"], False), (["operator"], False), (["daemon", "start"], False),
])
def test_only_read_only_commands_go_to_a_daemon(argv: list[str], expected: bool) -> None:
    assert proxied(argv[0], argv) is expected


def _reading_stdin(pid: int) -> bool:
    """Whether the process's main thread is blocked in read(0, ...) (x86-64 and arm64 numbers)."""
    try:
        call = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return call[:2] in (["0", "0x0"], ["63", "0x0"])


def _daemon_busy(daemons: Daemons) -> bool:
    return daemons.status().get("running") == "True"


def _wait_until(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)
