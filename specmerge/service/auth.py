"""Who is calling and what they may do.

* :class:`StaticTokenAuth`: one bearer token (from a file or ``$SPECMERGE_TOKEN``),
  compared in constant time; its holder may write, and may reveal secrets only when the
  settings say ``allow_reveal``.
* :class:`KubeAuth` (in-cluster): the bearer token is checked with a TokenReview; writing
  an instance's console values needs ``update`` on its CR and reading them ``get``
  (SubjectAccessReview for ``<plural>.<group>`` ``ns/name``), revealing secrets needs ``get`` on Secrets in its namespace.
* :class:`NoAuth`: loopback development only (``--no-auth``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Protocol

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

from .store import Instance


class AuthUnavailable(Exception):
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


class KubeAuth:
    def __init__(self, api_client: ApiClient, group: str, plural: str) -> None:
        self.authn = AuthenticationV1Api(api_client)
        self.authz = AuthorizationV1Api(api_client)
        self.group, self.plural = group, plural

    def authenticate(self, token: str | None) -> Principal | None:
        if not token:
            return None
        try:
            review = self.authn.create_token_review(V1TokenReview(spec=V1TokenReviewSpec(token=token)))
        except ApiException as exc:
            raise AuthUnavailable(f"TokenReview failed: HTTP {exc.status}") from None
        status = review.status
        if status is None or not status.authenticated or status.user is None:
            return None
        return Principal(status.user.username or "", tuple(status.user.groups or ()), status.user.uid or "")

    def _allowed(self, who: Principal, attrs: V1ResourceAttributes) -> bool:
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
