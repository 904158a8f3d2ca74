"""Wiring: settings -> store, resolver, authenticator -> :class:`~.app.Service`."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..channels import ChannelClient, DirectoryCache, Resolver, default_cache_dir, list_embedded, read_licence_file
from .app import Service
from .auth import Authenticator, KubeAuth, NoAuth, StaticTokenAuth
from .metrics import Metrics
from .settings import ServiceSettings
from .store import ValuesStore
from .store_dir import DirectoryStore
from .store_secret import SecretStore


def default_store_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "specmerge" / "instances"


def kube_api_client(settings: ServiceSettings):  # type: ignore[no-untyped-def]
    from kubernetes import client, config

    if settings.in_cluster:
        config.load_incluster_config()
        return client.ApiClient()
    return config.new_client_from_config(config_file=settings.kubeconfig)


def build_service(settings: ServiceSettings) -> Service:
    settings.check()
    api = kube_api_client(settings) if (settings.kubeconfig or settings.in_cluster or settings.kube_auth) else None
    store: ValuesStore
    if settings.kubeconfig or settings.in_cluster:
        from kubernetes.client import CoreV1Api, CustomObjectsApi

        kind = (settings.cr_group, settings.cr_version, settings.cr_plural)
        store = SecretStore(CoreV1Api(api), CustomObjectsApi(api), kind)
    else:
        store = DirectoryStore(settings.store_dir or default_store_dir())
    client = None
    if settings.channel_server and not settings.airgapped:
        licence = read_licence_file(settings.license_file) if settings.license_file else None
        client = ChannelClient(settings.channel_server, licence)
    # The embedded channels ship with the package and do not change while it runs: read them once.
    embedded = functools.cache(list_embedded)
    resolver = Resolver(client, DirectoryCache(default_cache_dir()) if client else None,
                        airgapped=settings.airgapped, embedded=embedded)
    auth: Authenticator
    if settings.kube_auth:
        auth = KubeAuth(api, settings.cr_group, settings.cr_plural)
    elif settings.no_auth:
        auth = NoAuth(settings.allow_reveal)
    else:
        token = settings.token()
        assert token is not None  # settings.check() refuses a missing token
        auth = StaticTokenAuth(token, settings.allow_reveal)
    return Service(settings, store, resolver, auth, Metrics())
