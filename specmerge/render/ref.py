"""Chart references (design.md §6): parse the ``chart`` object into one of three forms.

Pure: no file or network access. The forms:

* ``{"path": P}`` — a chart directory, a ``.tgz`` archive, or a file holding a base64-encoded
  ``.tgz`` (which of these is decided when the chart is loaded). A relative ``P`` resolves
  against the ``base`` the caller gives (the CLI: the working directory; a channel spec:
  :func:`specmerge.locations.repo_root`).
* ``{"url": "https://...", "name": N, "version": V, "username"?, "password"?}`` — a Helm
  chart repository (``index.yaml``); ``V`` is an exact version or a SemVer constraint.
* ``{"url": "oci://host/path", "name"?: N, "version": V, "username"?, "password"?,
  "plainHttp"?: bool}`` — an OCI registry; without ``name`` the URL ends in the chart name.

A reference that fits no form raises :class:`ChartRefError` saying which form it came
closest to and what is missing or wrong — never a silent default. Credentials (``username``/
``password``, or ``user:pass@`` inside the URL) are secrets (design.md §5): they are kept out
of ``repr`` and of :meth:`describe`, which every message and locator uses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from .errors import ChartRefError

_PATH_KEYS = frozenset({"path"})
_REPO_KEYS = frozenset({"url", "name", "version", "username", "password"})
_OCI_KEYS = _REPO_KEYS | {"plainHttp"}

_REPO_FORM = '{"url": "https://...", "name": ..., "version": ..., "username"?, "password"?}'
_OCI_FORM = '{"url": "oci://...", "name"?: ..., "version": ..., "username"?, "password"?, "plainHttp"?}'
_PATH_FORM = '{"path": <chart dir, .tgz, or base64 .tgz file>}'


@dataclass(frozen=True)
class PathRef:
    """A chart on the local file system; ``path`` is absolute, ``text`` as written."""

    path: Path
    text: str

    def describe(self) -> str:
        return f"path:{self.text}"


@dataclass(frozen=True)
class RepoRef:
    """A chart in an HTTP(S) chart repository; ``url`` carries no credentials."""

    url: str
    name: str
    version: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        return f"repo:{shown_url(self.url)} {self.name}@{self.version}"

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.username or "", self.password or "") if self.username or self.password else None


@dataclass(frozen=True)
class OciRef:
    """A chart in an OCI registry; ``reference`` is ``oci://host/path/name`` (no tag)."""

    reference: str
    version: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    plain_http: bool = False

    def describe(self) -> str:
        return f"{self.reference}:{self.version}"

    @property
    def host(self) -> str:
        return urlsplit(self.reference).netloc


ChartRef = PathRef | RepoRef | OciRef


def secrets_of(ref: ChartRef) -> list[str]:
    """The credential strings of ``ref``, for scrubbing free text (errors from Helm, HTTP):
    user name, password, and a repository URL's query (``?token=...``) and its values."""
    if isinstance(ref, PathRef):
        return []
    found = [s for s in (ref.password, ref.username) if s]
    if isinstance(ref, RepoRef):
        query = urlsplit(ref.url).query
        found += [query] if query else []
        found += [v for _, v in parse_qsl(query, keep_blank_values=True) if len(v) >= 3]
    return found


def shown_url(url: str) -> str:
    """``url`` as messages show it: its query (a repository token, a signed URL) hidden."""
    parts = urlsplit(url)
    if not parts.query and not parts.fragment:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "<redacted>" if parts.query else "", ""))


def resolve_reference_url(base: str, reference: str) -> str:
    """Helm's ``repo.ResolveReferenceURL``: an absolute ``reference`` as it is; a relative one
    against ``base`` taken as a directory, with ``base``'s query (a repository token) kept.
    ``https://h/charts?token=t`` + ``index.yaml`` is ``https://h/charts/index.yaml?token=t``."""
    if urlsplit(reference).scheme:
        return reference
    parts = urlsplit(base)
    directory = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/", "", ""))
    resolved = urlsplit(urljoin(directory, reference))
    return urlunsplit((resolved.scheme, resolved.netloc, resolved.path, parts.query, resolved.fragment))


def _string(raw: Mapping[str, Any], key: str, form: str, where: str) -> str | None:
    if key not in raw or raw[key] is None:
        return None
    value = raw[key]
    if not isinstance(value, str):
        hint = f' (quote it: "{value}")' if isinstance(value, (int, float)) and key == "version" else ""
        raise ChartRefError(f"{where}: {form} chart reference: {key!r} must be a string, not {type(value).__name__}{hint}")
    if key not in ("username", "password") and not value.strip():
        raise ChartRefError(f"{where}: {form} chart reference: {key!r} is empty")
    return value


