"""A real etcd + kube-apiserver on 127.0.0.1, started from binaries built by ``build.sh``.

envtest-style: no controller-manager, no scheduler, no kubelet. So there is no garbage collection,
namespaces never finish deleting, no default ServiceAccounts appear and Deployments create no Pods.
Assert on API objects.

Binaries are located by running ``tests/cluster/build.sh --print-paths`` (it prints ``NAME=PATH`` per
binary and needs no Go); that keeps one definition of the cache layout and versions, in build.sh.

    binaries = locate_binaries()              # raises HarnessUnavailable with a reason
    with Cluster(binaries, log_dir=Path("/tmp/logs")) as cluster:
        print(cluster.server, cluster.token, cluster.kubeconfig)

Logs of both processes go to ``log_dir`` and survive teardown; everything else (certificates, etcd
data, tokens) lives in a temporary directory that teardown removes.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BUILD_SCRIPT = Path(__file__).resolve().parent / "build.sh"
ADMIN_USER = "admin"


class HarnessUnavailable(Exception):
    """The harness cannot run here (no Go, binaries not built); the message says why."""


class HarnessError(Exception):
    """The harness has its binaries but failed to start; the message carries the log tail."""


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path
    helm: Path
    registry: Path

    @property
    def kube_version(self) -> str:
        """The pinned Kubernetes version, from the cache key in the file name (kube-apiserver-v1.36.3)."""
        return self.kube_apiserver.name.removeprefix("kube-apiserver-")

    @property
    def helm_version(self) -> str:
        return self.helm.name.removeprefix("helm-")


def go_available() -> bool:
    return shutil.which(os.environ.get("GO", "go")) is not None or Path("/usr/local/go/bin/go").is_file()


def print_paths(build_script: Path = BUILD_SCRIPT) -> dict[str, Path]:
    """Run ``build.sh --print-paths``; return ``{name: path}`` whether or not the files exist yet."""
    if not build_script.is_file():
        raise HarnessUnavailable(f"build script missing: {build_script}")
    proc = subprocess.run(
        ["bash", str(build_script), "--print-paths"], capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise HarnessUnavailable(f"{build_script} --print-paths failed ({proc.returncode}): {proc.stderr.strip()}")
    paths: dict[str, Path] = {}
    for line in proc.stdout.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            paths[name.strip()] = Path(value.strip())
    return paths


ALL_BINARIES = ("kube-apiserver", "etcd", "helm", "registry")


def locate_binaries(build_script: Path = BUILD_SCRIPT, require: tuple[str, ...] = ALL_BINARIES) -> Binaries:
    """The binaries' paths; HarnessUnavailable, saying what is missing and how to get it, unless every
    binary named in ``require`` is built."""
    paths = print_paths(build_script)
    unknown = [name for name in ALL_BINARIES if name not in paths]
    if unknown:
        raise HarnessUnavailable(f"{build_script} --print-paths did not list {', '.join(unknown)}")
    missing = [f"{name} ({paths[name]})" for name in require if not os.access(paths[name], os.X_OK)]
    if missing:
        if not go_available():
            raise HarnessUnavailable(
                f"Go not found, so the cluster binaries cannot be built; missing: {', '.join(missing)}"
            )
        raise HarnessUnavailable(
            f"binaries not built: run bash tests/cluster/build.sh (missing: {', '.join(missing)})"
        )
    return Binaries(kube_apiserver=paths["kube-apiserver"], etcd=paths["etcd"], helm=paths["helm"],
                    registry=paths["registry"])


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (callers retry on a bind race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---- certificates ------------------------------------------------------------------------------


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def _cert(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    sans: list[x509.GeneralName] | None = None,
    usage: list[x509.ObjectIdentifier] | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


@dataclass(frozen=True)
class Pki:
    ca_crt: Path
    apiserver_crt: Path
    apiserver_key: Path
    admin_crt: Path
    admin_key: Path
    sa_key: Path
    sa_pub: Path


def write_pki(directory: Path) -> Pki:
    """A throwaway CA, the serving cert (127.0.0.1/localhost/kubernetes.default...), an admin client cert
    (O=system:masters) and the service-account signing key pair."""
    import ipaddress

    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name("specmerge-test-ca")
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    server_key = _key()
    sans: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
        x509.DNSName("localhost"),
        x509.DNSName("kubernetes"),
        x509.DNSName("kubernetes.default"),
        x509.DNSName("kubernetes.default.svc"),
    ]
    server = _cert(
        _name("kube-apiserver"), server_key, ca_name, ca_key, ca=False, sans=sans,
        usage=[ExtendedKeyUsageOID.SERVER_AUTH],
    )
    admin_key = _key()
    admin = _cert(
        _name(ADMIN_USER, "system:masters"), admin_key, ca_name, ca_key, ca=False,
        usage=[ExtendedKeyUsageOID.CLIENT_AUTH],
    )
    sa_key = _key()
    pki = Pki(
        ca_crt=directory / "ca.crt",
        apiserver_crt=directory / "apiserver.crt",
        apiserver_key=directory / "apiserver.key",
        admin_crt=directory / "admin.crt",
        admin_key=directory / "admin.key",
        sa_key=directory / "sa.key",
        sa_pub=directory / "sa.pub",
    )
    pem = serialization.Encoding.PEM
    pki.ca_crt.write_bytes(ca.public_bytes(pem))
    pki.apiserver_crt.write_bytes(server.public_bytes(pem))
    pki.apiserver_key.write_bytes(_key_pem(server_key))
    pki.admin_crt.write_bytes(admin.public_bytes(pem))
    pki.admin_key.write_bytes(_key_pem(admin_key))
    pki.sa_key.write_bytes(_key_pem(sa_key))
    pki.sa_pub.write_bytes(
        sa_key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for secret in (pki.apiserver_key, pki.admin_key, pki.sa_key):
        secret.chmod(0o600)
    return pki


# ---- processes ---------------------------------------------------------------------------------


def _load_prctl() -> Any:
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


# Resolved at import, not in the forked child: pytest has other threads (the Go runtime inside
# helm-python-sdk), so the child must not dlopen or import between fork and exec.
_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it if pytest dies without tearing down (Linux only)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _stamp(event: dict[str, Any]) -> float:
    """An audit event's requestReceivedTimestamp as epoch seconds (0 when absent)."""
    text = str(event.get("requestReceivedTimestamp") or "")
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self, grace: float = 10.0) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


