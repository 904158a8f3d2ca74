"""The layer flags every command that plans takes, and the one rule that turns them into
:class:`~specmerge.pipeline.PlanInputs` (``render``, ``diff``, ``explain``, ``validate``).

Flags, as ``render`` spells them: ``-f/--values``, ``--set*``, ``--channel`` (``none`` for
no channel layer), ``--release``, ``--channel-server`` and ``--license-file`` (resolve the
channel as the operator does: server -> last-good cache -> embedded; without a server, the
embedded releases), ``--airgapped``, ``--chart`` (+ name, version), ``--cr``, ``--name``,
``-n/--namespace``, ``--kube-version``, ``--api-versions``.

:func:`with_input_flags` adds these options to a Typer command and hands the command one
:class:`InputFlags`; :func:`parse_input_flags` parses the same flags from a list of
arguments (``specmerge diff -f old.yaml -- -f new.yaml``), with the same parser.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.exceptions import TyperException

from ..channels import ChannelSpec, ChannelSpecError, LicenseError, ReleaseNotFound, load_embedded, read_license_file
from ..core import Layer, LayerInputError, Path as VPath, Positions, read_text, yaml_layer
from ..pipeline import PlanInputs, pinned_release
from ..render import DEFAULT_KUBE_VERSION, ChartRef, RenderOptions, parse_chart_ref
from .errors import CliError
from .options import SetFile, SetJson, SetLiteral, SetString, SetValues, ValuesFiles, cli_layers

#: Credentials for a remote ``--chart`` come from the environment, never from argv.
CHART_USERNAME_ENV = "SPECMERGE_CHART_USERNAME"
CHART_PASSWORD_ENV = "SPECMERGE_CHART_PASSWORD"

#: ``--channel none``: no channel layer (e.g. a third-party chart with its own overlays).
NO_CHANNEL = "none"

ChartOpt = Annotated[
    str | None,
    typer.Option(
        "--chart",
        help="Chart: a directory, .tgz or base64 .tgz file; https://repo (with --chart-name, --chart-version); "
        "oci://host/path/name (with --chart-version); or a JSON chart object. Default: the channel's chart.",
        show_default=False,
    ),
]
ChartName = Annotated[str | None, typer.Option("--chart-name", help="Chart name in an https:// repository.")]
ChartVersion = Annotated[
    str | None, typer.Option("--chart-version", help="Exact version or SemVer range for a remote --chart.")
]
ChannelOpt = Annotated[
    str | None,
    typer.Option("--channel", show_default=False,
                 help="Release channel for the channel layer; 'none' for none. Default: stable, except with a "
                      "--chart (or a CR's spec.chart), which gets no channel layer unless --channel names one."),
]

#: The channel used when --channel is not given and the chart is the channel's own.
DEFAULT_CHANNEL = "stable"
ChannelServerOpt = Annotated[
    str | None,
    typer.Option("--channel-server", show_default=False,  # a flag only: plain `specmerge render` never goes online
                 help="Channel server base URL: the channel as the operator resolves it (server, last-good cache, "
                      "embedded). Without it: the embedded releases."),
]
LicenseFileOpt = Annotated[
    Path | None,
    typer.Option("--license-file", envvar="SPECMERGE_LICENSE_FILE", show_default=False,
                 help="License for the channel server (never printed)."),
]
ReleaseOpt = Annotated[
    str | None, typer.Option("--release", help="Pin a channel release by version or releaseId.", show_default=False)
]
AirgappedOpt = Annotated[
    bool, typer.Option("--airgapped", envvar="SPECMERGE_AIRGAPPED",
                       help="No network at all (--channel-server ignored): embedded channel, remote charts only "
                            "from the cache.")
]
CrOpt = Annotated[
    Path | None, typer.Option("--cr", help="CR file (W&B shape): spec.values is the cr layer, spec.chart the chart.")
]
NameOpt = Annotated[str, typer.Option("--name", help="Release name.")]
NamespaceOpt = Annotated[str, typer.Option("--namespace", "-n", help="Release namespace.")]
KubeVersionOpt = Annotated[str, typer.Option("--kube-version", help="Kubernetes version for Capabilities and --strict.")]
ApiVersionsOpt = Annotated[
    list[str] | None,
    typer.Option("--api-versions", "-a", help="Extra API versions for Capabilities (repeat).", show_default=False),
]


def chart_ref_from_cli(chart: str | None, name: str | None, version: str | None) -> ChartRef | None:
    """``--chart`` and friends as a chart reference; relative paths resolve against the cwd."""
    if chart is None:
        if name or version:
            raise CliError("--chart-name/--chart-version need --chart")
        return None
    text = chart.strip()
    if text.startswith("{"):
        try:
            raw: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(f"--chart: invalid JSON chart object: {exc.msg} at column {exc.colno}") from None
    elif "://" in text:
        raw = {"url": text}
        if name is not None:
            raw["name"] = name
        if version is not None:
            raw["version"] = version
        user, password = os.environ.get(CHART_USERNAME_ENV), os.environ.get(CHART_PASSWORD_ENV)
        if user is not None:
            raw["username"] = user
        if password is not None:
            raw["password"] = password
    else:
        if name or version:
            raise CliError("--chart-name/--chart-version only apply to a remote --chart (https:// or oci://)")
        raw = {"path": text}
    return parse_chart_ref(raw, base=Path.cwd(), where="--chart")


def cr_layer(path: Path) -> tuple[Layer, dict[str, Any] | None]:
    """The ``cr`` layer (``spec.values``, with file:line positions) and ``spec.chart`` of a
    CR file of the W&B shape (``apiVersion/kind/metadata/spec``)."""
    source = f"file:{path}"
    whole = yaml_layer("cr-file", source, read_text(path, source))
    doc = whole.values
    spec = doc.get("spec")
    if not isinstance(doc.get("kind"), str) or not isinstance(doc.get("metadata"), dict):
        raise LayerInputError(source, "not a custom resource: needs apiVersion, kind, metadata and spec", 1, 1)
    if not isinstance(spec, dict):
        raise LayerInputError(source, "spec must be a map with values and (optionally) chart")
    values = spec.get("values", {})
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise LayerInputError(source, "spec.values must be a map")
    chart = spec.get("chart")
    if chart is not None and not isinstance(chart, dict):
        raise LayerInputError(source, "spec.chart must be a map (a chart reference)")
    meta = doc["metadata"]
    name = f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"
    prefix = ("spec", "values")

    def positions() -> dict[VPath, tuple[int, int]]:
        return {p[2:]: pos for p, pos in whole.positions.table().items() if p[:2] == prefix}

    return Layer("cr", f"cr:{name}@{source}", values, Positions(compute=positions)), chart


def channel_spec(
    channel: str,
    release: str | None,
    pinned: str | None,
    server: str | None = None,
    license_file: Path | None = None,
    airgapped: bool = False,
) -> ChannelSpec | None:
    """The channel release: ``release``, else the pinned ``_releaseId``, else the latest.
    With a ``server`` (and not ``airgapped``) it is resolved as the operator resolves it and a
    fallback is reported on stderr; otherwise it comes from the embedded releases."""
    if channel == NO_CHANNEL:
        if release:
            raise CliError("--release needs a channel; --channel none has no releases")
        return None
    if server and not airgapped:
        return _served_spec(channel, release or pinned, server, license_file)
    try:
        return load_embedded(channel, release or pinned)
    except (ReleaseNotFound, ChannelSpecError) as exc:
        raise CliError(f"channel: {exc}") from None


def _served_spec(channel: str, release: str | None, server: str, license_file: Path | None) -> ChannelSpec:
    from ..channels import ChannelClient, DirectoryCache, Resolver, default_cache_dir
    from ..channels import ChannelRequest, ChannelRequestError, ChannelUnavailable

    try:
        license = read_license_file(license_file) if license_file else None
        client = ChannelClient(server, license)
    except (LicenseError, ValueError) as exc:  # ValueError: a URL that is not http(s)://host[/path]
        raise CliError(f"--channel-server: {exc}") from None
    try:
        with client:
            result = Resolver(client, DirectoryCache(default_cache_dir())).resolve(ChannelRequest(channel, release))
    except (ChannelRequestError, ChannelUnavailable) as exc:
        raise CliError(f"channel: {exc}") from None
    if result.degraded or result.cache_error:
        typer.echo(f"warning: channel {result.describe()}", err=True)
    return result.spec


@dataclass(frozen=True)
class InputFlags:
    """The layer flags of one command line, as parsed (see the module docstring)."""

    values: list[Path] | None = None
    set_: list[str] | None = None
    set_string: list[str] | None = None
    set_json: list[str] | None = None
    set_file: list[str] | None = None
    set_literal: list[str] | None = None
    channel: str | None = None
    release: str | None = None
    channel_server: str | None = None
    license_file: Path | None = None
    airgapped: bool = False
    chart: str | None = None
    chart_name: str | None = None
    chart_version: str | None = None
    cr: Path | None = None
    name: str = "specmerge"
    namespace: str = "default"
    kube_version: str = DEFAULT_KUBE_VERSION
    api_versions: list[str] | None = None

    def with_release(self, release: str) -> InputFlags:
        return replace(self, release=release)

    def plan_inputs(
        self,
        *,
        render: bool,
        user: Layer | None = None,
        cr: Layer | None = None,
        cr_chart: dict[str, Any] | None = None,
    ) -> PlanInputs:
        """The plan these flags ask for. ``user``/``cr``/``cr_chart`` come from elsewhere (a
        live instance); a ``--cr`` file wins over a given ``cr``. Chart: ``--chart``, else
        the CR's ``spec.chart``, else the channel's. Channel release: ``--release``, else the
        ``_releaseId`` the user or CR layer pins, else the latest (from the channel server when
        one is given, else embedded)."""
        extra = tuple(
            cli_layers(self.values, self.set_, self.set_string, self.set_json, self.set_file, self.set_literal)
        )
        cr_where = cr.source if cr is not None else "cr"
        if self.cr is not None:
            cr, cr_chart = cr_layer(self.cr)
            cr_where = cr.source
        ref = chart_ref_from_cli(self.chart, self.chart_name, self.chart_version)
        if ref is None and cr_chart is not None:
            ref = parse_chart_ref(cr_chart, base=Path.cwd(), where=f"{cr_where} spec.chart")
        channel = self.channel
        if channel is None:  # a chart of the user's own choosing gets no channel overlay unasked
            channel = NO_CHANNEL if ref is not None and self.release is None else DEFAULT_CHANNEL
        pinned = pinned_release(user, cr) if user is not None or cr is not None else None  # (imports the resolver)
        spec = channel_spec(channel, self.release, pinned, self.channel_server, self.license_file, self.airgapped)
        return PlanInputs(
            chart=ref,
            channel=spec,
            user=user,
            cr=cr,
            extra=extra,
            options=RenderOptions(self.name, self.namespace, self.kube_version, tuple(self.api_versions or ())),
            render=render,
            offline=self.airgapped,
        )


_FLAG_ANNOTATIONS: dict[str, Any] = {
    "values": ValuesFiles,
    "set_": SetValues,
    "set_string": SetString,
    "set_json": SetJson,
    "set_file": SetFile,
    "set_literal": SetLiteral,
    "channel": ChannelOpt,
    "release": ReleaseOpt,
    "channel_server": ChannelServerOpt,
    "license_file": LicenseFileOpt,
    "airgapped": AirgappedOpt,
    "chart": ChartOpt,
    "chart_name": ChartName,
    "chart_version": ChartVersion,
    "cr": CrOpt,
    "name": NameOpt,
    "namespace": NamespaceOpt,
    "kube_version": KubeVersionOpt,
    "api_versions": ApiVersionsOpt,
}
_FLAG_NAMES = tuple(f.name for f in fields(InputFlags))

F = TypeVar("F", bound=Callable[..., Any])


def with_input_flags(fn: F) -> F:
    """Give a command the layer flags: ``fn`` declares a keyword-only ``flags: InputFlags``;
    the wrapper's signature (what Typer reads) has the flag options in its place."""
    sig = inspect.signature(fn, eval_str=True)
    defaults = InputFlags()
    flag_params = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=getattr(defaults, n), annotation=_FLAG_ANNOTATIONS[n])
        for n in _FLAG_NAMES
    ]
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in sig.parameters.values() if p.name != "flags"]

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        flags = InputFlags(**{n: kwargs.pop(n) for n in _FLAG_NAMES if n in kwargs})
        return fn(flags=flags, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=own + flag_params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + flag_params}
    del wrapper.__wrapped__  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _collect(flags: InputFlags) -> InputFlags:
    return flags


_TAIL_APP = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
_TAIL_APP.command()(with_input_flags(_collect))


def parse_input_flags(args: Sequence[str], prog: str = "specmerge diff ... --") -> InputFlags:
    """``args`` (e.g. the part of a command line after ``--``) parsed as the layer flags,
    by the same options Typer builds for the commands. Bad flags raise :class:`CliError`."""
    from . import plain_first

    command = plain_first(typer.main.get_command(_TAIL_APP))
    try:
        with command.make_context(prog, list(args)) as ctx:
            result = command.invoke(ctx)
    except typer.Exit as exc:  # --help: its text is printed
        raise CliError(f"{prog}: --help is not a layer flag (the arguments are not repeated: they may hold values)") from exc
    except TyperException as exc:  # usage errors of Typer's click
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise CliError(f"{prog}: {message} (after `--` only layer flags go)") from None
    if not isinstance(result, InputFlags):
        raise CliError(f"{prog}: no layer flags parsed")
    return result