def _check_url_shape(url: str, label: str, where: str) -> None:
    """Refuse, without echoing it, a URL whose credentials would be misread: an ``@`` that
    lands outside the host part (a password with an unencoded ``#``, ``/`` or ``?``) or a port
    that is not a number (a password after a missing user name)."""
    parts = urlsplit(url)
    rest = url.split("://", 1)[1] if "://" in url else url
    digest = re.fullmatch(r"[a-z0-9]+:[0-9a-f]{32,}", rest.rsplit("@", 1)[-1])  # oci://host/chart@sha256:...
    if "@" in rest and "@" not in parts.netloc and not digest:
        raise ChartRefError(f"{where}: {label} url has an '@' outside its host part; percent-encode a "
                            "'#', '/', '?' or '@' in a user name or password, or give them as username/password")
    try:
        parts.port
    except ValueError:
        raise ChartRefError(f"{where}: {label} url has a port that is not a number") from None


def _split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), parts.username, parts.password


def _closest(raw: Mapping[str, Any]) -> str:
    keys = set(raw)
    if "path" in keys:
        return "path"
    url = raw.get("url")
    if isinstance(url, str) and url.startswith("oci://"):
        return "oci"
    return "repo"


def parse_chart_ref(raw: Any, base: str | os.PathLike[str] = ".", where: str = "chart") -> ChartRef:
    """The chart reference in ``raw`` (a ``chart`` object); ``where`` names it in errors."""
    if not isinstance(raw, Mapping):
        raise ChartRefError(
            f"{where}: a chart reference must be an object such as {_PATH_FORM}, not {type(raw).__name__}"
        )
    if not raw:
        raise ChartRefError(f"{where}: empty chart reference; give {_PATH_FORM} or {_REPO_FORM} or {_OCI_FORM}")
    if "path" in raw and "url" in raw:
        raise ChartRefError(f"{where}: chart reference has both 'path' and 'url'; give one of them")
    form = _closest(raw)
    if form == "path":
        extra = sorted(set(raw) - _PATH_KEYS)
        if extra:
            raise ChartRefError(f"{where}: closest to the path form {_PATH_FORM}; unexpected keys: {', '.join(extra)}")
        text = _string(raw, "path", "path", where)
        if text is None:
            raise ChartRefError(f"{where}: closest to the path form {_PATH_FORM}; missing: path")
        p = Path(os.path.expanduser(text))
        return PathRef(p if p.is_absolute() else (Path(base) / p).absolute(), text)

    allowed, shape = (_OCI_KEYS, _OCI_FORM) if form == "oci" else (_REPO_KEYS, _REPO_FORM)
    label = "OCI" if form == "oci" else "chart repository"
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ChartRefError(f"{where}: closest to the {label} form {shape}; unexpected keys: {', '.join(extra)}")
    values = {k: _string(raw, k, label, where) for k in ("url", "name", "version", "username", "password")}
    missing = [k for k in ("url", "name", "version") if values[k] is None and not (k == "name" and form == "oci")]
    if missing:
        raise ChartRefError(f"{where}: closest to the {label} form {shape}; missing: {', '.join(missing)}")
    _check_url_shape(str(values["url"]), label, where)
    url, user_in_url, pass_in_url = _split_userinfo(str(values["url"]))
    username = values["username"] if values["username"] is not None else user_in_url
    password = values["password"] if values["password"] is not None else pass_in_url
    scheme = urlsplit(url).scheme
    if form == "oci":
        plain = raw.get("plainHttp", False)
        if not isinstance(plain, bool):
            raise ChartRefError(f"{where}: OCI chart reference: 'plainHttp' must be true or false")
        reference = url.rstrip("/")
        if values["name"]:
            reference += "/" + str(values["name"]).strip("/")
        if not urlsplit(reference).netloc or urlsplit(reference).path in ("", "/"):
            raise ChartRefError(f"{where}: OCI reference {reference!r} needs a host and a chart name (oci://host/path/name)")
        return OciRef(reference, str(values["version"]), username, password, plain)
    if scheme not in ("http", "https"):
        raise ChartRefError(
            f"{where}: closest to the chart repository form {_REPO_FORM}; "
            f"url must start with https://, http:// or oci://, not {scheme + '://' if scheme else repr(url)}"
        )
    if not urlsplit(url).netloc:
        raise ChartRefError(f"{where}: chart repository url {url!r} has no host")
    return RepoRef(url.rstrip("/"), str(values["name"]), str(values["version"]), username, password)

