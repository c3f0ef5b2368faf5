"""What every tracker's simulator offers `syncd sandbox`: `SandboxTracker`, and the company it seeds.

The sandbox spreads its seeded company over every registered tracker and plays its story through this
protocol alone, so a new tracker shows up in `syncd sandbox` by naming its part in its descriptor
(`TrackerDescriptor.sandbox`). A tracker's simulator package implements it (GitHub's in
`syncd.simulators.github.sandbox`): it seeds its share of the company in its own terms (repositories
and labels, projects and sections), hands out its config entry, makes the story's changes as people
would, and shows what syncd wrote. Like the contract driver it knows nothing of syncd's adapters; the
sandbox reads the task records it hands out with the adapter's own normalizer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

#: A seeded task's state in syncd's words; each tracker says it its own way (a label, a section, a merge).
SeedState = Literal["open", "in_progress", "done", "dropped"]


@dataclass(frozen=True)
class SeedItem:
    """One task of the seeded company, in no tracker's terms: its labels (`kr:`, `points:`), state, numbers."""

    title: str
    labels: tuple[str, ...] = ()
    state: SeedState = "open"
    #: Number fields by name (trackers that hold no number fields get no item that has some).
    numbers: Mapping[str, float] = field(default_factory=dict)
    #: The team whose work it is (`web`, `api`, `sales`): a repository, a project, as the tracker groups work.
    team: str = ""
    #: A code change under review: a pull request where the tracker has them, a task elsewhere.
    change: bool = False
    #: The story's name for it, when the story changes it later.
    key: str | None = None


@dataclass(frozen=True)
class SeedGoal:
    """A KR that trackers with goals also track as one (Asana goals), with its target."""

    kr_id: str
    name: str
    target: float


@dataclass(frozen=True)
class SeedCompany:
    """What every tracker's share has in common: the company's name, its number fields, its goal."""

    name: str
    number_fields: tuple[str, ...]
    goal: SeedGoal | None = None


class SandboxTracker(Protocol):
    """A simulated tracker as `syncd sandbox` seeds, configures, changes and reads it (module docstring)."""

    #: The config `kind:` of the tracker simulated.
    kind: str
    #: The tracker's name for people ("GitHub").
    title: str
    #: Whether its tasks carry number fields (`measure: metric` with `aggregate: sum|avg` reads them).
    holds_numbers: bool
    #: Whether syncd writes each task's progress into a field there too (checked beside the comment).
    writes_progress_field: bool

    def secret_names(self) -> tuple[str, ...]:
        """The environment variables its config entry refers to (tokens, webhook secrets), in file order."""
        ...

    def start(self, credentials: Mapping[str, str]) -> str:
        """Serve on a loopback port accepting `credentials` (by `secret_names`); returns its API root."""
        ...

    def stop(self) -> None:
        """Stop serving and delivering."""
        ...

    def seed(self, company: SeedCompany, items: Sequence[SeedItem]) -> None:
        """Create its share of the company (works before `start`: the simulator's Python API needs no server)."""
        ...

    def after_seed(self) -> None:
        """Start whatever runs while the sandbox runs (background webhook delivery), once seeded and served."""
        ...

    def source_config(self, name: str, api_root: str, poll_interval: str) -> dict[str, Any]:
        """Its `sources[]` entry named `name`, secrets as `${ENV}` references to `secret_names`."""
        ...

    def config_note(self) -> str:
        """A clause for the generated config's header on how its settings differ from real use ("" for none)."""
        ...

    # -- where to look ---------------------------------------------------------------------------
    def web_root(self) -> str:
        """The served simulator's web root (after `start`)."""
        ...

    def story_keys(self) -> tuple[str, ...]:
        """The story keys of the seeded items it holds."""
        ...

    def page(self, key: str | None = None) -> str:
        """The simulator's plain-text page of a keyed item (None: of its first seeded item)."""
        ...

    def external_id(self, key: str) -> str:
        """The mirror's external id of a keyed item (`acme/web#12`, a gid)."""
        ...

    # -- what people do ---------------------------------------------------------------------------
    def settle(self, key: str) -> float:
        """Seconds to wait before changing a keyed item, so the change is stamped later than its last one
        (a tracker that stamps whole seconds); 0 when none."""
        ...

    def set_state(self, key: str, state: SeedState) -> None:
        """Move a keyed item to `state`, as a person would (label or section, merge, close)."""
        ...

    def add_label(self, key: str, label: str) -> None:
        """Put a label (tag) on a keyed item."""
        ...

    def remove_label(self, key: str, label: str) -> None:
        """Take a label (tag) off a keyed item."""
        ...

    def set_number(self, key: str, name: str, value: float) -> None:
        """Set a number field of a keyed item."""
        ...

    def lose_next_webhook(self) -> None:
        """The simulated network drops the next delivery."""
        ...

    def lost_webhook(self) -> bool:
        """Whether a delivery has been dropped."""
        ...

    # -- what the tracker shows ---------------------------------------------------------------------
    def task_records(self, source: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Every live task the config entry `source` follows, as its API serves one task (what the
        adapter's normalizer reads)."""
        ...

    def syncd_comments(self, external_id: str) -> list[str]:
        """The bodies of syncd's comments on a task (in the tracker's markup), oldest first."""
        ...

    def progress_field(self, external_id: str) -> float | None:
        """The task's progress field (a fraction: 0.67 for 67%), or None when unset."""
        ...

    def idle(self) -> bool:
        """True when no webhook waits to be sent."""
        ...


#: The factory a descriptor's `SandboxPart.tracker` names: a new, not yet started, sandbox tracker.
SandboxTrackerFactory = Callable[[], SandboxTracker]
