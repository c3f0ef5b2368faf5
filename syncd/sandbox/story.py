"""The sandbox's short story: people label, start, merge, drop and finish tasks; a KR id is mistyped and
fixed; metrics are checked in; a webhook is lost and the poll repairs it.

Each `Step` changes a seeded item, wherever the spread put it, through its tracker's `SandboxTracker`
(as a person would in the tracker's UI) and names the page to watch. `StoryPlayer` plays them in order:
act, wait until syncd has caught up (a condition, never a fixed sleep), then pause `PAUSE / speed`
seconds so a person can look (no pause at `--speed max`). A tracker that stamps whole seconds asks for
a wait before each change (`settle`): otherwise a second change would look no newer than the first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from syncd.core.model import CheckIn
from syncd.runtime.recompute.checkins import CheckIns
from syncd.sandbox.company import CYCLE_DAYS_FIELD, PIPELINE_FIELD
from syncd.sandbox.world import SandboxWorld
from syncd.simulators.sandbox import SandboxTracker

#: Seconds between steps at `--speed 1`.
PAUSE = 3.0


class Stage:
    """What a step may do: change seeded items, check in a metric, lose a webhook."""

    def __init__(self, world: SandboxWorld) -> None:
        self.world = world

    async def change(self, key: str, change: Callable[[SandboxTracker], None]) -> None:
        """Apply `change` with the tracker holding a seeded item, once its tracker allows a newer change."""
        tracker = self.world.holder(key).tracker
        wait = tracker.settle(key)
        if wait > 0:
            await asyncio.sleep(wait)  # until the item's next timestamp, not a guess at syncd's speed
        change(tracker)

    async def check_in(self, kr_id: str, value: float, note: str) -> None:
        """Report a metric's value, as `syncd checkin` does."""
        recorded = await asyncio.to_thread(record_check_in, self.world, kr_id, value, note)
        self.world.checkins.append(recorded)


def record_check_in(world: SandboxWorld, kr_id: str, value: float, note: str) -> CheckIn:
    """Record a check-in in the sandbox's store (recomputing at once); returns it as the core sees it."""
    recorded = CheckIns(world.prepared.runtime).record(kr_id, value, note=note, via="cli")
    return CheckIn(recorded.kr_id, recorded.at, recorded.value, recorded.note)


