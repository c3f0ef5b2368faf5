"""The contract every tracker adapter implements (one package per tracker under `adapters/`).

Pure parts (webhook intake, delivery interpretation) take bytes and return decisions; I/O parts are
blocking methods that the runtime calls from a bounded thread pool. Failures of I/O parts raise
`syncd.core.errors.Retriable` or `Permanent`, never a library's own exception.

**A progress record per task.** Each linked task carries one progress record: the comment syncd writes on it
(`WriteKind.COMMENT`). The runtime asks for it to be written with the task, the rendered text, the remote id
the last write returned (if any) and whether an earlier write's outcome is unknown; it gives no hint of how
the record is found. The adapter finds the task's record or creates it, then makes its content the text, and
alone decides how a record is found again once its id is lost (a restore, a crash before the id was stored):
a hidden marker in the text (GitHub's HTML comment; Asana's visible `[syncd ...]`), a property on the task
that names the comment (Jira entity properties), or an id the client chose when it created the comment
(Linear). Never a second record, on any tracker: see `SourceAdapter.apply`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from syncd.core.errors import NotFound, Permanent, RateLimited, TrackerError
from syncd.core.model import TaskRef, TaskSnapshot
from syncd.core.pacing import RateLimit
from syncd.core.render import CommentRenderer


@dataclass(frozen=True, slots=True)
class Bookmark:
    """Where the last poll of one partition (a repo, a project) stopped: a timestamp or a sync token."""

    partition: str
    cursor: str | None = None
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class PollResult:
    """One poll of one partition. `complete` means `snapshots` is every task there (full reconciliation):
    mirrored tasks of that partition not in it have left the source. A partition spanning several containers
    (Jira: one search over a source's projects) names them in `containers`; by default the partition is one."""

    partition: str
    snapshots: tuple[TaskSnapshot, ...]
    bookmark: Bookmark
    not_modified: bool = False
    complete: bool = False
    requests: int = 0
    containers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Tasks fetched by id: their snapshots, and the ids the tracker no longer knows (deleted, no access)."""

    snapshots: tuple[TaskSnapshot, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookAccepted:
    """A verified delivery worth storing; `delivery_id` dedupes redeliveries."""

    delivery_id: str
    event: str


@dataclass(frozen=True, slots=True)
class WebhookIgnored:
    """A verified delivery the source does not use: acknowledged and counted, not stored."""

    event: str
    reason: str


@dataclass(frozen=True, slots=True)
class WebhookHandshake:
    """A webhook-creation handshake (Asana): answer 200 with `response_headers`, keep `secret` durably."""

    resource: str
    secret: str
    response_headers: Mapping[str, str] = field(default_factory=dict)
    #: The one-time nonce `syncd webhooks install` put in the target it registered ("" when the URL has none).
    nonce: str = ""


#: Handshake secrets of one source by the resource whose webhook handed them over (Asana project gid -> secret).
BoundSecrets = Mapping[str, str]

WebhookIntake = WebhookAccepted | WebhookIgnored | WebhookHandshake


@dataclass(frozen=True, slots=True)
class DeliveryEffects:
    """What a stored delivery means for the mirror, decided without I/O.

    `snapshots` are full task snapshots (used only if newer than the mirror); `refetch` are ids to fetch
    (compact events); `removed` left the source; `reconcile` are partitions to re-list entirely
    (a renamed label, a newly installed repository)."""

    snapshots: tuple[TaskSnapshot, ...] = ()
    refetch: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reconcile: tuple[str, ...] = ()


class WriteKind(StrEnum):
    """What a push target is (the values are stored in `push_targets.kind` and name the metrics' `kind`)."""

    COMMENT = "comment"  # the task's progress record: one comment per task, found again the tracker's own way
    FIELD = "field"  # a number/percent/text field on the task (Asana custom field, Projects v2 field)
    GOAL = "goal"  # a tracker-side goal metric per KR (Asana goals)
    SUMMARY = "summary"  # a per-KR summary issue/body
    METRIC = "metric"  # a KR's value in an OKR store (Quantive check-in, WorkBoard metric update)
    EVENT = "event"  # one outbound webhook event type for one KR or objective ("<event type>:<id>")


@dataclass(frozen=True, slots=True)
class PushWrite:
    """One write to make: replace the target's content with `text` (progress records, summaries, text fields)
    or `number` (number fields, goal metrics). `remote_id` is what the last write returned, if any.

    A `COMMENT` write is the task's progress record (see the module docstring): it carries the rendered
    text and nothing about how the record is found again; that is the adapter's own business."""

    kind: WriteKind
    key: str  # the task's external id, or the KR id for goals and summaries
    text: str | None = None
    number: float | None = None
    remote_id: str | None = None
    #: An earlier write's outcome is unknown (crash or lost answer): re-read the tracker, do not trust
    #: `remote_id` alone, and make sure exactly one record of the task is left afterwards.
    unknown: bool = False
    #: OKR stores' `wanted` only: the part of the content whose change is worth a write (default: all of it).
    basis: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write left behind: the remote object's id (to edit it in place next time), and whether it
    created that object (after a write of unknown outcome, a create is checked again once it settled)."""

    remote_id: str | None
    created: bool = False


@dataclass(frozen=True, slots=True)
class Budget:
    """Rate-limit budget as last seen: requests left of `limit`, reset time; None when unknown."""

    remaining: int | None = None
    limit: int | None = None
    resets_at: datetime | None = None


class RequestReason(StrEnum):
    """How one tracker request ended, as metrics and `syncd status` count it."""

    OK = "ok"
    RATE_LIMITED = "rate_limited"  # 429, a 403 with the budget spent, a secondary limit
    SERVER_ERROR = "server_error"  # 5xx
    TRANSPORT_ERROR = "transport_error"  # no answer: refused, reset, timed out
    NOT_FOUND = "not_found"  # 404/410: a deleted or moved object, an everyday answer
    CLIENT_ERROR = "client_error"  # other 4xx: credentials, permissions, a bad request

    @property
    def is_trouble(self) -> bool:
        """Whether this outcome says the source is throttled or failing (a 404 is an answer, not trouble)."""
        return self not in (RequestReason.OK, RequestReason.NOT_FOUND)


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    """One request to a tracker as its client saw it: how it ended, its status, the budget it reported."""

    reason: RequestReason
    status: int | None = None
    budget: Budget | None = None
    #: The failure's one-line message (clients never put credentials in it; the runtime redacts it anyway).
    error: str | None = None

    @classmethod
    def failed(cls, error: TrackerError, budget: Budget | None = None) -> RequestOutcome:
        """The outcome of a request that failed with `error` (already mapped by the client)."""
        if isinstance(error, RateLimited):
            reason = RequestReason.RATE_LIMITED
        elif isinstance(error, NotFound):
            reason = RequestReason.NOT_FOUND
        elif isinstance(error, Permanent):
            reason = RequestReason.CLIENT_ERROR
        elif error.status is not None and error.status >= 500:
            reason = RequestReason.SERVER_ERROR
        elif error.status is None:
            reason = RequestReason.TRANSPORT_ERROR
        else:
            reason = RequestReason.CLIENT_ERROR
        return cls(reason, error.status, budget, str(error).splitlines()[0] if str(error) else type(error).__name__)


#: Told of every request a client makes (from the client's threads: it must be quick and thread-safe).
RequestObserver = Callable[[RequestOutcome], None]


def ignore_request(_outcome: RequestOutcome) -> None:
    """The observer of a client nobody watches (tests, one-off commands)."""


@dataclass(frozen=True, slots=True)
class OnlineCheck:
    """One line of `syncd check --online`: what was checked, whether it passed, and what to do if not."""

    source: str
    check: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class WebhookAction:
    """One step of `syncd webhooks install`: created, updated or unchanged, and where."""

    source: str
    target: str  # repo, org or project
    action: str  # "create" | "update" | "unchanged"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CreatedWebhook:
    """A webhook as the tracker's create call answered it: its id, followed resource and target, and the
    handshake secret when the answer repeats it (Asana's `X-Hook-Secret`)."""

    gid: str
    resource: str
    target: str
    secret: str | None = None


class WebhookHandshakes(Protocol):
    """What `syncd webhooks install` lends an adapter whose tracker handshakes: a one-time nonce per webhook
    creation, and the confirmation that turns the handshake's pending secret into the one that verifies."""

    def confirmed(self, resource: str) -> str | None:
        """The id of the webhook whose secret verifies `resource`'s deliveries (None: none confirmed)."""
        ...

    def expect(self, resource: str) -> str:
        """Expect one handshake for a webhook on `resource` about to be created; the nonce its target carries."""
        ...

    def confirm(self, resource: str, created: CreatedWebhook | None) -> bool:
        """After the create call: keep the pending secret if `created` is the webhook it was expected for;
        discard it otherwise (`None`: the create failed). True when a secret was kept."""
        ...


@runtime_checkable
class SourceAdapter(Protocol):
    """One configured tracker connection; built by its package's `build_adapter(config)` factory."""

    @property
    def name(self) -> str:
        """The source's configured name."""
        ...

    @property
    def kind(self) -> str:
        """The tracker kind (`github`, `asana`)."""
        ...

    @property
    def comment_renderer(self) -> CommentRenderer:
        """How its progress records are written (the markup); how they are found again is `apply`'s business."""
        ...

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """Content-write limits the pusher paces this source to (GitHub: 80/min and 500/h)."""
        ...

    @property
    def max_concurrent_writes(self) -> int:
        """Writes in flight at once (GitHub: 1; Asana: up to 15)."""
        ...

    # Pure parts (no I/O): the webhook path calls these.
    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets
    ) -> WebhookIntake:
        """Verify (constant time) then classify a delivery. Headers are lower-cased. `secrets` are this
        source's confirmed handshake secrets by resource (Asana): a delivery verifies only with the secret
        of the resource it is for. Sources with a configured secret use their own.
        Raises `SignatureError` or `MalformedPayload`."""
        ...

    def interpret(self, event: str, body: bytes) -> DeliveryEffects:
        """What a stored delivery means for the mirror. Raises `MalformedPayload`."""
        ...

    # I/O parts (blocking; run in a thread pool by the runtime).
    def partitions(self) -> Sequence[str]:
        """The repos/projects this source polls."""
        ...

    def poll(self, bookmark: Bookmark | None, partition: str, started_at: datetime) -> PollResult:
        """Incremental poll of one partition since `bookmark`, with overlap; never past `started_at`."""
        ...

    def reconcile(self, partition: str, started_at: datetime) -> PollResult:
        """Full listing of one partition (`complete=True`)."""
        ...

    def fetch(self, external_ids: Sequence[str]) -> FetchResult:
        """Fetch tasks by id, batched."""
        ...

    def targets(self, task: TaskSnapshot) -> Sequence[WriteKind]:
        """Which per-task writes this source makes for a linked task (comment, field), per its config."""
        ...

    def goal_ids(self) -> Mapping[str, str]:
        """KR id -> tracker goal id, for KRs whose progress feeds a tracker-side goal."""
        ...

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write. `task` is the task written to (None for per-KR writes: goals, summaries).

        A `COMMENT` write: find or create `task`'s progress record, then update it to `write.text`. Find it by
        `remote_id` when that still names it, else the tracker's own way (a marker, an entity property, a
        client-chosen id); create it only when nothing finds it, and say so (`WriteResult.created`). With
        `write.unknown`, an earlier write may have landed unseen: do not trust `remote_id` alone, and leave
        exactly one record of the task. The runtime makes sure a create after an unknown write is looked at
        again once that earlier write could have landed (another `unknown` write, with the new id)."""
        ...

    def budget(self) -> Budget:
        """The rate-limit budget as last seen."""
        ...

    def check_online(self, public_url: str | None) -> Sequence[OnlineCheck]:
        """Credentials, reachability, webhooks, fields and budget, for `syncd check --online`."""
        ...

    def install_webhooks(
        self, public_url: str, *, dry_run: bool, handshakes: WebhookHandshakes | None = None
    ) -> Sequence[WebhookAction]:
        """Create or update our webhooks (idempotent: one hook per target). A tracker that handshakes
        needs `handshakes` to create one (the runtime's `install_webhooks` passes it)."""
        ...

    def container_names(self, containers: Sequence[str]) -> Mapping[str, str]:
        """People's names of containers whose ids are not names (Asana project gid -> name); reads the tracker.

        Containers that are named already (a GitHub `owner/name`) are left out."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class OkrState:
    """One KR's or objective's computed standing, as the runtime hands it to OKR stores (built from the
    progress book). `expected` moves every day: a store must not let it decide whether to write."""

    subject: str  # "key_result" | "objective"
    id: str
    title: str
    cycle: str
    progress: float  # 0-1
    expected: float  # 0-1
    status: str
    done: float
    total: float
    current: float | None = None
    #: The sources the KR's tasks come from (empty for objectives and metric KRs fed by check-ins).
    sources: tuple[str, ...] = ()
    changed_at: datetime | None = None
    #: The objective a KR belongs to ("" for objectives).
    objective: str = ""
    #: When the runtime computed this standing (an event's moment when nothing earlier says it).
    computed_at: datetime | None = None


@runtime_checkable
class OkrStore(Protocol):
    """One configured OKR store (Quantive, WorkBoard, an outbound webhook) that syncd pushes progress into;
    built by its package's factory from its `okr_stores[]` item. The pusher treats it like a tracker: its
    own lease `push:<name>`, its pace, its targets' status."""

    @property
    def name(self) -> str:
        """The store's configured name (also the `source` of its push targets)."""
        ...

    @property
    def kind(self) -> str:
        """The store kind (`quantive`, `workboard`, `webhook`)."""
        ...

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """Write limits the pusher paces this store to."""
        ...

    @property
    def max_concurrent_writes(self) -> int:
        """Writes in flight at once."""
        ...

    def wanted(self, state: OkrState) -> Sequence[PushWrite]:
        """Pure: the targets this state asks of the store (key, text, number); [] when the store does not take
        it. Equal states give equal writes (the runtime writes only a changed content hash)."""
        ...

    def apply(self, write: PushWrite) -> WriteResult:
        """Make one write (blocking). Raises `Retriable` or `Permanent`."""
        ...

    def check_online(self) -> Sequence[OnlineCheck]:
        """Token accepted, each configured metric exists, for `syncd check --online`."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
