"""Release channels: the channel spec, embedded channels, the channel client, the
last-good cache and the channel server (issue 3, design.md §6-§7)."""

from ..locations import repo_root
from .embedded import ReleaseNotFound, embedded_dir, list_embedded, load_embedded
from .spec import ChannelSpec, ChannelSpecError, channel_schema, parse_channel_spec

__all__ = [
    "ChannelSpec",
    "ChannelSpecError",
    "ReleaseNotFound",
    "channel_schema",
    "embedded_dir",
    "list_embedded",
    "load_embedded",
    "parse_channel_spec",
    "repo_root",
]
