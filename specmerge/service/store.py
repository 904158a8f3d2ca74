"""The console-values store: one interface, two backends (directory, Secret).

An instance is ``(namespace, name)``. Its stored ``user`` layer is a JSON object; its ETag
is a strong ETag over the canonical JSON of the values (:func:`content_etag`), keyed with the
installation's redaction key (the document holds secrets: an unkeyed hash would let a reader
test guesses offline), so both backends give the same ETag for the same document. Writes are compare-and-swap:
:meth:`ValuesStore.put` stores only when the current ETag is the expected one (``None``
expects no document), else it raises :class:`StaleETag` and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..core import keyed_hexdigest
from ..core import canonical_json
from ..errors import InputError, UnavailableError

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class StoreError(UnavailableError):
    """The backend cannot be used (I/O, API error). The message names no values."""


class StaleETag(InputError):
    """A compare-and-swap found another document than the caller expected."""


class BadInstance(InputError, ValueError):
    """A namespace or name that is not a DNS label."""


@dataclass(frozen=True)
class Instance:
    namespace: str
    name: str

    def __post_init__(self) -> None:
        for what, value in (("namespace", self.namespace), ("name", self.name)):
            if not _DNS_LABEL.match(value):
                raise BadInstance(f"{what} {value!r} is not a DNS label (lowercase letters, digits, '-')")

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Stored:
    """A stored user layer and its ETag."""

    values: dict[str, Any]
    etag: str


def canonical(values: Mapping[str, Any]) -> bytes:
    """The stored form's canonical JSON (non-ASCII kept as it is), as UTF-8 bytes."""
    return canonical_json(values, ascii=False).encode()


def content_etag(values: Mapping[str, Any]) -> str:
    """The strong ETag of a document: its canonical JSON's keyed HMAC-SHA256 (first 32 hex)."""
    return f'"{keyed_hexdigest(canonical(values))[:32]}"'


class ValuesStore(Protocol):
    """What the service needs of a backend. Every method is thread-safe."""

    def locator(self, instance: Instance) -> str:
        """Where the user layer lives, as a layer source (``secret:ns/x-spec-user#values``)."""
        ...

    def get(self, instance: Instance) -> Stored | None: ...

    def put(self, instance: Instance, values: Mapping[str, Any], expected: str | None) -> Stored:
        """Store ``values`` if the current ETag is ``expected`` (``None``: no document yet)."""
        ...

    def active(self, instance: Instance) -> dict[str, Any] | None:
        """The instance's last applied effective spec (``<name>-spec-active``), if any."""
        ...

    def cr(self, instance: Instance) -> tuple[str, dict[str, Any]] | None:
        """The instance's CR layer: ``(source locator, spec.values)``, if there is a CR."""
        ...

    def ping(self) -> None:
        """Raise :class:`StoreError` when the backend is unreachable."""
        ...
