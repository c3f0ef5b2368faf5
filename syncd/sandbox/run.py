"""`run_sandbox`: the whole first run, as a library call (the CLI and the end-to-end test use it).

Sets up the world (simulators, seed, files, prepared store), records the seeded check-ins, then runs
one event loop with the real daemon (all roles, the same `Daemon` as `syncd run`) and, beside it, the
sandbox's flow: wait for the web server, install the webhooks through the adapters (over REST, or
with a handshake the daemon answers, as each tracker does it), wait for the first sync, play
the story, and with `exit_when_done` wait until syncd caught up and stop the daemon gracefully.
Ctrl-C (SIGINT, handled by the daemon) stops everything cleanly at any point.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from rich.console import Console

from syncd.core.errors import SyncdError
from syncd.logs import configure_logging
from syncd.sandbox.config import SandboxPaths, display_path, new_secrets
from syncd.sandbox.convergence import Check, Probe
from syncd.sandbox.display import PlainDisplay
from syncd.sandbox.okr_store import quantive_secrets
from syncd.sandbox.story import Stage, StepResult, StoryPlayer, acme_story, record_check_in
from syncd.sandbox.world import SandboxError, SandboxWorld, fresh_store

#: How often the sandbox looks at the store and the trackers while waiting for syncd.
LOOK_EVERY = 0.2
#: How often a live display is redrawn.
REDRAW_EVERY = 0.5


@dataclass(frozen=True)
class SandboxOptions:
    """How to run the sandbox; `speed=None` plays the story as fast as syncd catches up (`--speed max`)."""

    directory: Path = Path("syncd-sandbox")
    port: int = 0
    speed: float | None = 1.0
    story: bool = True
    exit_when_done: bool = False
    #: How long one step (or the first sync, or the final check) may take to catch up.
    catch_up_timeout: float = 30.0
    today: date | None = None


@dataclass
class SandboxOutcome:
    """How the run ended. `world` stays readable after the run (the simulators keep their final state)."""

    world: SandboxWorld
    steps: list[StepResult] = field(default_factory=list)
    final: Check | None = None
    interrupted: bool = False
    daemon_exit: int = 0
    problem: str | None = None

    @property
    def converged(self) -> bool:
        """Whether the last look found syncd caught up."""
        return self.final is not None and self.final.converged

    @property
    def exit_code(self) -> int:
        """0 after a clean run (or Ctrl-C); 1 when the daemon failed or syncd did not catch up."""
        return 1 if self.problem is not None or self.daemon_exit != 0 else 0


def run_sandbox(options: SandboxOptions, display: PlainDisplay | None = None) -> SandboxOutcome:
    """Run the sandbox until the story is done and syncd caught up (`exit_when_done`) or Ctrl-C; show it on
    `display` (default: nothing shown). Raises `SandboxError` when it cannot start (another sandbox uses
    the directory, a busy port) and `StoreError` when its store cannot be prepared."""
    display = display or PlainDisplay(Console(quiet=True))
    paths = SandboxPaths(options.directory.absolute())
    fresh_store(paths)
    credentials = {**new_secrets(), **quantive_secrets()}
    with paths.log.open("w", encoding="utf-8") as stream, _quiet("httpx"):
        configure_logging(level="info", json=True, secrets=credentials.values(), stream=stream)
        try:
            world = SandboxWorld.start(paths, credentials, port=options.port, today=options.today)
            try:
                for seeded in world.company.checkins:
                    world.checkins.append(record_check_in(world, seeded.kr_id, seeded.value, seeded.note))
                return asyncio.run(_serve(world, options, display))
            finally:
                world.close()
        finally:
            configure_logging(level="warning")


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Keep a chatty library logger (httpx logs every simulator webhook at info) at warning for a while."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(before)


async def _serve(world: SandboxWorld, options: SandboxOptions, display: PlainDisplay) -> SandboxOutcome:
    """The daemon and the sandbox's flow side by side; whichever ends first decides what happens next."""
    daemon = world.daemon()
    outcome = SandboxOutcome(world)
    watcher = Watcher(world, display)
    serving = asyncio.create_task(daemon.run(), name="daemon")
    flow = asyncio.create_task(SandboxFlow(world, options, watcher, outcome).run(serving), name="sandbox")
    await asyncio.wait({serving, flow}, return_when=asyncio.FIRST_COMPLETED)
    if flow.done():
        daemon.stop.set()
    else:
        outcome.interrupted = not daemon.failed
        flow.cancel()
    outcome.daemon_exit = await serving
    with contextlib.suppress(asyncio.CancelledError):
        await flow
    outcome.final = outcome.final or watcher.last
    if outcome.daemon_exit != 0:
        outcome.problem = f"the daemon stopped with an error; see {display_path(world.paths.log)}"
    display.outro(outcome.final)
    return outcome


