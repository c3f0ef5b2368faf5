"""What the person running `syncd sandbox` sees: where to look, the story's steps, the OKRs moving.

On a terminal, `LiveDisplay` redraws (rich `Live`) a progress bar per KR, grouped by objective, the
story with the current step, what syncd is still catching up with, and where to look. Elsewhere
(a pipe, a CI log) `PlainDisplay` prints one line per event and, at the end, the same tables as
`syncd status`. Both read only what `syncd.sandbox.convergence.Probe` already read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from syncd.console.status import STATUS_STYLES, print_report
from syncd.core.render import whole_percent
from syncd.sandbox.config import display_path
from syncd.sandbox.convergence import Check
from syncd.sandbox.story import Step, StepResult
from syncd.sandbox.world import SandboxWorld
from syncd.store.status_query import ObjectiveStatus


@dataclass(frozen=True)
class Pointer:
    """One line of "where to look": what, and the command or address."""

    what: str
    where: str


def where_to_look(world: SandboxWorld) -> list[Pointer]:
    """The commands, pages and files a newcomer can open while the sandbox runs."""
    env, config = display_path(world.paths.env), display_path(world.paths.config)
    pages = [Pointer(s.title, f"{s.tracker.page()}  (text; add ?format=json for JSON)") for s in world.sources]
    return [
        Pointer("goals", dashboard_link(world)),
        Pointer("status", f". {env} && syncd status -c {config}"),
        *pages,
        Pointer("daemon", f"{world.endpoints.daemon_url}/healthz  /readyz  /metrics"),
        Pointer("log", display_path(world.paths.log)),
        Pointer("config", config),
    ]


def dashboard_link(world: SandboxWorld) -> str:
    """The dashboard's login link: the viewer token rides in the fragment (never sent to the server, nor logged);
    the login page's script fills the form from it and submits."""
    token = world.config.server.viewer_token
    login = f"{world.endpoints.daemon_url}/login"
    return f"{login}#token={token.get_secret_value()}" if token is not None else login


def pointer_lines(world: SandboxWorld) -> list[str]:
    """`where_to_look` as aligned lines."""
    return [f"  {pointer.what:<7} {pointer.where}" for pointer in where_to_look(world)]


def step_page(world: SandboxWorld, step: Step) -> str:
    """The page to watch for a step, or the status command when the step changes no task."""
    return world.page(step.page) if step.page else f"syncd status -c {display_path(world.paths.config)}"


