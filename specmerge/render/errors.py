"""How chart sourcing and rendering fail: one exception family, messages that name what and where.

Every message here is built from the chart reference *without* its credentials
(:meth:`specmerge.render.ref.ChartRef.describe`), so a password never reaches an error,
a log line or the CLI's stderr.
"""

from __future__ import annotations

from ..errors import InputError, SpecmergeError, UnavailableError


class RenderError(SpecmergeError):
    """Base of every error this package raises; ``str()`` is the whole user-facing message."""


class ChartRefError(RenderError, InputError):
    """A chart reference that fits none of the forms of design.md §6."""


class ChartSourceError(RenderError, UnavailableError):
    """A chart that cannot be fetched or loaded: unreachable repo, missing version, corrupt archive."""


class TemplateError(RenderError, InputError):
    """Helm failed to render a template; the message names the template and line (Helm's text)."""


class KubeVersionError(RenderError, InputError):
    """The chart's ``kubeVersion`` constraint excludes the Kubernetes version rendered for."""
