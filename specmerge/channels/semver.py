"""Moved to :mod:`specmerge.core.semver` (render and channels both use it; core sits below
both). This name stays importable for existing callers."""

from ..core import SortKey, is_semver, semver_key

__all__ = ["SortKey", "is_semver", "semver_key"]