class PlainDisplay:
    """Line-by-line output for pipes and logs."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.steps: Sequence[Step] = ()
        self.world: SandboxWorld | None = None

    def __enter__(self) -> PlainDisplay:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def intro(self, world: SandboxWorld, steps: Sequence[Step]) -> None:
        """Say what runs where."""
        self.world, self.steps = world, steps
        company, cycle = world.company, world.company.cycle
        tasks = len(company.items)
        self.say(f"syncd sandbox: {company.name}, cycle {cycle.id} ({cycle.start} .. {cycle.end}), {tasks} tasks")
        self.say("  " + ", ".join(f"{s.title} simulator {s.tracker.web_root()}" for s in world.sources))
        self.say(f"  daemon {world.endpoints.daemon_url} (all roles), store {display_path(world.paths.store)}")
        for line in pointer_lines(world):
            self.say(line)

    def note(self, message: str) -> None:
        """A one-line event (webhooks installed, first sync done)."""
        self.say(message)

    def step_started(self, index: int, step: Step) -> None:
        """Announce a step."""
        self.say(f"[{index + 1:>2}/{len(self.steps)}] {step.title}")

    def step_finished(self, index: int, result: StepResult) -> None:
        """Say how the step ended and where to look."""
        assert self.world is not None
        outcome = "caught up" if result.caught_up else "NOT caught up"
        self.say(f"        {outcome} in {result.seconds:.1f}s: {result.step.watch}")
        self.say(f"        {step_page(self.world, result.step)}")

    def show(self, check: Check) -> None:
        """Nothing to redraw on a pipe."""

    def outro(self, check: Check | None) -> None:
        """The final status, as `syncd status` prints it."""
        if check is not None:
            print_report(check.report, self.console)

    def say(self, line: str) -> None:
        """Print one plain line."""
        self.console.print(Text(line), soft_wrap=True)


class LiveDisplay(PlainDisplay):
    """A redrawn view for terminals: KR progress bars, the story, what syncd is catching up with."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.check: Check | None = None
        self.current: int | None = None
        self.focus: int | None = None
        self.results: dict[int, StepResult] = {}
        self.notes: list[str] = []
        self.live = Live(console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> LiveDisplay:
        self.live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.live.stop()

    def intro(self, world: SandboxWorld, steps: Sequence[Step]) -> None:
        """Remember what to draw."""
        self.world, self.steps = world, steps
        self.redraw()

    def note(self, message: str) -> None:
        """Keep the latest events under the story."""
        self.notes = [*self.notes, message][-3:]
        self.redraw()

    def step_started(self, index: int, step: Step) -> None:
        """Highlight the step being played."""
        self.current = self.focus = index
        self.redraw()

    def step_finished(self, index: int, result: StepResult) -> None:
        """Tick the step off."""
        self.results[index] = result
        self.current = None
        self.redraw()

    def show(self, check: Check) -> None:
        """Redraw with a fresh look at the store."""
        self.check = check
        self.redraw()

    def outro(self, check: Check | None) -> None:
        """The last frame stays on screen."""
        self.check = check or self.check
        self.redraw()

    def redraw(self) -> None:
        """Render the whole view."""
        self.live.update(self.render(), refresh=True)

    def render(self) -> RenderableType:
        """Header, OKRs, story, catching up, where to look."""
        if self.world is None:
            return Text("starting the simulators and the daemon...")
        parts: list[RenderableType] = [self._header()]
        if self.check is not None:
            parts.append(okr_table(self.check.report.objectives))
        parts += [self._story(), self._catching_up(), Text("\n".join(pointer_lines(self.world)), style="dim")]
        return Group(*parts)

    def _header(self) -> Text:
        assert self.world is not None
        cycle = self.world.company.cycle
        objectives = self.check.report.objectives if self.check is not None else ()
        expected = f" · expected by today {whole_percent(objectives[0].expected)}%" if objectives else ""
        return Text.assemble(
            ("syncd sandbox", "bold"),
            f" · {self.world.company.name} · cycle {cycle.id}{expected} · ",
            ("Ctrl-C stops", "dim"),
        )

    def _story(self) -> Table:
        table = Table.grid(padding=(0, 1))
        for index, step in enumerate(self.steps):
            mark, style = self._mark(index)
            table.add_row(Text(mark, style=style), Text(step.title, style=style))
            if index == self.focus and self.world is not None:
                table.add_row("", Text(f"{step.watch}\n{step_page(self.world, step)}", style="cyan"))
        for message in self.notes:
            table.add_row("", Text(message, style="dim"))
        return table

    def _mark(self, index: int) -> tuple[str, str]:
        if index in self.results:
            return ("✓", "green") if self.results[index].caught_up else ("✗", "red")
        return ("▶", "bold cyan") if index == self.current else ("·", "dim")

    def _catching_up(self) -> Text:
        if self.check is None:
            return Text("waiting for the first look at the store...", style="dim")
        if self.check.converged:
            return Text("syncd is caught up: store, comments and fields match the trackers", style="green")
        return Text("catching up: " + "; ".join(self.check.differences[:3]), style="yellow")


def okr_table(objectives: Sequence[ObjectiveStatus]) -> Table:
    """Every objective (a heading row) with a progress bar per KR, in one table so the columns line up."""
    table = Table(show_header=False, box=None, padding=(0, 1))
    for objective in objectives:
        heading = Text.assemble((objective.id, "bold"), f" {objective.title}")
        table.add_row(heading, "", "", Text(f"{objective.percent:>3}%", style="bold"), "", _status(objective.status))
        for kr in objective.key_results:
            table.add_row(
                Text(f"  {kr.id}", style="bold"),
                Text(kr.title, overflow="ellipsis", no_wrap=True),
                ProgressBar(total=100, completed=kr.percent, width=20),
                Text(f"{kr.percent:>3}%"),
                Text(kr.amount, style="dim", no_wrap=True),
                _status(kr.status),
            )
    return table


def _status(status: str) -> Text:
    return Text(status.replace("_", " "), style=STATUS_STYLES.get(status, ""), no_wrap=True)


def make_display(console: Console) -> PlainDisplay:
    """A live view on a terminal, plain lines elsewhere."""
    return LiveDisplay(console) if console.is_terminal else PlainDisplay(console)
