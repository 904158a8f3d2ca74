"""The license: a secret that authenticates to the channel API and is never shown.

:class:`License` holds the value and hides it from ``repr``/``str``/f-strings, so it
cannot leak through logs, errors or result objects by accident. The only ways to the raw
value are :meth:`License.basic_auth` (for the HTTP client) and :meth:`License.matches`
(constant-time comparison, for the server). :meth:`License.scrub` removes the value from
free text (a server's error message) before that text goes anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from ..errors import InputError

#: Basic-auth user name of the channel API (design.md §6).
LICENSE_USER = "license"


class LicenseError(InputError, ValueError):
    """The license file cannot be used; the message names the file, never its content."""


class License:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise LicenseError("the license is empty")
        if any(ch in value for ch in "\r\n\x00"):
            raise LicenseError("the license must be one line of text")
        self._value = value

    @property
    def fingerprint(self) -> str:
        """First 12 hex digits of the license's SHA-256: an identity safe to log and key on."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def basic_auth(self) -> tuple[str, str]:
        """``("license", <license>)`` for HTTP basic auth."""
        return (LICENSE_USER, self._value)

    def matches(self, user: str, password: str) -> bool:
        """Constant-time check of presented basic-auth credentials."""
        ok_user = hmac.compare_digest(user.encode(), LICENSE_USER.encode())
        ok_pass = hmac.compare_digest(password.encode(), self._value.encode())
        return ok_user and ok_pass

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the license replaced by ``<license>``."""
        return text.replace(self._value, "<license>")

    def __repr__(self) -> str:
        return f"License(<redacted sha256:{self.fingerprint[:8]}>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, License) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self) -> None:  # type: ignore[override]
        raise TypeError("a License is not picklable (it would write the secret out)")


def read_license_file(path: str | Path) -> License:
    """The license in ``path`` (surrounding whitespace ignored)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LicenseError(f"license file {p}: cannot read: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise LicenseError(f"license file {p}: not UTF-8 text") from None
    try:
        return License(text)
    except LicenseError as exc:
        raise LicenseError(f"license file {p}: {exc}") from None
