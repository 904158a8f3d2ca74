"""Release channels (issue 3, design.md §6-§7): the channel spec, embedded channels, the
channel client, the last-good cache, the resolver and the channel server.

What the HTTP service and the operator call::

    resolver = Resolver(ChannelClient(base_url, licence), cache)   # once per process
    result = resolver.resolve(ChannelRequest.from_controls(effective.controls, channel))
    result.layer()        # the "channel" layer to merge
    result.condition()    # the ChannelReady condition (operator)
    result.describe()     # one line: which release, from where, why

The client is thread-based (single-flight across threads); asyncio callers run
``resolve`` through ``asyncio.to_thread``.
"""

from ..locations import repo_root
from .cache import CacheEntry, CacheError, DirectoryCache, LastGoodCache, MemoryCache, default_cache_dir
from .client import ChannelClient, ChannelFetchError
from .embedded import ReleaseNotFound, embedded_dir, list_embedded, load_embedded
from .licence import Licence, LicenceError, read_licence_file
from .resolve import ChannelRequest, ChannelRequestError, ChannelResult, ChannelUnavailable, Resolver, release_pin
from .retry import RetryPolicy
from .spec import ChannelSpec, ChannelSpecError, channel_schema, parse_channel_spec

__all__ = [
    "CacheEntry",
    "CacheError",
    "ChannelClient",
    "ChannelFetchError",
    "ChannelRequest",
    "ChannelRequestError",
    "ChannelResult",
    "ChannelSpec",
    "ChannelSpecError",
    "ChannelUnavailable",
    "DirectoryCache",
    "LastGoodCache",
    "Licence",
    "LicenceError",
    "MemoryCache",
    "ReleaseNotFound",
    "Resolver",
    "RetryPolicy",
    "channel_schema",
    "default_cache_dir",
    "embedded_dir",
    "list_embedded",
    "load_embedded",
    "parse_channel_spec",
    "read_licence_file",
    "release_pin",
    "repo_root",
]
