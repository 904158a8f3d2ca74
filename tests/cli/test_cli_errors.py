"""One place maps errors to exit codes (cli/errors.py): every branch of the exception tree
gives ``error: <message>`` and its code; commands share options instead of importing each
other; a server command that cannot listen says so in one line."""

from __future__ import annotations

import ast
import socket
import subprocess
from pathlib import Path

import pytest
import typer
from channelkit import SPECMERGE
from typer.testing import CliRunner

from specmerge.channels.resolve import ChannelRequest, ChannelUnavailable
from specmerge.cli import app
from specmerge.cli.errors import EXIT_ERROR, CliError, cli_errors, exit_code
from specmerge.cli.options import check_output
from specmerge.core import LayerInputError
from specmerge.errors import InputError, SpecmergeError, UnavailableError
from specmerge.render import ChartSourceError, TemplateError

CLI = Path(__file__).resolve().parents[2] / "specmerge" / "cli"


def _app_raising(exc: BaseException) -> typer.Typer:
    one = typer.Typer()

    @one.command()
    @cli_errors
    def fail() -> None:
        raise exc

    return one


@pytest.mark.parametrize("exc", [
    CliError("--only must be values or manifests"),
    LayerInputError("file:x.yaml", "not a map", 3, 1),
    TemplateError("templates/a.yaml:4: nil pointer"),
    ChartSourceError("oci://registry/x: connection refused"),
    ChannelUnavailable(ChannelRequest("stable", None), ("server: connection refused",)),
    SpecmergeError("any other error of ours"),
])
def test_every_branch_of_the_tree_is_one_error_line_and_its_exit_code(exc: SpecmergeError) -> None:
    result = CliRunner().invoke(_app_raising(exc), [])
    assert result.exit_code == exit_code(exc) == EXIT_ERROR
    assert result.stderr == f"error: {exc}\n" and result.stdout == ""
    assert isinstance(exc, (InputError, UnavailableError)) or type(exc) is SpecmergeError


def test_a_bug_keeps_its_traceback() -> None:
    result = CliRunner().invoke(_app_raising(KeyError("bug")), [])
    assert isinstance(result.exception, KeyError)


def test_the_decorator_applied_twice_wraps_once() -> None:
    def command() -> None:
        raise CliError("bad")

    once = cli_errors(command)
    assert cli_errors(once) is once


def test_output_choices_are_listed_in_the_error() -> None:
    check_output("yaml")
    with pytest.raises(CliError, match=r"^--output must be text, json or yaml, not 'xml'$"):
        check_output("xml")
    with pytest.raises(CliError, match=r"^--output must be yaml or json, not 'text'$"):
        check_output("text", ("yaml", "json"))


def test_an_unreachable_cluster_for_diff_live_is_an_error_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("")
    result = CliRunner().invoke(app, ["diff", "--live", "ns/demo", "--kubeconfig", str(config)])
    assert result.exit_code == 2 and result.stderr.startswith("error: kubeconfig: ") and result.stdout == ""


def test_a_port_that_is_taken_or_out_of_range_is_one_line_exit_2() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        busy = subprocess.run([SPECMERGE, "channel-server", "--dir", "channels", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=CLI.parents[1])
    finally:
        taken.close()
    assert busy.returncode == 2 and busy.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    wild = CliRunner().invoke(app, ["channel-server", "--dir", "channels", "--port", "70000"])
    assert wild.exit_code == 2 and wild.stderr == "error: cannot listen on 127.0.0.1:70000: the port must be 0-65535\n"


def test_no_command_module_imports_another() -> None:
    commands = {p.stem for p in CLI.glob("*_cmd.py")}
    for path in CLI.glob("*_cmd.py"):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert not imported & commands, f"{path.name} imports {imported & commands}: share it via options.py"
