"""Service configuration: one frozen dataclass, read from a YAML/JSON file (``--config``)
with CLI flags on top. Unknown keys in the file are an error, not silently ignored."""

from __future__ import annotations

import math
import os
import types
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..core import file_layer
from ..errors import InputError
from .limits import DEFAULT_MAX_LEAVES

DEFAULT_BODY_LIMIT = 1024 * 1024
TOKEN_ENV = "SPECMERGE_TOKEN"


class SettingsError(InputError, ValueError):
    pass


@dataclass(frozen=True)
class ServiceSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    store_dir: str | None = None  # directory backend (default when no kubeconfig/in-cluster)
    kubeconfig: str | None = None  # Secret backend through this kubeconfig
    in_cluster: bool = False  # Secret backend and TokenReview through the pod's service account
    service_account_dir: str = "/var/run/secrets/kubernetes.io/serviceaccount"  # in_cluster's token + ca.crt
    token_file: str | None = None
    no_auth: bool = False  # only for loopback development use
    allow_reveal: bool = False  # may the static-token caller use showSecrets=true
    kube_auth: bool = False  # TokenReview + SubjectAccessReview instead of the static token
    auth_cache_ttl: float = 5.0  # seconds kube_auth remembers a review's answer (0: never)
    cr_group: str = "apps.wandb.com"
    cr_plural: str = "weightsandbiases"
    cr_version: str = "v1"
    channel: str = "stable"
    channel_server: str | None = None
    license_file: str | None = None
    airgapped: bool = False
    body_limit: int = DEFAULT_BODY_LIMIT
    request_timeout: float = 30.0
    cors_origins: tuple[str, ...] = field(default_factory=tuple)  # empty: CORS off
    workers: int = 1  # processes sharing the listening socket (see .workers)
    header_timeout: float = 10.0  # seconds a request's headers may take (see .connections)
    idle_timeout: int = 5  # seconds a keep-alive connection may stay idle between requests
    max_connections: int = 256  # open connections; more are closed as they open
    max_leaves: int = DEFAULT_MAX_LEAVES  # values one request may supply or store (see .limits)

    def token(self) -> str | None:
        """The static bearer token: the file's first line, else ``$SPECMERGE_TOKEN``."""
        if self.token_file:
            try:
                text = Path(self.token_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SettingsError(f"--token-file {self.token_file}: {exc.strerror}") from None
            if not text:
                raise SettingsError(f"--token-file {self.token_file} is empty")
            return text.splitlines()[0].strip()
        return os.environ.get(TOKEN_ENV) or None

    def check(self) -> None:
        hints = typing.get_type_hints(ServiceSettings)
        for f in fields(self):
            value = getattr(self, f.name)
            if not _matches(value, hints[f.name]):
                raise SettingsError(f"{f.name} must be {_describe(hints[f.name])}, not {value!r}")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port must be between 0 and 65535, not {self.port}")
        if self.store_dir and (self.kubeconfig or self.in_cluster):
            raise SettingsError("choose one store: --store-dir or --kubeconfig/in-cluster")
        if self.body_limit <= 0 or self.request_timeout <= 0:
            raise SettingsError("body_limit and request_timeout must be positive")
        if self.header_timeout <= 0 or self.idle_timeout < 1 or self.max_connections < 1 or self.max_leaves < 1:
            raise SettingsError("header_timeout must be positive; idle_timeout, max_connections and max_leaves "
                                "at least 1")
        if self.auth_cache_ttl < 0:
            raise SettingsError(f"auth_cache_ttl must be 0 or more seconds, not {self.auth_cache_ttl}")
        if not 1 <= self.workers <= 64:
            raise SettingsError(f"workers must be between 1 and 64, not {self.workers}")
        if self.no_auth and self.host not in ("127.0.0.1", "::1", "localhost"):
            raise SettingsError("no_auth is only allowed on a loopback host")
        if not self.no_auth and not self.kube_auth and self.token() is None:
            raise SettingsError(f"no bearer token: give --token-file or ${TOKEN_ENV} (or --no-auth on loopback)")


def _matches(value: Any, hint: Any) -> bool:
    """Whether a setting's value has its declared type (a config file may give any JSON/YAML)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and math.isfinite(value))
    if typing.get_origin(hint) is tuple:
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    names = {type(None): "null", bool: "true or false", int: "an integer", float: "a finite number", str: "a string"}
    return names.get(hint, "a list of strings")


def load_settings(config: str | os.PathLike[str] | None = None, **overrides: Any) -> ServiceSettings:
    """Settings from ``config`` (optional) with ``overrides`` (``None`` values ignored)."""
    known = {f.name for f in fields(ServiceSettings)}
    data: dict[str, Any] = {}
    if config is not None:
        raw = dict(file_layer(config, "config").values)
        unknown = sorted(set(k.replace("-", "_") for k in raw) - known)
        if unknown:
            raise SettingsError(f"{config}: unknown settings {', '.join(unknown)}")
        data = {k.replace("-", "_"): v for k, v in raw.items()}
    if isinstance(data.get("cors_origins"), list):
        data["cors_origins"] = tuple(data["cors_origins"])
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = replace(ServiceSettings(), **data)
    except TypeError as exc:
        raise SettingsError(str(exc)) from None
    settings.check()
    return settings
