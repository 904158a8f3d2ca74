"""Release channels (issue 3, design.md §6-§7): the channel spec, embedded channels, the
channel client, the last-good cache, the resolver and the channel server.

What the HTTP service and the operator call::

    resolver = Resolver(ChannelClient(base_url, license), cache)   # once per process
    result = resolver.resolve(ChannelRequest.from_controls(effective.controls, channel))
    result.layer()        # the "channel" layer to merge
    result.condition()    # the ChannelReady condition (operator)
    result.describe()     # one line: which release, from where, why

The client is thread-based (single-flight across threads); asyncio callers run
``resolve`` through ``asyncio.to_thread``.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..locations import repo_root
    from .cache import CacheEntry, CacheError, DirectoryCache, LastGoodCache, MemoryCache, default_cache_dir
    from .client import ChannelClient, ChannelFetchError
    from .compat import incumbent_problems
    from .embedded import ReleaseNotFound, embedded_dir, latest, list_embedded, load_dir, load_embedded
    from .license import License, LicenseError, read_license_file
    from .resolve import ChannelRequest, ChannelRequestError, ChannelResult, ChannelUnavailable, Resolver, release_pin
    from .retry import RetryPolicy
    from .spec import ChannelSpec, ChannelSpecError, channel_schema, parse_channel_spec

#: name -> module it lives in: imported on first use, so ``import specmerge.channels.semver``
#: (the render path) does not pay for the HTTP client.
_LAZY: dict[str, str] = {
    "repo_root": "..locations",
    "CacheEntry": ".cache",
    "CacheError": ".cache",
    "DirectoryCache": ".cache",
    "LastGoodCache": ".cache",
    "MemoryCache": ".cache",
    "default_cache_dir": ".cache",
    "ChannelClient": ".client",
    "ChannelFetchError": ".client",
    "incumbent_problems": ".compat",
    "ReleaseNotFound": ".embedded",
    "latest": ".embedded",
    "load_dir": ".embedded",
    "embedded_dir": ".embedded",
    "list_embedded": ".embedded",
    "load_embedded": ".embedded",
    "License": ".license",
    "LicenseError": ".license",
    "read_license_file": ".license",
    "ChannelRequest": ".resolve",
    "ChannelRequestError": ".resolve",
    "ChannelResult": ".resolve",
    "ChannelUnavailable": ".resolve",
    "Resolver": ".resolve",
    "release_pin": ".resolve",
    "RetryPolicy": ".retry",
    "ChannelSpec": ".spec",
    "ChannelSpecError": ".spec",
    "channel_schema": ".spec",
    "parse_channel_spec": ".spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


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
    "License",
    "LicenseError",
    "MemoryCache",
    "ReleaseNotFound",
    "Resolver",
    "RetryPolicy",
    "channel_schema",
    "default_cache_dir",
    "embedded_dir",
    "incumbent_problems",
    "latest",
    "list_embedded",
    "load_dir",
    "load_embedded",
    "parse_channel_spec",
    "read_license_file",
    "release_pin",
    "repo_root",
]
