"""specmerge's HTTP service (issue 7): the preview endpoint, the console-values API (the
``user`` layer, stored with ETags), health, readiness and Prometheus metrics.

Modules: :mod:`.settings` (configuration), :mod:`.store` (the values-store interface and
its pure helpers), :mod:`.store_dir` and :mod:`.store_secret` (the two backends),
:mod:`.values_edit` (merge patch and redacted-placeholder restoring, pure), :mod:`.specs`
(preview request -> plan -> response; the would-be spec of a write), :mod:`.auth` (bearer
tokens, TokenReview + SubjectAccessReview), :mod:`.middleware` (request id, body limit,
timeout, generic 500), :mod:`.metrics`, :mod:`.models` (OpenAPI shapes), :mod:`.responses`
(orjson), :mod:`.routes` (one router per concern, with their dependencies), :mod:`.problems`
(the one error -> status mapping), :mod:`.state` (what the routes share), :mod:`.app` (the
FastAPI app factory), :mod:`.build` (settings -> service) and :mod:`.workers` (``--workers N``).
"""

from .app import Service, create_app
from .settings import ServiceSettings, load_settings

__all__ = ["Service", "ServiceSettings", "create_app", "load_settings"]
