"""The one error -> HTTP status table (specmerge.service.problems): every input error is a
4xx, every unavailable one a 503, except the rows that say otherwise; nothing falls to a
500 but the service's own configuration."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import specmerge
from specmerge.channels import ChannelFetchError, ChannelRequestError, ChannelUnavailable
from specmerge.core import LayerInputError, SchemaError, TooDeep
from specmerge.errors import InputError, SpecmergeError, UnavailableError
from specmerge.keys import RedactionKeyError
from specmerge.render import ChartRefError, ChartSourceError, TemplateError
from specmerge.service.auth import AuthUnavailable
from specmerge.service.limits import DeadlinePassed, TooMuchWork
from specmerge.service.middleware import BodyTooLarge
from specmerge.service.problems import HTTPProblem, rule_for, status_for
from specmerge.service.settings import SettingsError
from specmerge.service.specs import InstanceNotFound
from specmerge.service.store import BadInstance, StaleETag, StoreError

#: What each error the routes can meet is answered with (None: the generic 500).
EXPECTED = {
    InstanceNotFound: 404, StaleETag: 412, BodyTooLarge: 413, DeadlinePassed: 504,
    BadInstance: 422, TooMuchWork: 422, LayerInputError: 422, TooDeep: 422, SchemaError: 422,
    ChannelRequestError: 422, ChannelUnavailable: 422, ChartRefError: 422, TemplateError: 422,
    ChartSourceError: 422, StoreError: 503, AuthUnavailable: 503, ChannelFetchError: 503,
    RedactionKeyError: None, SettingsError: None,
}
CONFIGURATION = (RedactionKeyError, SettingsError)


def _bare(cls: type[BaseException]) -> BaseException:
    return cls.__new__(cls)  # the table looks at the class only


def _errors(base: type[BaseException]) -> list[type[BaseException]]:
    for info in pkgutil.walk_packages(specmerge.__path__, "specmerge."):
        if "._bundled" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found, todo = set(), [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found and not inspect.isabstract(sub):
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda c: c.__name__)
def test_each_error_the_routes_meet_has_its_status(cls: type[BaseException]) -> None:
    assert status_for(_bare(cls)) == EXPECTED[cls]


def test_every_input_error_is_a_4xx_and_every_unavailable_one_a_503_or_named() -> None:
    inputs = {c.__qualname__: status_for(_bare(c)) for c in _errors(InputError) if not issubclass(c, CONFIGURATION)}
    assert inputs and all(status is not None and 400 <= status < 500 for status in inputs.values()), inputs
    named = {ChannelUnavailable, ChartSourceError, DeadlinePassed}  # 422, 422, 504: rows of their own
    unavailable = {c.__qualname__: status_for(_bare(c)) for c in _errors(UnavailableError)
                   if not any(issubclass(c, n) for n in named)}
    assert unavailable and set(unavailable.values()) == {503}, unavailable


def test_details_say_what_and_an_http_problem_keeps_its_own_status() -> None:
    assert rule_for(StaleETag("team-a/x")).detail(StaleETag("team-a/x")) == (  # type: ignore[union-attr]
        "the stored values changed since they were read (stale If-Match)")
    broken = TemplateError.__new__(TemplateError)
    assert rule_for(broken).detail(broken).startswith("TemplateError: ")  # type: ignore[union-attr]
    assert rule_for(StoreError("disk")).detail(StoreError("disk")) == "store unavailable: disk"  # type: ignore[union-attr]
    assert status_for(HTTPProblem(428, "a write needs If-Match")) == 428
    assert status_for(ValueError("not ours")) is None and rule_for(SpecmergeError()) is None
