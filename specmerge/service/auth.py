"""Who is calling and what they may do.

* :class:`StaticTokenAuth`: one bearer token (from a file or ``$SPECMERGE_TOKEN``),
  compared in constant time; its holder may write, and may reveal secrets only when the
  settings say ``allow_reveal``.
* :class:`KubeAuth` (in-cluster): the bearer token is checked with a TokenReview; writing
  an instance's console values needs ``update`` on its CR and reading them ``get``
  (SubjectAccessReview for ``<plural>.<group>`` ``ns/name``), revealing secrets needs ``get`` on Secrets in its namespace.
  Answers are remembered for ``cache_ttl`` seconds (:class:`Answers`), as the apiserver's
  own webhook authenticator and authorizer do: a console polling previews costs one
  review per TTL, not two per request, and a revoked binding or token stops working within
  the TTL. A failed review (apiserver unreachable) is never remembered.
* :class:`NoAuth`: loopback development only (``--no-auth``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from kubernetes.client import (
    ApiClient,
    AuthenticationV1Api,
    AuthorizationV1Api,
    V1ResourceAttributes,
    V1SubjectAccessReview,
    V1SubjectAccessReviewSpec,
    V1TokenReview,
    V1TokenReviewSpec,
)
from kubernetes.client.exceptions import ApiException

from ..core import Memo
from ..errors import UnavailableError
from .store import Instance


class AuthUnavailable(UnavailableError):
    """The authority (the apiserver) could not answer: the caller gets 503, not 401."""


@dataclass(frozen=True)
class Principal:
    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""


class Authenticator(Protocol):
    def authenticate(self, token: str | None) -> Principal | None: ...

    def may_read(self, who: Principal, instance: Instance) -> bool: ...

    def may_write(self, who: Principal, instance: Instance) -> bool: ...

    def may_reveal(self, who: Principal, namespace: str | None) -> bool: ...


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class StaticTokenAuth:
    #: Answers from memory in constant time (no I/O): the guard asks it on the event loop,
    #: sparing each request a hand-off to a thread and back (an authenticator without this
    #: attribute, :class:`KubeAuth`, is asked on a thread).
    in_memory = True

    def __init__(self, token: str, allow_reveal: bool = False) -> None:
        self._token = token.encode()
        self.allow_reveal = allow_reveal

    def authenticate(self, token: str | None) -> Principal | None:
        if token is None or not hmac.compare_digest(token.encode(), self._token):
            return None
        return Principal("token")

    def may_read(self, who: Principal, instance: Instance) -> bool:
        return True

    def may_write(self, who: Principal, instance: Instance) -> bool:
        return True

    def may_reveal(self, who: Principal, namespace: str | None) -> bool:
        return self.allow_reveal


class NoAuth(StaticTokenAuth):
    """Anyone is the anonymous principal, with the static token's permissions (loopback only)."""

    def __init__(self, allow_reveal: bool = False) -> None:
        super().__init__("", allow_reveal)

    def authenticate(self, token: str | None) -> Principal | None:
        return Principal("anonymous")


T = TypeVar("T")


class Answers(Generic[T]):
    """Answers by key for ``ttl`` seconds, at most ``size`` of them (a bounded
    :class:`~specmerge.core.memo.Memo`: when full it starts again). ``ttl <= 0`` remembers
    nothing. Thread-safe; an exception from ``ask`` is not kept."""

    def __init__(self, ttl: float, size: int = 4096, counted: Callable[[str], None] = lambda source: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.counted, self.clock = ttl, counted, clock
        self._kept: Memo[Hashable, tuple[float, T]] = Memo(size)

    def get(self, key: Hashable, ask: Callable[[], T]) -> T:
        now = self.clock()
        hit = self._kept.get(key)
        if hit is not None and hit[0] > now:
            self.counted("cache")
            return hit[1]
        answer = ask()
        self.counted("apiserver")
        if self.ttl > 0:
            self._kept.put(key, (now + self.ttl, answer))
        return answer


class KubeAuth:
    def __init__(self, api_client: ApiClient, group: str, plural: str, cache_ttl: float = 5.0,
                 counted: Callable[[str, str], None] = lambda kind, source: None) -> None:
        """``counted(kind, source)`` hears of every answer: kind ``token``/``access``, source
        ``apiserver``/``cache`` (the service counts them in its metrics)."""
        self.authn = AuthenticationV1Api(api_client)
        self.authz = AuthorizationV1Api(api_client)
        self.group, self.plural = group, plural
        self.tokens: Answers[Principal | None] = Answers(cache_ttl, counted=lambda source: counted("token", source))
        self.access: Answers[bool] = Answers(cache_ttl, counted=lambda source: counted("access", source))

    def authenticate(self, token: str | None) -> Principal | None:
        if not token:
            return None
        # keyed by the token's digest: the cache never holds a token
        return self.tokens.get(hashlib.sha256(token.encode()).digest(), lambda: self._review_token(token))

    def _review_token(self, token: str) -> Principal | None:
        try:
            review = self.authn.create_token_review(V1TokenReview(spec=V1TokenReviewSpec(token=token)))
        except ApiException as exc:
            raise AuthUnavailable(f"TokenReview failed: HTTP {exc.status}") from None
        status = review.status
        if status is None or not status.authenticated or status.user is None:
            return None
        return Principal(status.user.username or "", tuple(status.user.groups or ()), status.user.uid or "")

    def _allowed(self, who: Principal, attrs: V1ResourceAttributes) -> bool:
        key = (who, attrs.group, attrs.resource, attrs.verb, attrs.namespace, attrs.name)
        return self.access.get(key, lambda: self._review_access(who, attrs))

    def _review_access(self, who: Principal, attrs: V1ResourceAttributes) -> bool:
        spec = V1SubjectAccessReviewSpec(user=who.name, groups=list(who.groups), uid=who.uid or None,
                                         resource_attributes=attrs)
        try:
            review = self.authz.create_subject_access_review(V1SubjectAccessReview(spec=spec))
        except ApiException as exc:
            raise AuthUnavailable(f"SubjectAccessReview failed: HTTP {exc.status}") from None
        return bool(review.status and review.status.allowed)

    def _on_instance(self, who: Principal, verb: str, instance: Instance) -> bool:
        return self._allowed(who, V1ResourceAttributes(
            group=self.group, resource=self.plural, verb=verb, namespace=instance.namespace, name=instance.name))

    def may_read(self, who: Principal, instance: Instance) -> bool:
        return self._on_instance(who, "get", instance)

    def may_write(self, who: Principal, instance: Instance) -> bool:
        return self._on_instance(who, "update", instance)

    def may_reveal(self, who: Principal, namespace: str | None) -> bool:
        return self._allowed(who, V1ResourceAttributes(group="", resource="secrets", verb="get", namespace=namespace))
