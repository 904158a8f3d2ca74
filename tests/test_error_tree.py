"""Every error specmerge raises on purpose sits in the one tree and says whether to retry."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import specmerge
from specmerge.errors import InputError, SpecmergeError, UnavailableError

#: Family bases that only group their subclasses (each subclass is input or unavailable).
FAMILIES = {"SpecmergeError", "RenderError", "InstanceError", "HTTPProblem"}


def _error_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(specmerge.__path__, "specmerge."):
        if "._bundled" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException) and not name.startswith("_")
                    and obj.__module__ == module.__name__):
                found[f"{obj.__module__}.{name}"] = obj
    return list(found.values())


def test_every_public_error_is_a_specmerge_error_that_says_whether_to_retry():
    classes = _error_classes()
    assert len(classes) > 30, "the walk found the package's errors"
    outside = [c.__qualname__ for c in classes if not issubclass(c, SpecmergeError)]
    assert outside == []
    undecided = [c.__qualname__ for c in classes if c.__name__ not in FAMILIES
                 and issubclass(c, InputError) == issubclass(c, UnavailableError)]
    assert undecided == []


def test_the_families_keep_the_bases_older_callers_catch():
    from specmerge.core import LayerInputError, SchemaError
    from specmerge.instances.errors import PermanentError, TemporaryError
    from specmerge.render.errors import ChartSourceError, RenderError, TemplateError

    assert issubclass(LayerInputError, ValueError) and issubclass(SchemaError, ValueError)
    assert issubclass(TemplateError, RenderError) and issubclass(TemplateError, InputError)
    assert issubclass(ChartSourceError, RenderError) and issubclass(ChartSourceError, UnavailableError)
    assert issubclass(PermanentError, InputError) and issubclass(TemporaryError, UnavailableError)