Act = Callable[[Stage], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    """One beat of the story: what happens, what to watch, and the page (issue or task key) to look at."""

    title: str
    watch: str
    act: Act
    page: str | None
    #: A condition besides "syncd caught up", e.g. that a warning is on the page.
    expect: Callable[[SandboxWorld], bool] | None = None


def acme_story() -> tuple[Step, ...]:
    """The story played on the seeded company (keys name seeded items)."""
    return (
        Step("Maya labels “Password-less sign-in” kr:ENG-1.1", "ENG-1.1 gains a task: every ENG-1.1 comment is edited", _label_passwordless, "passwordless"),
        Step("Work starts on “Setup wizard API” (5 points)", "ENG-1.2 credits half of its points", _start_setup_wizard, "setup-wizard"),
        Step("The change “Signup form validation” is done", "ENG-1.1: one more task done", _finish_signup_validation, "signup-validation"),
        Step("Priya starts on “Competitive battlecards”", "GTM-1.1 credits half a task; progress fields follow", _start_battlecards, "battlecards"),
        Step("Product checks in week-1 activation: 47%", "ENG-1.3 (a metric from check-ins) moves", _check_in_activation, None),
        Step("“Migrate setup to the v1 API” is dropped as not planned", "dropped: it leaves ENG-1.2's numerator and denominator", _drop_setup_migration, "setup-migration"),
        Step("Sam labels “Crash when exporting a large CSV” kr:ENG-21 (a typo)", "the comment warns: no key result ENG-21, did you mean ENG-2.1?", _mistype_kr, "csv-crash", expect=_warns_about_typo),
        Step("Sam fixes the label: kr:ENG-2.1", "the warning goes; the bug counts towards ENG-2.1", _fix_kr, "csv-crash", expect=_typo_gone),
        Step("The CSV crash is fixed and closed, but its webhook is lost", "no webhook: the next poll (every few seconds) repairs ENG-2.1", _close_with_lost_webhook, "csv-crash", expect=_webhook_was_lost),
        Step("Northwind Logistics grows to 120 k$ of pipeline", "GTM-1.2 sums the field; the pipeline goal follows", _grow_northwind, "northwind"),
        Step("Contoso signs after 41 days: done, labelled kr:GTM-1.3", "one task, two KRs: GTM-1.3 averages the sales cycle", _win_contoso, "contoso"),
        Step("Platform checks in p95 latency: 620 ms", "ENG-2.2 is a decreasing metric: lower is better", _check_in_latency, None),
        Step("“Demo workspace with sample data” is done", "GTM-1.1: one more task done", _finish_demo_workspace, "demo-workspace"),
    )  # fmt: skip


async def _label_passwordless(stage: Stage) -> None:
    await stage.change("passwordless", lambda tracker: tracker.add_label("passwordless", "kr:ENG-1.1"))


async def _start_setup_wizard(stage: Stage) -> None:
    await stage.change("setup-wizard", lambda tracker: tracker.set_state("setup-wizard", "in_progress"))


async def _finish_signup_validation(stage: Stage) -> None:
    await stage.change("signup-validation", lambda tracker: tracker.set_state("signup-validation", "done"))


async def _start_battlecards(stage: Stage) -> None:
    await stage.change("battlecards", lambda tracker: tracker.set_state("battlecards", "in_progress"))


async def _check_in_activation(stage: Stage) -> None:
    await stage.check_in("ENG-1.3", 47, "weekly product analytics")


async def _drop_setup_migration(stage: Stage) -> None:
    await stage.change("setup-migration", lambda tracker: tracker.set_state("setup-migration", "dropped"))


async def _mistype_kr(stage: Stage) -> None:
    await stage.change("csv-crash", lambda tracker: tracker.add_label("csv-crash", "kr:ENG-21"))


async def _fix_kr(stage: Stage) -> None:
    await stage.change("csv-crash", lambda tracker: tracker.remove_label("csv-crash", "kr:ENG-21"))
    await stage.change("csv-crash", lambda tracker: tracker.add_label("csv-crash", "kr:ENG-2.1"))


async def _close_with_lost_webhook(stage: Stage) -> None:
    def lose_then_close(tracker: SandboxTracker) -> None:
        tracker.lose_next_webhook()
        tracker.set_state("csv-crash", "done")

    await stage.change("csv-crash", lose_then_close)


async def _grow_northwind(stage: Stage) -> None:
    await stage.change("northwind", lambda tracker: tracker.set_number("northwind", PIPELINE_FIELD, 120))


async def _win_contoso(stage: Stage) -> None:
    def win(tracker: SandboxTracker) -> None:
        tracker.add_label("contoso", "kr:GTM-1.3")
        tracker.set_number("contoso", CYCLE_DAYS_FIELD, 41)
        tracker.set_state("contoso", "done")

    await stage.change("contoso", win)


async def _check_in_latency(stage: Stage) -> None:
    await stage.check_in("ENG-2.2", 620, "p95 over the last 7 days")


async def _finish_demo_workspace(stage: Stage) -> None:
    await stage.change("demo-workspace", lambda tracker: tracker.set_state("demo-workspace", "done"))


def _typo_comment(world: SandboxWorld) -> str:
    tracker = world.holder("csv-crash").tracker
    return "".join(tracker.syncd_comments(tracker.external_id("csv-crash")))


def _warns_about_typo(world: SandboxWorld) -> bool:
    return "ENG-21" in _typo_comment(world)


def _typo_gone(world: SandboxWorld) -> bool:
    comment = _typo_comment(world)
    return "ENG-2.1" in comment and "ENG-21" not in comment


def _webhook_was_lost(world: SandboxWorld) -> bool:
    return world.holder("csv-crash").tracker.lost_webhook()


@dataclass(frozen=True)
class StepResult:
    """How a played step went: whether syncd caught up before the deadline, and how long that took."""

    step: Step
    seconds: float
    caught_up: bool


class StoryListener(Protocol):
    """Told when steps start and end (the display)."""

    def step_started(self, index: int, step: Step) -> None:
        """Step `index` (0-based) is being played."""
        ...

    def step_finished(self, index: int, result: StepResult) -> None:
        """Step `index` is done (or gave up waiting)."""
        ...


#: Waits until syncd caught up (and `expect` holds) or `timeout` passes; True when it did.
CatchUp = Callable[[Callable[[SandboxWorld], bool] | None, float], Awaitable[bool]]


@dataclass
class StoryPlayer:
    """Plays steps in order at a speed (None: as fast as syncd catches up)."""

    stage: Stage
    steps: Sequence[Step]
    catch_up: CatchUp
    listener: StoryListener
    speed: float | None = 1.0
    step_timeout: float = 30.0

    async def play(self) -> list[StepResult]:
        """Play every step; a step syncd does not catch up with is reported and the story goes on."""
        results = []
        for index, step in enumerate(self.steps):
            self.listener.step_started(index, step)
            started = time.monotonic()
            await step.act(self.stage)
            caught_up = await self.catch_up(step.expect, self.step_timeout)
            result = StepResult(step, time.monotonic() - started, caught_up)
            self.listener.step_finished(index, result)
            results.append(result)
            if self.speed is not None and index < len(self.steps) - 1:
                await asyncio.sleep(PAUSE / self.speed)  # a pause for the person watching, not a wait for syncd
        return results
