"""Wiring: settings -> store, resolver, authenticator -> :class:`~.app.Service`."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..channels import ChannelClient, DirectoryCache, Resolver, default_cache_dir, list_embedded, read_license_file
from ..core import use_key_source
from ..keys import KEY_FILE_ENV, FileKey, SecretKey, beside_store, default_key_path
from ..render.sources import recheck_directories_after
from .state import Service
from .auth import Authenticator, KubeAuth, NoAuth, StaticTokenAuth
from .metrics import Metrics
from .settings import ServiceSettings, SettingsError
from .store import ValuesStore
from .store_dir import DirectoryStore
from .store_secret import SecretStore


#: A chart directory (the bundled chart) is stat-walked for edits at most this often, not on
#: every preview; an edit is picked up within this time.
CHART_RECHECK_SECONDS = 1.0


def default_store_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "specmerge" / "instances"


def key_namespace(settings: ServiceSettings) -> str:
    """Where the redaction key's Secret lives: ``$SPECMERGE_NAMESPACE``, else the pod's own
    namespace (in-cluster), else ``default``."""
    if os.environ.get("SPECMERGE_NAMESPACE"):
        return os.environ["SPECMERGE_NAMESPACE"]
    try:
        return (Path(settings.service_account_dir) / "namespace").read_text(encoding="utf-8").strip() or "default"
    except OSError:
        return "default"


def kube_api_client(settings: ServiceSettings):  # type: ignore[no-untyped-def]
    """The Kubernetes client: the pod's service account (``KUBERNETES_SERVICE_HOST/PORT`` and
    the token and CA in ``service_account_dir``; a rotated token is re-read) or a kubeconfig."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

    try:
        if settings.in_cluster:
            account = Path(settings.service_account_dir)
            configuration = client.Configuration()
            InClusterConfigLoader(str(account / "token"), str(account / "ca.crt")).load_and_set(configuration)
            return client.ApiClient(configuration)
        return config.new_client_from_config(config_file=settings.kubeconfig)
    except ConfigException as exc:
        where = f"in-cluster ({settings.service_account_dir})" if settings.in_cluster else f"kubeconfig {settings.kubeconfig}"
        raise SettingsError(f"{where}: {exc}") from None


def build_service(settings: ServiceSettings) -> Service:
    settings.check()
    recheck_directories_after(CHART_RECHECK_SECONDS)
    api = kube_api_client(settings) if (settings.kubeconfig or settings.in_cluster or settings.kube_auth) else None
    store: ValuesStore
    if settings.kubeconfig or settings.in_cluster:
        from kubernetes.client import CoreV1Api, CustomObjectsApi

        kind = (settings.cr_group, settings.cr_version, settings.cr_plural)
        store = SecretStore(CoreV1Api(api), CustomObjectsApi(api), kind)
        explicit = os.environ.get(KEY_FILE_ENV)  # an operator's explicit key file wins
        use_key_source(FileKey(default_key_path()) if explicit else SecretKey(CoreV1Api(api), key_namespace(settings)))
    else:
        store_dir = Path(settings.store_dir) if settings.store_dir else default_store_dir()
        store = DirectoryStore(store_dir)
        use_key_source(beside_store(store_dir))
    client = None
    if settings.channel_server and not settings.airgapped:
        license = read_license_file(settings.license_file) if settings.license_file else None
        client = ChannelClient(settings.channel_server, license)
    # The embedded channels ship with the package and do not change while it runs: read them once.
    embedded = functools.cache(list_embedded)
    resolver = Resolver(client, DirectoryCache(default_cache_dir()) if client else None,
                        airgapped=settings.airgapped, embedded=embedded)
    auth: Authenticator
    metrics = Metrics()
    if settings.kube_auth:
        auth = KubeAuth(api, settings.cr_group, settings.cr_plural, settings.auth_cache_ttl, metrics.review_answered)
    elif settings.no_auth:
        auth = NoAuth(settings.allow_reveal)
    else:
        token = settings.token()
        assert token is not None  # settings.check() refuses a missing token
        auth = StaticTokenAuth(token, settings.allow_reveal)
    return Service(settings, store, resolver, auth, metrics)
