"""specmerge.cli.coerce: the same values and the same errors as Typer's own coercion.

Two applications are built from one command function: one with Typer's coercion (a
pydantic adapter per option), one with :class:`~specmerge.cli.coerce.PlainFirstGroup`. Every
command line must give both the same exit code, output and parsed values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from specmerge.cli.coerce import PlainFirstGroup


def _command(
    name: Annotated[str, typer.Option("--name")] = "x",
    maybe: Annotated[str | None, typer.Option("--maybe")] = None,
    flag: Annotated[bool, typer.Option("--flag", envvar="T_FLAG")] = False,
    count: Annotated[int, typer.Option("--count", "-c", min=0)] = 3,
    ratio: Annotated[float, typer.Option("--ratio")] = 0.5,
    path: Annotated[Path | None, typer.Option("--path")] = None,
    must: Annotated[Path | None, typer.Option("--must", exists=True, dir_okay=False)] = None,
    files: Annotated[list[Path] | None, typer.Option("-f")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set")] = None,
) -> None:
    """A command with one option of each kind specmerge's commands use."""
    values = [name, maybe, flag, count, ratio, path, must, files, sets]
    typer.echo(repr(values))


def _app(cls: type | None) -> typer.Typer:
    app = typer.Typer(cls=cls, add_completion=False, pretty_exceptions_enable=False)
    app.command("run")(_command)

    @app.callback()
    def _root() -> None:
        """Root."""

    return app


TYPER, PLAIN = _app(None), _app(PlainFirstGroup)
RUNNER = CliRunner()


def _same(args: list[str], env: dict[str, str] | None = None) -> str:
    theirs = RUNNER.invoke(TYPER, ["run", *args], env=env)
    ours = RUNNER.invoke(PLAIN, ["run", *args], env=env)
    assert (ours.exit_code, ours.output) == (theirs.exit_code, theirs.output), args
    return ours.output


def test_values_and_errors_match_typer(tmp_path: Path) -> None:
    a_file = tmp_path / "a.yaml"
    a_file.write_text("a: 1\n")
    out = _same(["--name", "n", "--flag", "-c", "7", "--ratio", "2", "--path", "rel/p/", "--must", str(a_file),
                 "-f", "one.yaml", "-f", str(tmp_path), "--set", "a=1", "--set", "b=2"])
    assert out.startswith("['n', None, True, 7, 2.0, PosixPath('rel/p'), PosixPath(")
    assert "[PosixPath('one.yaml'), PosixPath(" in out and "['a=1', 'b=2']" in out
    for bad in (["-c", "x"], ["-c", "-2"], ["-c", " 5"], ["-c", "０"], ["--ratio", "y"],
                ["--must", str(tmp_path / "missing")], ["--must", str(tmp_path)], ["--name"], ["--help"]):
        _same(bad)
    for env in ("1", "true", "no", "maybe"):
        _same([], env={"T_FLAG": env})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["--name", "--maybe", "-c", "--ratio", "--path", "-f", "--set"]), max_size=4),
       st.lists(st.text(alphabet="ab1٣0-_./ x", max_size=6), min_size=4, max_size=4))
def test_any_option_values_match_typer(options: list[str], texts: list[str]) -> None:
    _same([part for option, text in zip(options, texts) for part in (option, text)])
