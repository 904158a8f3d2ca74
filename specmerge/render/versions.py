"""Choosing a chart version: SemVer constraints as Helm (Masterminds semver) reads them. Pure.

Grammar: alternatives separated by ``||``; within one, comparators separated by commas or
spaces must all hold. A comparator is an operator (``=``, ``!=``, ``>``, ``>=``, ``<``,
``<=``, ``~``, ``~>``, ``^``; none means ``=``) and a version that may be partial or use
``x``/``X``/``*`` wildcards (``1.2``, ``1.x``); ``A - B`` is the inclusive range. Partial
versions widen as in Masterminds: ``=1.2`` is ``>=1.2.0 <1.3.0``, ``<=1.2`` is ``<1.3.0``,
``>1.2`` is ``>=1.3.0``, ``~1.2.3`` is ``>=1.2.3 <1.3.0``, ``^1.2.3`` is ``>=1.2.3 <2.0.0``,
``^0.2.3`` is ``>=0.2.3 <0.3.0``. A pre-release version (``1.5.0-rc.1``) is only chosen
when the constraint itself names a pre-release, as in Helm without ``--devel``.

Precedence is SemVer 2.0.0's (:func:`specmerge.core.semver.semver_key`); a leading
``v`` is accepted on versions, as Helm does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core import is_semver, semver_key
from ..errors import InputError

Key = tuple

_PARTIAL = re.compile(
    r"^v?(?P<major>\d+|[xX*])(?:\.(?P<minor>\d+|[xX*]))?(?:\.(?P<patch>\d+|[xX*]))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_COMPARATOR = re.compile(r"^(?P<op>!=|>=|=>|<=|=<|~>|[=<>~^])?\s*(?P<ver>\S+)$")


class ConstraintError(InputError, ValueError):
    """A version constraint that cannot be parsed."""


def version_key(version: str) -> Key | None:
    """SemVer precedence key of ``version`` (``v`` prefix allowed), or ``None`` if not SemVer."""
    text = version[1:] if version.startswith("v") else version
    return semver_key(text) if is_semver(text) else None


def _release(major: int, minor: int, patch: int) -> Key:
    return (major, minor, patch, 1, ())


def _lowest(major: int, minor: int, patch: int) -> Key:
    """Below every pre-release of ``major.minor.patch``."""
    return (major, minor, patch, 0, ())


@dataclass(frozen=True)
class _Partial:
    parts: tuple[int, ...]  # 0 to 3 numbers; wildcards end the tuple
    pre: str | None

    def key(self) -> Key:
        n = list(self.parts) + [0] * (3 - len(self.parts))
        if self.pre is not None and len(self.parts) == 3:
            return semver_key(f"{n[0]}.{n[1]}.{n[2]}-{self.pre}")
        return _release(n[0], n[1], n[2])

    def next_up(self) -> Key:
        """The lowest version above everything this partial covers (``1.2`` -> ``1.3.0``)."""
        p = self.parts
        if len(p) == 0:
            return (10**18, 0, 0, 1, ())
        if len(p) == 1:
            return _lowest(p[0] + 1, 0, 0)
        if len(p) == 2:
            return _lowest(p[0], p[1] + 1, 0)
        return _lowest(p[0], p[1], p[2] + 1)


def _partial(text: str, constraint: str) -> _Partial:
    m = _PARTIAL.match(text)
    if m is None:
        raise ConstraintError(f"version constraint {constraint!r}: {text!r} is not a version")
    parts: list[int] = []
    for name in ("major", "minor", "patch"):
        value = m.group(name)
        if value is None or value in ("x", "X", "*"):
            break
        parts.append(int(value))
    return _Partial(tuple(parts), m.group("pre"))


Check = Callable[[Key], bool]


def _comparator(op: str, p: _Partial) -> Check:
    lo, up = p.key(), p.next_up()
    exact = len(p.parts) == 3
    if op == "=":
        return (lambda k: k == lo) if exact and p.pre else (lambda k: lo <= k < up)
    if op == "!=":
        return (lambda k: k != lo) if exact and p.pre else (lambda k: not lo <= k < up)
    if op == ">":
        return (lambda k: k > lo) if exact else (lambda k: k >= up)
    if op == ">=":
        return lambda k: k >= lo
    if op == "<":
        return lambda k: k < lo
    if op == "<=":
        return (lambda k: k <= lo) if exact else (lambda k: k < up)
    if op == "~":
        if len(p.parts) <= 1:
            return lambda k: lo <= k < up
        return lambda k: lo <= k < _lowest(p.parts[0], p.parts[1] + 1, 0)
    if op == "^":
        major = p.parts[0] if p.parts else 0
        if major > 0 or len(p.parts) <= 1:
            top = _lowest(major + 1, 0, 0) if p.parts else up
        elif len(p.parts) == 2 or p.parts[1] > 0:
            top = _lowest(0, p.parts[1] + 1, 0)
        else:
            top = _lowest(0, 0, p.parts[2] + 1)
        return lambda k: lo <= k < top
    raise ConstraintError(f"unknown operator {op!r}")


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint; :meth:`allows` tests one version key."""

    text: str
    groups: tuple[tuple[Check, ...], ...]
    wants_pre: bool

    def allows(self, key: Key) -> bool:
        if key[3] == 0 and not self.wants_pre:
            return False
        return any(all(check(key) for check in group) for group in self.groups)


