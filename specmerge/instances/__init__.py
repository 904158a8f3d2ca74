"""An instance on a cluster: its layout, decoding, error family and the one input assembler.

* :mod:`.layout`: names, keys, labels and the CR kind (design.md §6);
* :mod:`.codec`: Secret data <-> JSON;
* :mod:`.state`: the objects of one instance -> :class:`InstanceSpec`;
* :mod:`.assemble`: :class:`InstanceSpec` + channel answer -> ``PlanInputs``;
* :mod:`.errors`: :class:`TemporaryError` (retry) vs :class:`PermanentError` (stall).
"""

from .assemble import channel_request, plan_inputs
from .codec import decode_any, decode_object, encode, encode_parts
from .incumbent import cached_release
from .errors import InstanceError, PermanentError, TemporaryError
from .layout import (
    ACTIVE_SUFFIX,
    CACHE_SUFFIX,
    DIGEST_KEY,
    FINALIZER,
    HELM_SELECTOR,
    KEYS,
    MANAGED_BY,
    MANAGED_SELECTOR,
    USER_SUFFIX,
    CrKind,
    active_secret,
    cache_secret,
    instance_of_secret,
    user_secret,
)
from .state import ActiveSpec, InstanceSpec, instance_from_objects, read_active

__all__ = [
    "ACTIVE_SUFFIX",
    "ActiveSpec",
    "CACHE_SUFFIX",
    "CrKind",
    "DIGEST_KEY",
    "FINALIZER",
    "HELM_SELECTOR",
    "InstanceError",
    "InstanceSpec",
    "KEYS",
    "MANAGED_BY",
    "MANAGED_SELECTOR",
    "PermanentError",
    "TemporaryError",
    "USER_SUFFIX",
    "active_secret",
    "cache_secret",
    "cached_release",
    "channel_request",
    "decode_any",
    "decode_object",
    "encode",
    "encode_parts",
    "instance_from_objects",
    "instance_of_secret",
    "plan_inputs",
    "read_active",
    "user_secret",
]
