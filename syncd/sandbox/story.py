"""The sandbox's short story: people label, start, merge, drop and finish tasks; a KR id is mistyped and
fixed; metrics are checked in; a webhook is lost and the poll repairs it.

Each `Step` changes the trackers through the simulators (as a person would in the tracker's UI) and
names the page to watch. `StoryPlayer` plays them in order: act, wait until syncd has caught up (a
condition, never a fixed sleep), then pause `PAUSE / speed` seconds so a person can look (no pause at
`--speed max`). GitHub keeps whole-second `updated_at`, so two changes to one issue are made in two
different seconds: otherwise the second would look no newer than the first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from syncd.core.model import CheckIn
from syncd.runtime.checkins import CheckIns
from syncd.sandbox.company import CYCLE_DAYS_FIELD, IN_PROGRESS_SECTION, PIPELINE_FIELD
from syncd.sandbox.world import SandboxWorld

#: Seconds between steps at `--speed 1`.
PAUSE = 3.0


class Stage:
    """What a step may do: change issues and tasks, check in a metric, lose a webhook."""

    def __init__(self, world: SandboxWorld) -> None:
        self.world = world

    async def issue(self, key: str, change: Callable[[str, int], None]) -> None:
        """Apply `change(repo, number)` to a seeded issue, in a second later than its last change."""
        repo, number = self.world.ids.issue(key)
        fresh = self.world.github.raw_issue(repo, number).updated_at + timedelta(seconds=1)
        wait = (fresh - datetime.now(UTC)).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)  # until the issue's next whole second, not a guess at syncd's speed
        change(repo, number)

    def task(self, key: str) -> str:
        """The gid of a seeded Asana task."""
        return self.world.ids.task(key)

    async def check_in(self, kr_id: str, value: float, note: str) -> None:
        """Report a metric's value, as `syncd checkin` does."""
        recorded = await asyncio.to_thread(record_check_in, self.world, kr_id, value, note)
        self.world.checkins.append(recorded)

    def lose_next_github_webhook(self) -> None:
        """The simulated network drops the next GitHub delivery."""
        self.world.github.drop_deliveries(1)


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
    """The story played on the seeded company (keys name seeded issues and tasks)."""
    return (
        Step("Maya labels “Password-less sign-in” kr:ENG-1.1", "ENG-1.1 gains a task: every ENG-1.1 comment is edited", _label_passwordless, "passwordless"),
        Step("Work starts on “Setup wizard API” (5 points): label in progress", "ENG-1.2 credits half of its points", _start_setup_wizard, "setup-wizard"),
        Step("Pull request “Signup form validation” is merged", "ENG-1.1: one more task done", _merge_signup_validation, "signup-validation"),
        Step("Priya moves “Competitive battlecards” to Doing", "GTM-1.1 credits half a task; the Asana progress field follows", _start_battlecards, "battlecards"),
        Step("Product checks in week-1 activation: 47%", "ENG-1.3 (a metric from check-ins) moves", _check_in_activation, None),
        Step("“Migrate setup to the v1 API” is closed as not planned", "dropped: it leaves ENG-1.2's numerator and denominator", _drop_setup_migration, "setup-migration"),
        Step("Sam labels “Crash when exporting a large CSV” kr:ENG-21 (a typo)", "the comment warns: no key result ENG-21, did you mean ENG-2.1?", _mistype_kr, "csv-crash", expect=_warns_about_typo),
        Step("Sam fixes the label: kr:ENG-2.1", "the warning goes; the bug counts towards ENG-2.1", _fix_kr, "csv-crash", expect=_typo_gone),
        Step("The CSV crash is fixed and closed, but its webhook is lost", "no webhook: the next poll (every few seconds) repairs ENG-2.1", _close_with_lost_webhook, "csv-crash", expect=_webhook_was_lost),
        Step("Northwind Logistics grows to 120 k$ of pipeline", "GTM-1.2 sums the field; the Asana goal follows", _grow_northwind, "northwind"),
        Step("Contoso signs after 41 days: completed, tagged kr:GTM-1.3", "one task, two KRs: GTM-1.3 averages the sales cycle", _win_contoso, "contoso"),
        Step("Platform checks in p95 latency: 620 ms", "ENG-2.2 is a decreasing metric: lower is better", _check_in_latency, None),
        Step("“Demo workspace with sample data” is done", "GTM-1.1: one more task done", _finish_demo_workspace, "demo-workspace"),
    )  # fmt: skip


async def _label_passwordless(stage: Stage) -> None:
    await stage.issue("passwordless", lambda repo, n: stage.world.github.add_label(repo, n, "kr:ENG-1.1"))


async def _start_setup_wizard(stage: Stage) -> None:
    await stage.issue("setup-wizard", lambda repo, n: stage.world.github.add_label(repo, n, "in progress"))


async def _merge_signup_validation(stage: Stage) -> None:
    await stage.issue("signup-validation", stage.world.github.merge_pull_request)


async def _start_battlecards(stage: Stage) -> None:
    asana, gid = stage.world.asana, stage.task("battlecards")
    asana.move_to_section(gid, asana.section(stage.world.ids.project, IN_PROGRESS_SECTION).gid)


async def _check_in_activation(stage: Stage) -> None:
    await stage.check_in("ENG-1.3", 47, "weekly product analytics")


async def _drop_setup_migration(stage: Stage) -> None:
    await stage.issue("setup-migration", lambda repo, n: stage.world.github.close_issue(repo, n, "not_planned"))


async def _mistype_kr(stage: Stage) -> None:
    await stage.issue("csv-crash", lambda repo, n: stage.world.github.add_label(repo, n, "kr:ENG-21"))


async def _fix_kr(stage: Stage) -> None:
    await stage.issue("csv-crash", lambda repo, n: stage.world.github.remove_label(repo, n, "kr:ENG-21"))
    await stage.issue("csv-crash", lambda repo, n: stage.world.github.add_label(repo, n, "kr:ENG-2.1"))


async def _close_with_lost_webhook(stage: Stage) -> None:
    def lose_then_close(repo: str, number: int) -> None:
        stage.lose_next_github_webhook()
        stage.world.github.close_issue(repo, number, "completed")

    await stage.issue("csv-crash", lose_then_close)


async def _grow_northwind(stage: Stage) -> None:
    stage.world.asana.set_custom_field(stage.task("northwind"), PIPELINE_FIELD, 120)


async def _win_contoso(stage: Stage) -> None:
    asana, gid = stage.world.asana, stage.task("contoso")
    asana.add_tag(gid, "kr:GTM-1.3")
    asana.set_custom_field(gid, CYCLE_DAYS_FIELD, 41)
    asana.complete_task(gid)


async def _check_in_latency(stage: Stage) -> None:
    await stage.check_in("ENG-2.2", 620, "p95 over the last 7 days")


async def _finish_demo_workspace(stage: Stage) -> None:
    stage.world.asana.complete_task(stage.task("demo-workspace"))


def _typo_comment(world: SandboxWorld) -> str:
    repo, number = world.ids.issue("csv-crash")
    return "".join(c.body for c in world.github.comments(repo, number))


def _warns_about_typo(world: SandboxWorld) -> bool:
    return "ENG-21" in _typo_comment(world)


def _typo_gone(world: SandboxWorld) -> bool:
    comment = _typo_comment(world)
    return "ENG-2.1" in comment and "ENG-21" not in comment


def _webhook_was_lost(world: SandboxWorld) -> bool:
    return any(d.dropped and d.action == "closed" for d in world.github.deliveries)


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
