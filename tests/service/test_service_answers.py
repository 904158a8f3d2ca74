"""The review-answer cache of --kube-auth (pure; the clock is a parameter)."""

from __future__ import annotations

import pytest

from specmerge.service.auth import Answers


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_for_the_ttl_then_asked_again() -> None:
    clock, sources, asked = Clock(), [], []
    answers: Answers[bool] = Answers(5.0, counted=sources.append, clock=clock)

    def ask() -> bool:  # the authority changes its mind every time it is asked
        asked.append(1)
        return len(asked) % 2 == 1

    assert answers.get("k", ask) is True
    clock.now += 4.9
    assert answers.get("k", ask) is True  # remembered, although the authority now says False
    clock.now += 0.2
    assert answers.get("k", ask) is False  # expired: asked again
    assert sources == ["apiserver", "cache", "apiserver"] and len(asked) == 2


def test_failures_are_not_kept_and_ttl_zero_keeps_nothing() -> None:
    answers: Answers[bool] = Answers(5.0, clock=Clock())

    def unreachable() -> bool:
        raise ConnectionError("apiserver down")

    with pytest.raises(ConnectionError):
        answers.get("k", unreachable)
    assert answers.get("k", lambda: True) is True  # the failure left nothing behind
    never: Answers[int] = Answers(0.0, clock=Clock())
    calls = iter(range(10))
    assert [never.get("k", lambda: next(calls)) for _ in range(3)] == [0, 1, 2]


def test_the_oldest_answers_go_first_when_full() -> None:
    asked: list[str] = []
    answers: Answers[str] = Answers(60.0, size=2, clock=Clock())

    def ask(key: str) -> str:
        asked.append(key)
        return key

    for key in ["a", "b", "c", "a"]:
        answers.get(key, lambda: ask(key))
    assert asked == ["a", "b", "c", "a"]  # "a" was dropped when "c" came in