def _start(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> _Proc:
    handle = log.open("ab")
    try:
        popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            env=env,
        )
    finally:
        handle.close()
    return _Proc(name=name, popen=popen, log=log)


@dataclass
class Cluster:
    """etcd + kube-apiserver. Use as a context manager, or call start()/stop()."""

    binaries: Binaries
    log_dir: Path
    startup_timeout: float = 120.0
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    workdir: Path = field(init=False)
    server: str = field(init=False, default="")
    kubeconfig: Path = field(init=False)
    pki: Pki = field(init=False)
    etcd_url: str = field(init=False, default="")
    #: seconds from Popen(kube-apiserver) to /readyz 200, and from Popen(etcd) to /health 200
    apiserver_start_seconds: float = field(init=False, default=0.0)
    etcd_start_seconds: float = field(init=False, default=0.0)
    _procs: list[_Proc] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="specmerge-cluster-"))
        self.kubeconfig = self.workdir / "kubeconfig"

    # -- lifecycle --

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, attempts: int = 3) -> None:
        """Start both processes; retries with fresh ports when a free-port race loses."""
        self.pki = write_pki(self.workdir / "pki")
        (self.workdir / "tokens.csv").write_text(f'{self.token},{ADMIN_USER},admin-uid,"system:masters"\n')
        errors: list[str] = []
        for attempt in range(1, attempts + 1):
            try:
                self._start_etcd()
                self._start_apiserver()
                self._write_kubeconfig()
                return
            except HarnessError as exc:
                errors.append(f"attempt {attempt}: {exc}")
                self._stop_processes()
                if "address already in use" not in str(exc):
                    break
        raise HarnessError("\n\n".join(errors))

    def stop(self) -> None:
        self._stop_processes()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop_processes(self) -> None:
        for proc in reversed(self._procs):  # apiserver first, then etcd
            proc.stop()
        self._procs.clear()

    @property
    def log_files(self) -> list[Path]:
        return [self.log_dir / "etcd.log", self.log_dir / "kube-apiserver.log"]

    def logs(self, lines: int | None = None) -> str:
        """Both process logs (the last ``lines`` of each when given), with headers."""
        parts = []
        for path in self.log_files:
            text = _tail(path, lines) if lines else (path.read_text(errors="replace") if path.exists() else "")
            parts.append(f"===== {path} =====\n{text}")
        return "\n".join(parts)

    # -- etcd --

    def _start_etcd(self) -> None:
        client_port, peer_port = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        data = self.workdir / "etcd"
        shutil.rmtree(data, ignore_errors=True)
        argv = [
            str(self.binaries.etcd),
            "--name=specmerge",
            f"--data-dir={data}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=specmerge={peer_url}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]
        began = time.monotonic()
        proc = self._launch("etcd", argv)
        self._wait(proc, f"{self.etcd_url}/health", timeout=60.0, context=None)
        self.etcd_start_seconds = time.monotonic() - began

    # -- kube-apiserver --

    def _start_apiserver(self) -> None:
        port = free_port()
        self.server = f"https://127.0.0.1:{port}"
        pki = self.pki
        argv = [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={self.workdir / 'pki'}",
            f"--tls-cert-file={pki.apiserver_crt}",
            f"--tls-private-key-file={pki.apiserver_key}",
            f"--client-ca-file={pki.ca_crt}",
            f"--token-auth-file={self.workdir / 'tokens.csv'}",
            f"--service-account-issuer={self.server}",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            "--service-cluster-ip-range=10.0.0.0/16",  # room for 1,000 instances of a chart with Services
            "--authorization-mode=RBAC",
            "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            f"--audit-policy-file={self._write_audit_policy()}",
            f"--audit-log-path={self.audit_log}",
            "--audit-log-mode=blocking",
            "--audit-log-format=json",
        ]
        began = time.monotonic()
        proc = self._launch("kube-apiserver", argv)
        context = ssl.create_default_context(cafile=str(pki.ca_crt))
        # /readyz is anonymous-readable once the RBAC bootstrap policy exists (401/403 until then).
        self._wait(proc, f"{self.server}/readyz", timeout=self.startup_timeout, context=context)
        # Then make sure the admin token works against a real resource.
        self._wait(
            proc, f"{self.server}/api/v1/namespaces/default", timeout=self.startup_timeout,
            context=context, token=self.token,
        )
        self.apiserver_start_seconds = time.monotonic() - began

    @property
    def audit_log(self) -> Path:
        """The apiserver's audit log: one JSON event per request (Metadata level, ResponseComplete)."""
        return self.log_dir / "audit.log"

    def _write_audit_policy(self) -> Path:
        path = self.workdir / "audit-policy.json"
        path.write_text(json.dumps({
            "apiVersion": "audit.k8s.io/v1", "kind": "Policy",
            "omitStages": ["RequestReceived", "ResponseStarted", "Panic"],
            "rules": [{"level": "Metadata"}],
        }))
        return path

    def audit_events(self, user: str | None = None, since: float = 0.0) -> list[dict[str, Any]]:
        """The audit events (of ``user`` when given) received at or after ``since`` (epoch seconds):
        ``verb``, ``objectRef``, ``user.username`` ... The apiserver rotates the log at 100 MB; rotated
        files are read only when the current one starts after ``since``."""
        files = sorted(self.log_dir.glob("audit*.log"), key=lambda p: p.stat().st_mtime)
        chosen: list[Path] = []
        for path in reversed(files):
            chosen.insert(0, path)
            first = path.open(errors="replace").readline()
            try:
                if _stamp(json.loads(first)) <= since:
                    break
            except ValueError:
                continue
        events: list[dict[str, Any]] = []
        for path in chosen:
            for line in path.read_text(errors="replace").splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line being written right now
                if user is not None and (event.get("user") or {}).get("username") != user:
                    continue
                if _stamp(event) >= since:
                    events.append(event)
        return events

    def _launch(self, name: str, argv: list[str]) -> _Proc:
        """Start ``argv`` with output appended to ``<log_dir>/<name>.log`` (after a header with the command)."""
        log = self.log_dir / f"{name}.log"
        with log.open("a") as handle:
            handle.write(f"\n##### {dt.datetime.now().isoformat()} $ {' '.join(argv)}\n")
        proc = _start(name, argv, log)
        self._procs.append(proc)
        return proc

    @staticmethod
    def _wait(
        proc: _Proc, url: str, *, timeout: float, context: ssl.SSLContext | None, token: str | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            code = proc.popen.poll()
            if code is not None:
                raise HarnessError(
                    f"{proc.name} exited with {code} before {url} was ready; log {proc.log}:\n{_tail(proc.log)}"
                )
            request = urllib.request.Request(url)
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(request, timeout=5, context=context) as response:
                    if response.status == 200:
                        return
                    last = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}: {exc.read()[:300]!r}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise HarnessError(
            f"{proc.name}: {url} not ready after {timeout:g}s (last: {last}); log {proc.log}:\n{_tail(proc.log)}"
        )

    def _write_kubeconfig(self) -> None:
        import base64

        ca = base64.b64encode(self.pki.ca_crt.read_bytes()).decode()
        config: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "specmerge-test", "cluster": {"server": self.server, "certificate-authority-data": ca}}],
            "users": [{"name": ADMIN_USER, "user": {"token": self.token}}],
            "contexts": [{"name": "specmerge-test", "context": {"cluster": "specmerge-test", "user": ADMIN_USER}}],
            "current-context": "specmerge-test",
        }
        # JSON is YAML, so every kubeconfig reader (client-go, the Python client, helm) accepts it.
        self.kubeconfig.write_text(json.dumps(config, indent=2))
        self.kubeconfig.chmod(0o600)


