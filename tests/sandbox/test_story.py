"""The story player: steps in order, each waiting for syncd; pauses only for people, scaled by --speed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from syncd.sandbox import story
from syncd.sandbox.story import PAUSE, Step, StepResult, StoryPlayer


class Recorder:
    """Listener and fake world in one: remembers everything that happened, in order."""

    def __init__(self, caught_up: list[bool]) -> None:
        self.events: list[str] = []
        self.answers = list(caught_up)

    def step(self, name: str, expect: Callable[[Any], bool] | None = None) -> Step:
        async def act(_stage: Any) -> None:
            self.events.append(f"act {name}")

        return Step(name, f"watch {name}", act, None, expect)

    async def catch_up(self, expect: Callable[[Any], bool] | None, within: float) -> bool:
        self.events.append(f"catch up ({within:g}s){' with expect' if expect else ''}")
        return self.answers.pop(0)

    def step_started(self, index: int, step: Step) -> None:
        self.events.append(f"started {index} {step.title}")

    def step_finished(self, index: int, result: StepResult) -> None:
        self.events.append(f"finished {index} {'caught up' if result.caught_up else 'missed'}")


def _play(recorder: Recorder, steps: list[Step], speed: float | None) -> list[StepResult]:
    player = StoryPlayer(None, steps, recorder.catch_up, recorder, speed, step_timeout=7)  # type: ignore[arg-type]
    return asyncio.run(player.play())


class TestStoryPlayer:
    """How `syncd sandbox` walks through its steps."""

    def test_each_step_acts_then_waits_for_syncd(self) -> None:
        """Start, act, wait (with the step's own condition), finish; then the next step."""
        recorder = Recorder([True, True])
        results = _play(recorder, [recorder.step("one", expect=bool), recorder.step("two")], speed=None)
        assert recorder.events == [
            "started 0 one", "act one", "catch up (7s) with expect", "finished 0 caught up",
            "started 1 two", "act two", "catch up (7s)", "finished 1 caught up",
        ]  # fmt: skip
        assert [result.step.title for result in results] == ["one", "two"]

    def test_a_step_syncd_misses_is_reported_and_the_story_goes_on(self) -> None:
        """A missed step is in the results; later steps still play."""
        recorder = Recorder([False, True])
        results = _play(recorder, [recorder.step("one"), recorder.step("two")], speed=None)
        assert [result.caught_up for result in results] == [False, True]

    @pytest.mark.parametrize(("speed", "pauses"), [(None, []), (1.0, [PAUSE, PAUSE]), (4.0, [PAUSE / 4, PAUSE / 4])])
    def test_pauses_come_only_between_steps_and_scale_with_speed(
        self, monkeypatch: pytest.MonkeyPatch, speed: float | None, pauses: list[float]
    ) -> None:
        """`max` never pauses; a factor divides the pause; there is no pause after the last step."""
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        monkeypatch.setattr(story.asyncio, "sleep", sleep)
        recorder = Recorder([True, True, True])
        _play(recorder, [recorder.step("one"), recorder.step("two"), recorder.step("three")], speed=speed)
        assert slept == pauses
