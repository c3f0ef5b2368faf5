"""`syncd sandbox`: see syncd work end to end in one command, with every registered tracker simulated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from syncd.cli.options import EXIT_PROBLEM
from syncd.core.errors import SyncdError
from syncd.sandbox.config import display_path
from syncd.sandbox.display import make_display
from syncd.sandbox.run import SandboxOptions, SandboxOutcome, run_sandbox

#: Columns of the plain output when it goes to a pipe or a file (the status tables need them).
PIPE_WIDTH = 120


def register(app: typer.Typer) -> None:
    """Add `syncd sandbox` to the app."""
    app.command("sandbox")(sandbox)


def parse_speed(text: str) -> float | None:
    """`--speed`: a positive factor (2 = pauses twice as short), or `max` (no pauses: None)."""
    if text.strip().lower() == "max":
        return None
    try:
        factor = float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number; give a factor such as 0.5, 2 or max") from None
    if not factor > 0:
        raise typer.BadParameter(f"{text!r} is not a positive factor; give a factor such as 0.5, 2 or max")
    return factor


def sandbox(
    speed: Annotated[
        str, typer.Option(help="Story pace: a factor (2 = twice as fast) or max (no pauses, only waits for syncd).")
    ] = "1",
    no_story: Annotated[bool, typer.Option("--no-story", help="Seed and run, but play no story.")] = False,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the config, secrets, store and log go (replaced each run).")
    ] = Path("syncd-sandbox"),
    port: Annotated[int, typer.Option(min=0, max=65535, help="The daemon's port. Default: a free one.")] = 0,
    exit_when_done: Annotated[
        bool, typer.Option("--exit-when-done", help="Stop once the story is over and syncd has caught up.")
    ] = False,
) -> None:
    """Run syncd against simulated trackers (every registered one) seeded with a small company, and play a story.

    Everything runs on this machine (loopback only, no account needed) until Ctrl-C. Exit 0 after a clean
    run or Ctrl-C; 1 when the sandbox cannot start, the daemon fails, or (with --exit-when-done) syncd
    does not catch up with the story.
    """
    options = SandboxOptions(
        directory=directory,
        port=port,
        speed=parse_speed(speed),
        story=not no_story,
        exit_when_done=exit_when_done,
    )
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, PIPE_WIDTH))
    try:
        with make_display(console) as display:
            outcome = run_sandbox(options, display)
    except (SyncdError, OSError) as error:
        _error(f"syncd sandbox: {error}")
        raise typer.Exit(EXIT_PROBLEM) from None
    except KeyboardInterrupt:
        console.print("syncd sandbox: interrupted while starting; everything it started is stopped.")
        raise typer.Exit(130) from None
    _summary(console, outcome)
    raise typer.Exit(outcome.exit_code)


def _summary(console: Console, outcome: SandboxOutcome) -> None:
    """How it ended, and what stays behind."""
    paths = outcome.world.paths
    if outcome.problem is not None:
        _error(f"syncd sandbox: {outcome.problem}")
    elif outcome.interrupted:
        console.print("Stopped (Ctrl-C): daemon stopped gracefully, simulators stopped.")
    else:
        caught = sum(result.caught_up for result in outcome.steps)
        console.print(f"Done: {caught} of {len(outcome.steps)} story steps caught up; syncd matches the trackers.")
    console.print(
        Text(
            f"The store stays in {display_path(paths.store)}: `. {display_path(paths.env)} && "
            f"syncd status -c {display_path(paths.config)}`; the log is {display_path(paths.log)}."
        ),
        soft_wrap=True,
    )


def _error(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(Text(message, style="red"))
