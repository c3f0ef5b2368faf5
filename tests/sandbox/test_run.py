"""The sandbox's flow says, before anything else, which registered trackers it left out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from syncd.sandbox.run import SandboxFlow, SandboxOptions


class Screen:
    """A display that remembers what it was told."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def intro(self, _world: Any, steps: Sequence[Any]) -> None:
        self.lines.append(f"intro ({len(steps)} steps)")

    def note(self, message: str) -> None:
        self.lines.append(message)


async def _stopped() -> int:
    return 1


def _flow_with(left_out: tuple[str, ...]) -> list[str]:
    screen = Screen()
    world: Any = SimpleNamespace(left_out=left_out)
    flow = SandboxFlow(world, SandboxOptions(story=False), SimpleNamespace(display=screen), None)  # type: ignore[arg-type]

    async def run() -> None:
        serving = asyncio.create_task(_stopped())
        await serving  # the daemon stopped at once: the flow ends after its first lines
        await flow.run(serving)

    asyncio.run(run())
    return screen.lines


class TestLeftOutTrackers:
    """A registered tracker without a sandbox part is named in one line, right after the introduction."""

    def test_each_left_out_tracker_gets_one_line(self) -> None:
        """One line per tracker left out, and nothing more."""
        line = "Jira is left out of the sandbox: its tracker names no sandbox part"
        assert _flow_with((line,)) == ["intro (0 steps)", line]

    def test_no_line_when_every_tracker_takes_part(self) -> None:
        """With every tracker in, only the introduction."""
        assert _flow_with(()) == ["intro (0 steps)"]
