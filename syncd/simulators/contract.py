"""What every tracker's simulator offers the contract suite (`tests/contract/`): `SimulatedTracker`.

A tracker's simulator package implements it as a thin driver over its own simulator (GitHub's in
`syncd.simulators.github.contract`); its descriptor names the factory (`contract_simulator`), so the
suite reaches every tracker through the registry and never names one. The driver plays the people and
the tracker: it makes tasks in each state, labels them, injects faults and shows what syncd wrote. It
knows nothing of syncd's adapters (a simulator imports none); the suite drives the real adapter with
the source entry the driver hands out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from syncd.simulators.kit.fault_knobs import FaultKnobs

#: The task states the suite walks through: syncd's four, and two ways of leaving the followed container.
ContractState = Literal["open", "in_progress", "done", "dropped", "deleted", "moved_away"]
#: Everything a driver may declare it cannot express, each with its reason (`unsupported`).
Feature = Literal[ContractState, "field_write", "label_rename", "webhooks"]


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook delivery as it travels: the full target URL (with its query), the headers (lower-cased names)
    and the raw body."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class SentDelivery(WebhookRequest):
    """A delivery the simulator sent to a webhook of syncd's, and the status syncd answered (None: no answer)."""

    status: int | None = None


@dataclass(frozen=True)
class TrackerRequest:
    """One API request the simulator answered: when it arrived (`time.monotonic()`), what, and the status."""

    at: float
    method: str
    path: str
    status: int


@dataclass(frozen=True)
class TrackerComment:
    """A comment on a task as people see it: its id and its plain text (markup removed as the tracker shows it)."""

    id: str
    text: str


@dataclass(frozen=True)
class ContractTask:
    """A task the driver made, by the external id syncd's mirror keys it by (`acme/web#12`, a gid)."""

    external_id: str


class KnobFaults:
    """`throttle`, `fail` and `clear_faults` of a driver whose simulator's fault knobs are the kit's `FaultKnobs`
    (every simulator built on the kit): a driver names them through `knobs`."""

    @property
    def knobs(self) -> FaultKnobs:
        """The simulator's fault knobs."""
        raise TypeError(f"{type(self).__name__} must name its simulator's fault knobs (`knobs`)")

    def throttle(self, requests: int, *, retry_after: float) -> None:
        """429 with Retry-After on the next `requests` API requests."""
        self.knobs.rate_limit(requests, retry_after=retry_after)

    def fail(self, requests: int, *, status: int = 502) -> None:
        """A 5xx on the next `requests` API requests."""
        self.knobs.server_error(requests, status=status)

    def clear_faults(self) -> None:
        """Every fault rule off."""
        self.knobs.clear()


class SimulatedTracker(Protocol):
    """A running simulated tracker, driven the way the contract suite needs (see the module docstring)."""

    #: The config `kind:` of the tracker simulated.
    kind: str
    #: How many tasks the real client asks for in one page of a listing (the suite tests the boundary).
    page_size: int

    def start(self) -> str:
        """Serve on a loopback port; returns the API root a source's `base_url` points at."""
        ...

    def stop(self) -> None:
        """Stop serving and delivering."""
        ...

    def next_moment(self) -> None:
        """Make a change made from now on stamped later than every change so far (a tracker that stamps whole
        seconds moves on to the next one), as people's changes come: not in the instant syncd last read."""
        ...

    def unsupported(self, feature: Feature) -> str | None:
        """Why this tracker cannot express `feature` (the suite skips with this reason), or None."""
        ...

    def source_config(self, name: str, *, field_write: bool = False) -> dict[str, Any]:
        """A config `sources[]` entry named `name` on this simulator (literal fake credentials, a webhook
        secret where the tracker signs with one), writing progress to a field when `field_write`."""
        ...

    # -- what people do ---------------------------------------------------------------------------
    def create_task(self, title: str, *, labels: Sequence[str] = (), state: ContractState = "open") -> ContractTask:
        """A task in the followed container, carrying `labels` (tags), in `state` (open, in progress, done,
        dropped)."""
        ...

    def seed_tasks(self, count: int, *, labels: Sequence[str] = ()) -> list[ContractTask]:
        """`count` open tasks at once (no webhooks needed: the suite lists them), in creation order."""
        ...

    def set_state(self, task: ContractTask, state: ContractState) -> None:
        """Move a task to `state`: also deleted, or moved out of every container the source follows."""
        ...

    def add_label(self, task: ContractTask, label: str) -> None:
        """Put a label (tag) on a task."""
        ...

    def remove_label(self, task: ContractTask, label: str) -> None:
        """Take a label (tag) off a task."""
        ...

    def rename_label(self, old: str, new: str) -> None:
        """Rename a label (tag) everywhere, as an admin of the tracker does."""
        ...

    # -- what syncd wrote -------------------------------------------------------------------------
    def comments(self, task: ContractTask) -> list[TrackerComment]:
        """Every comment on the task, oldest first."""
        ...

    def field_value(self, task: ContractTask) -> float | str | None:
        """The progress field's value on the task (set up by `source_config(field_write=True)`)."""
        ...

    # -- faults and the request log ---------------------------------------------------------------
    def throttle(self, requests: int, *, retry_after: float) -> None:
        """Answer the next `requests` API requests 429 with `Retry-After: retry_after` seconds."""
        ...

    def fail(self, requests: int, *, status: int = 502) -> None:
        """Answer the next `requests` API requests with a server error."""
        ...

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        ...

    def requests(self) -> list[TrackerRequest]:
        """Every API request answered so far, in arrival order."""
        ...

    def listing_requests(self) -> int:
        """How many page requests of a full listing of the followed container were answered so far."""
        ...

    # -- webhooks ---------------------------------------------------------------------------------
    def flush_webhooks(self) -> None:
        """Send every queued delivery now and wait until each is answered."""
        ...

    def deliveries(self) -> list[SentDelivery]:
        """Every delivery sent to syncd's webhooks so far (handshakes excluded), with its signed headers."""
        ...

    def unknown_delivery(self) -> WebhookRequest:
        """A delivery signed as the tracker signs, to the same target, of an event syncd does not use."""
        ...


#: The `contract_simulator` factory a descriptor names: a new, not yet started, driver.
SimulatedTrackerFactory = Callable[[], SimulatedTracker]