class SandboxFlow:
    """What the sandbox does beside the daemon: wire webhooks, first sync, story, then stop or keep watching."""

    def __init__(self, world: SandboxWorld, options: SandboxOptions, watcher: Watcher, outcome: SandboxOutcome) -> None:
        self.world = world
        self.options = options
        self.watcher = watcher
        self.display = watcher.display
        self.outcome = outcome
        self.steps = acme_story() if options.story else ()

    async def run(self, serving: asyncio.Task[int]) -> None:
        """Each stage in turn; a stage that fails records the problem and ends the flow."""
        self.display.intro(self.world, self.steps)
        for line in self.world.left_out:
            self.display.note(line)
        if await _until_serving(self.world, serving) and await self.wire() and await self.first_sync():
            await self.play()
            if self.options.exit_when_done:
                await self.finish()
            else:
                self.display.note(
                    "the story is over; syncd keeps running: change things in the simulators, or Ctrl-C to stop"
                )
                await self.watcher.keep_looking()

    async def wire(self) -> bool:
        """Install every source's webhooks pointing at the daemon."""
        try:
            actions = await asyncio.to_thread(self.world.install_webhooks)
        except SyncdError as error:
            self.outcome.problem = f"installing the webhooks failed: {error}"
            return False
        self.display.note(f"webhooks installed: {', '.join(f'{a.target} ({a.action})' for a in actions)}")
        return True

    async def first_sync(self) -> bool:
        """Wait for the backfill: every task mirrored, every comment and field written."""
        started = time.monotonic()
        if not await self.watcher.caught_up(None, self.options.catch_up_timeout):
            self.outcome.problem = f"the first sync did not catch up within {self.options.catch_up_timeout:g}s"
            return False
        self.display.note(f"first sync done in {time.monotonic() - started:.1f}s: comments and fields written")
        return True

    async def play(self) -> None:
        """The story; steps syncd did not catch up with are a problem (the story still goes on)."""
        stage = Stage(self.world)
        timeout = self.options.catch_up_timeout
        player = StoryPlayer(stage, self.steps, self.watcher.caught_up, self.display, self.options.speed, timeout)
        self.outcome.steps = await player.play()
        missed = [result.step.title for result in self.outcome.steps if not result.caught_up]
        if missed:
            self.outcome.problem = f"syncd did not catch up with: {'; '.join(missed)}"

    async def finish(self) -> None:
        """One last wait for syncd to catch up, keeping the look it ends with."""
        if await self.watcher.caught_up(None, self.options.catch_up_timeout):
            self.display.note("the story is over and syncd is caught up")
        else:
            self.outcome.problem = self.outcome.problem or "syncd did not catch up at the end of the story"
        self.outcome.final = self.watcher.last


async def _until_serving(world: SandboxWorld, serving: asyncio.Task[int], within: float = 30.0) -> bool:
    """Wait until the daemon answers /healthz (it must, before a webhook handshake can reach it); False
    when the daemon stopped first (`_serve` reports why)."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=1.0) as client:
        while not serving.done():
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{world.endpoints.daemon_url}/healthz")).status_code == 200:
                    return True
            if time.monotonic() > deadline:
                raise SandboxError(f"the daemon did not answer on {world.endpoints.daemon_url} within {within:g}s")
            await asyncio.sleep(LOOK_EVERY)
    return False


class Watcher:
    """Looks at the store and the trackers (in a thread) and shows each look on the display."""

    def __init__(self, world: SandboxWorld, display: PlainDisplay) -> None:
        self.world = world
        self.display = display
        self.probe = Probe(world.config, world.prepared.runtime.engine, world.sources, lambda: tuple(world.checkins))
        self.last: Check | None = None

    async def look(self) -> Check:
        """One look, shown."""
        self.last = await asyncio.to_thread(self.probe.check, datetime.now(UTC))
        self.display.show(self.last)
        return self.last

    async def caught_up(self, expect: Callable[[SandboxWorld], bool] | None, within: float) -> bool:
        """True once two looks in a row find syncd caught up (and `expect` holding); False after `within` s."""
        deadline, streak = time.monotonic() + within, 0
        while True:
            check = await self.look()
            streak = streak + 1 if check.converged and (expect is None or expect(self.world)) else 0
            if streak >= 2:
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(LOOK_EVERY)

    async def keep_looking(self) -> None:
        """Redraw until cancelled (Ctrl-C)."""
        while True:
            await self.look()
            await asyncio.sleep(REDRAW_EVERY)
