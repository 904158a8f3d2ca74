"""The one exception tree: every error specmerge raises on purpose says whether to retry.

::

    SpecmergeError                 str() is the whole user-facing message: what, and where
    ├── InputError                 only a change of the inputs fixes it (exit 2, HTTP 4xx,
    │   │                          the operator stalls): a bad layer or body, a schema, a
    │   │                          chart reference, a template, a channel request or spec,
    │   │                          a license, settings, an unknown instance or release
    │   ├── core.LayerInputError ── core.TooDeep, channels.ChannelSpecError
    │   ├── core.SchemaError, render.versions.ConstraintError
    │   ├── render.ChartRefError, render.TemplateError, render.KubeVersionError,
    │   │   render.guard.ValuesAddStructure
    │   ├── channels.ChannelRequestError, channels.ReleaseNotFound, channels.LicenseError
    │   ├── instances.PermanentError, preflight.RequirementsError
    │   ├── service: SettingsError, BadInstance, InstanceNotFound, StaleETag,
    │   │   TooMuchWork, BodyTooLarge
    │   └── keys.RedactionKeyError, cli.CliError
    └── UnavailableError           the world may fix it: retry with backoff (exit 3 where a
        │                          command distinguishes it, HTTP 503, the operator requeues)
        ├── channels.ChannelFetchError, channels.ChannelUnavailable, channels.CacheError
        ├── render.ChartSourceError (a chart that cannot be fetched or loaded)
        ├── instances.TemporaryError, service.StoreError, service.AuthUnavailable,
        │   service.DeadlinePassed
        └── kubeapi.KubeApiError, operator ApiError/HelmFailure, diff.LiveError,
            preflight.PreflightError, drift.DriftError

Families keep their own bases too (``render.RenderError``, ``instances.InstanceError``)
and, where older callers catch them, a builtin (``ValueError``, ``LookupError``): a class
is an :class:`InputError` *and* what it always was. The split is kopf's
Permanent/Temporary and Flux's ``ErrMustRequeue``/``Stalled``; the tree is drawn here, as
httpx draws its own in ``_exceptions.py``. Messages never carry credentials.
"""

from __future__ import annotations


class SpecmergeError(Exception):
    """Base of every error specmerge raises on purpose."""


class InputError(SpecmergeError):
    """Permanent: the user (or chart author) must change an input; retrying cannot help."""


class UnavailableError(SpecmergeError):
    """Temporary: something specmerge depends on failed or is unreachable; retry later."""


__all__ = ["InputError", "SpecmergeError", "UnavailableError"]