_OPS = {"=>": ">=", "=<": "<=", "~>": "~"}


def parse_constraint(text: str) -> Constraint:
    """Parse ``text`` (see the module docstring); an empty constraint allows any release."""
    source = text.strip()
    groups: list[tuple[Check, ...]] = []
    wants_pre = False
    for alternative in (source or "*").split("||"):
        alt = re.sub(r"(!=|>=|=>|<=|=<|~>|[=<>~^])\s+", r"\1", alternative.strip())
        tokens = [t for t in re.split(r"[,\s]+", alt) if t]
        if not tokens:
            raise ConstraintError(f"version constraint {text!r}: empty alternative")
        checks: list[Check] = []
        i = 0
        while i < len(tokens):
            if i + 2 < len(tokens) and tokens[i + 1] == "-":  # hyphen range A - B
                a, b = _partial(tokens[i], text), _partial(tokens[i + 2], text)
                checks += [_comparator(">=", a), _comparator("<=", b)]
                wants_pre |= bool(a.pre or b.pre)
                i += 3
                continue
            m = _COMPARATOR.match(tokens[i])
            if m is None:
                raise ConstraintError(f"version constraint {text!r}: cannot read {tokens[i]!r}")
            op = _OPS.get(m.group("op") or "=", m.group("op") or "=")
            p = _partial(m.group("ver"), text)
            wants_pre |= p.pre is not None
            checks.append(_comparator(op, p))
            i += 1
        groups.append(tuple(checks))
    return Constraint(text, tuple(groups), wants_pre)


def is_exact(version: str) -> bool:
    """Whether ``version`` names one version (``1.4.0``, ``v1.4.0``) rather than a range."""
    return version_key(version) is not None


def best_match(constraint: str, versions: Iterable[str]) -> str | None:
    """The highest of ``versions`` that ``constraint`` allows; non-SemVer versions are skipped.

    An exact version matches itself textually first (``1.4.0`` picks ``1.4.0``, not
    ``v1.4.0``), as Helm's repository lookup does.
    """
    versions = list(versions)
    if constraint in versions and is_exact(constraint):
        return constraint
    parsed = parse_constraint(constraint)
    best: tuple[Key, str] | None = None
    for v in versions:
        key = version_key(v)
        if key is None or not parsed.allows(key):
            continue
        if best is None or key > best[0]:
            best = (key, v)
    return best[1] if best else None