# ---- the handle tests use ------------------------------------------------------------------------


class Kube:
    """What the ``kube`` fixture yields: a running cluster plus a ready ``kubernetes`` client."""

    def __init__(self, cluster: Cluster) -> None:
        from kubernetes import client, config

        self.cluster = cluster
        self.kubeconfig: Path = cluster.kubeconfig
        self.server: str = cluster.server
        self.token: str = cluster.token
        self.ca_file: Path = cluster.pki.ca_crt
        self.kube_version: str = cluster.binaries.kube_version
        self.api_client: client.ApiClient = config.new_client_from_config(config_file=str(cluster.kubeconfig))
        self.core_v1 = client.CoreV1Api(self.api_client)
        self.custom_objects = client.CustomObjectsApi(self.api_client)
        self.apiextensions_v1 = client.ApiextensionsV1Api(self.api_client)

    def logs(self, lines: int | None = None) -> str:
        return self.cluster.logs(lines)

    def audit(self, user: str | None = None, since: float = 0.0) -> list[dict[str, Any]]:
        """Audit events (one per request) of ``user`` since ``since``; see :meth:`Cluster.audit_events`."""
        return self.cluster.audit_events(user, since)

    def namespace(self, prefix: str = "t") -> str:
        """Create a fresh namespace ``<prefix>-<8 hex>`` and return its name. Namespaces are not deleted:
        without a controller-manager they would stay Terminating; the cluster dies with the session."""
        from kubernetes import client

        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.core_v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        return name

    def install_crd(self, manifest: dict[str, Any], timeout: float = 60.0) -> str:
        """Create (or replace) a CustomResourceDefinition and wait until it is ``Established``.

        Returns the CRD's name. Raises TimeoutError with the last conditions when it never establishes.
        """
        from kubernetes.client.exceptions import ApiException

        name: str = manifest["metadata"]["name"]
        try:
            self.apiextensions_v1.create_custom_resource_definition(body=manifest)
        except ApiException as exc:
            if exc.status != 409:
                raise
            current = self.apiextensions_v1.read_custom_resource_definition(name)
            body = json.loads(json.dumps(manifest))
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            self.apiextensions_v1.replace_custom_resource_definition(name, body=body)
        deadline = time.monotonic() + timeout
        conditions: list[Any] = []
        while time.monotonic() < deadline:
            crd = self.apiextensions_v1.read_custom_resource_definition(name)
            conditions = list((crd.status and crd.status.conditions) or [])
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                return name
            time.sleep(0.2)
        summary = [(c.type, c.status, c.reason, c.message) for c in conditions]
        raise TimeoutError(f"CRD {name} not Established after {timeout:.0f}s; conditions: {summary}")

    def close(self) -> None:
        self.api_client.close()


class Registry:
    """A real OCI registry (distribution, built by build.sh) on 127.0.0.1, plain HTTP, storing under a
    temporary directory; ``host`` is ``127.0.0.1:PORT``. Start with ``with Registry(binary, log) as r``."""

    def __init__(self, binary: Path, log: Path, startup_timeout: float = 30.0) -> None:
        self.binary, self.log, self.startup_timeout = binary, log, startup_timeout
        self.root = Path(tempfile.mkdtemp(prefix="specmerge-registry-"))
        self.host = f"127.0.0.1:{free_port()}"
        self._proc: _Proc | None = None

    def __enter__(self) -> Registry:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        # distribution exports OpenTelemetry traces to localhost:4318 unless told not to
        env = {**os.environ, "OTEL_TRACES_EXPORTER": "none"}
        try:
            self._proc = _start("registry", [str(self.binary), self.host, str(self.root / "data")], self.log, env)
            Cluster._wait(self._proc, f"http://{self.host}/v2/", timeout=self.startup_timeout, context=None)
        except (HarnessError, OSError):
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop()
        shutil.rmtree(self.root, ignore_errors=True)
