"""``specmerge operator``: reconcile instances' custom resources into Helm releases (issue 14)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .errors import CliError, cli_errors
from .options import ChannelServerUrl, LicenseFile

CRD_FILE = Path("deploy") / "crds" / "weightsandbiases.apps.wandb.com.yaml"  # under repo_root()


def _print_crd(kind: object) -> None:
    from ruamel.yaml import YAML

    from ..instances import CrKind
    from ..locations import repo_root

    assert isinstance(kind, CrKind)
    yaml = YAML()
    doc = yaml.load((repo_root() / CRD_FILE).read_text())
    doc["metadata"]["name"] = f"{kind.plural}.{kind.group}"
    spec = doc["spec"]
    spec["group"] = kind.group
    spec["names"].update({"kind": kind.kind, "listKind": f"{kind.kind}List", "plural": kind.plural,
                          "singular": kind.plural})
    if kind.short_name:
        spec["names"]["shortNames"] = [kind.short_name]
    else:
        spec["names"].pop("shortNames", None)
    spec["versions"][0]["name"] = kind.version
    yaml.dump(doc, sys.stdout)


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str, flag: str) -> float:
    """``90``, ``90s``, ``10m``, ``1h`` or ``0.5s`` as seconds (> 0)."""
    raw = text.strip().lower()
    unit = _UNITS.get(raw[-1:], None)
    try:
        seconds = float(raw[:-1] if unit else raw) * (unit or 1.0)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise CliError(f"{flag}: expected a duration such as 30s, 10m or 1h, got {text!r}")
    return seconds


Kubeconfig = Annotated[Path | None, typer.Option("--kubeconfig", help="Kubeconfig (default: in-cluster, then $KUBECONFIG).")]
Context = Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")]
Namespaces = Annotated[list[str] | None, typer.Option("--namespace", "-n", help="Namespace to watch (repeat; default all).")]
CrResource = Annotated[str, typer.Option("--cr-resource", help="The instance CR as PLURAL.VERSION.GROUP.")]
CrKindOpt = Annotated[str | None, typer.Option("--cr-kind", help="The CR's kind (default WeightsAndBiases for the default resource).")]
Selector = Annotated[str | None, typer.Option("--selector", "-l", help="Only CRs with these labels (a shard; each shard has its own Lease).")]
Channel = Annotated[str, typer.Option("--channel", help="Release channel of CRs without spec.channel.")]
Airgapped = Annotated[bool, typer.Option("--airgapped", help="Never contact a channel server or chart repository.")]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Concurrent reconciles (never two for one instance).")]
Resync = Annotated[float, typer.Option("--resync", help="Seconds between full resyncs (converged CRs cost no request).")]
PollInterval = Annotated[float, typer.Option("--poll-interval", help="Seconds between channel polls.")]
DriftInterval = Annotated[str, typer.Option("--drift-interval", help="Time between drift checks of each deployed release (90s, 10m, 1h; spec.drift.mode: disabled | warn | correct).")]
PreflightInterval = Annotated[str, typer.Option("--preflight-interval", help="Max age of cached cluster facts for requirements; how often blocked instances look again.")]
MaxFailures = Annotated[int, typer.Option("--max-failures", min=1, help="Failed Helm actions before rollback and Stalled.")]
MetricsHost = Annotated[str, typer.Option("--metrics-host", help="Address of /metrics, /healthz, /readyz.")]
MetricsPort = Annotated[int, typer.Option("--metrics-port", help="Port of /metrics (0 picks a free one).")]
LeaseNamespace = Annotated[str, typer.Option("--lease-namespace", help="Namespace of the leader-election Lease.")]
LeaseName = Annotated[str | None, typer.Option("--lease-name", help="Lease name (default derived from --selector).")]
LeaseSeconds = Annotated[int, typer.Option("--lease-seconds", min=2, help="Lease duration.")]
Identity = Annotated[str | None, typer.Option("--identity", help="This replica's identity (default host name + random).")]
KubeVersion = Annotated[str | None, typer.Option("--kube-version", help="Kubernetes version charts are rendered for.")]
LogLevel = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")]
PrintCrd = Annotated[bool, typer.Option("--print-crd", help="Print the CRD for --cr-resource/--cr-kind and exit.")]

LOG_LEVELS = ("debug", "info", "warning", "error")


@cli_errors
def operator_command(
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespaces = None,
    cr_resource: CrResource = "weightsandbiases.v1.apps.wandb.com",
    cr_kind: CrKindOpt = None,
    selector: Selector = None,
    channel: Channel = "stable",
    channel_server: ChannelServerUrl = None,
    license_file: LicenseFile = None,
    airgapped: Airgapped = False,
    workers: Workers = 2,
    resync: Resync = 3600.0,
    poll_interval: PollInterval = 300.0,
    drift_interval: DriftInterval = "10m",
    preflight_interval: PreflightInterval = "60s",
    max_failures: MaxFailures = 3,
    metrics_host: MetricsHost = "127.0.0.1",
    metrics_port: MetricsPort = 8481,
    lease_namespace: LeaseNamespace = "default",
    lease_name: LeaseName = None,
    lease_seconds: LeaseSeconds = 15,
    identity: Identity = None,
    kube_version: KubeVersion = None,
    log_level: LogLevel = "info",
    print_crd: PrintCrd = False,
) -> None:
    """Reconcile custom resources into Helm releases; zero writes when nothing changed.

    Prints one line with the metrics URL, then logs JSON lines to stderr until SIGTERM."""
    from ..instances import CrKind
    from ..operator import OperatorConfig, Scope, Settings, run
    from ..operator.logs import configure

    kind = CrKind.parse(cr_resource, cr_kind)  # an InstanceError names the bad resource: exit 2
    if print_crd:
        _print_crd(kind)
        return
    if log_level.lower() not in LOG_LEVELS:
        raise CliError(f"--log-level: expected debug, info, warning or error, got {log_level!r}")
    if airgapped and channel_server:
        raise CliError("--airgapped and --channel-server exclude each other")
    settings = Settings(kind, channel, max_failures, airgapped, kube_version,
                        _duration(drift_interval, "--drift-interval"), _duration(preflight_interval, "--preflight-interval"))
    configure(log_level)
    cfg = OperatorConfig(
        kubeconfig=kubeconfig, context=context, scope=Scope(tuple(namespace or ()), selector), settings=settings,
        channel_server=channel_server, license_file=license_file, workers=workers, resync=resync,
        poll_interval=poll_interval, metrics_host=metrics_host, metrics_port=metrics_port,
        lease_namespace=lease_namespace, lease_name=lease_name, lease_seconds=lease_seconds, identity=identity,
    )
    try:
        code = run(cfg, announce=lambda line: print(line, flush=True))
    except ValueError as exc:  # a LicenseError, or a bad setting the operator refuses
        raise CliError(str(exc)) from None
    raise typer.Exit(code)


__all__ = ["operator_command"]
