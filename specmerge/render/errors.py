"""How chart sourcing and rendering fail: one exception family, messages that name what and where.

Every message here is built from the chart reference *without* its credentials
(:meth:`specmerge.render.ref.ChartRef.describe`), so a password never reaches an error,
a log line or the CLI's stderr.
"""

from __future__ import annotations


class RenderError(Exception):
    """Base of every error this package raises; ``str()`` is the whole user-facing message."""


class ChartRefError(RenderError):
    """A chart reference that fits none of the forms of design.md §6."""


class ChartSourceError(RenderError):
    """A chart that cannot be fetched or loaded: unreachable repo, missing version, corrupt archive."""


class TemplateError(RenderError):
    """Helm failed to render a template; the message names the template and line (Helm's text)."""


class KubeVersionError(RenderError):
    """The chart's ``kubeVersion`` constraint excludes the Kubernetes version rendered for."""
