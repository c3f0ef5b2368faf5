"""An in-memory tracker and a `SourceAdapter` over it, with fault injection, for fast worker-side tests.

`FakeTracker` holds tasks (by partition), comments and field values, and logs every call with the
time of the injected clock, so tests can assert what was written and when. `FakeAdapter` implements
the port (`syncd.ports.SourceAdapter`) faithfully: signed deliveries, newer-wins snapshots, polls
with a timestamp bookmark, `Retriable`/`Permanent` failures on demand, and a progress record per task found
again its own way: by a hidden marker in the comment (`records="marker"`, like GitHub), or by a comment id
the client chose when it created the comment (`records="client_id"`, like Linear), whose comments carry no
marker at all and which the tracker refuses to create twice.

Delivery bodies are JSON built by `FakeAdapter.delivery(...)`: event `task.changed` carries a full
snapshot, `task.touched` only an id (a compact event -> refetch), `task.deleted` an id (removed),
`partition.changed` a partition (reconcile); `ping` is verified and ignored.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import NAMESPACE_URL, uuid5

from adapters.source_profile import ProfiledAdapter, SourceProfile
from syncd.core.errors import MalformedPayload, NotFound, Permanent, SignatureError, TrackerError
from syncd.core.matching import UnknownKr
from syncd.core.model import TaskRef, TaskSnapshot, TaskState
from syncd.core.pacing import RateLimit
from syncd.core.render import MARKDOWN, CommentEntry, CommentRenderer, format_percent
from syncd.core.signatures import hmac_sha256_hex, verify_hmac_sha256
from syncd.ports import (
    Bookmark,
    Budget,
    DeliveryEffects,
    FetchResult,
    OnlineCheck,
    PollResult,
    PushWrite,
    WebhookAccepted,
    WebhookAction,
    WebhookIgnored,
    WebhookIntake,
    WriteKind,
    WriteResult,
)

SECRET = "fake-webhook-secret"
EPOCH = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Call:
    """One call the adapter received: operation, clock time, and what it concerned."""

    op: str
    at: datetime
    detail: str = ""


@dataclass(frozen=True)
class Write:
    """One write that reached the tracker (after any injected fault was raised instead)."""

    at: datetime
    kind: WriteKind
    key: str
    text: str | None
    number: float | None
    remote_id: str
    created: bool


@dataclass
class FakeTracker:
    """The tracker's state: tasks, comments per task, field and goal values, and a log of writes."""

    clock: Callable[[], datetime]
    tasks: dict[str, TaskSnapshot] = field(default_factory=dict)
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[tuple[WriteKind, str], float | str | None] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def put(self, snapshot: TaskSnapshot) -> TaskSnapshot:
        """Store (create or replace) a task as the tracker now describes it."""
        self.tasks[snapshot.external_id] = snapshot
        return snapshot

    def change(self, external_id: str, **changes: Any) -> TaskSnapshot:
        """Edit a task; its `updated_at` moves to the clock's now unless given."""
        changes.setdefault("updated_at", self.clock())
        return self.put(replace(self.tasks[external_id], **changes))

    def delete(self, external_id: str) -> None:
        """The task leaves the tracker."""
        self.tasks.pop(external_id, None)

    def comment_count(self, external_id: str) -> int:
        """How many comments the task carries."""
        return len(self.comments.get(external_id, {}))

    def write(self, write: PushWrite) -> WriteResult:
        """Set a field, goal or summary value (a comment is written through `find_comment`/`create_comment`)."""
        self.values[(write.kind, write.key)] = write.number if write.text is None else write.text
        self._log(write, f"{write.kind.value}:{write.key}", created=False)
        return WriteResult(remote_id=f"{write.kind.value}:{write.key}")

    def find_comment(self, external_id: str, *, comment_id: str | None = None, containing: str = "") -> str | None:
        """The id of the task's comment `comment_id`, else of its first comment containing `containing`."""
        thread = self.comments.get(external_id, {})
        if comment_id is not None:
            return comment_id if comment_id in thread else None
        if not containing:
            return None
        return next((found for found, text in thread.items() if containing in text), None)

    def create_comment(self, write: PushWrite, comment_id: str | None = None) -> WriteResult:
        """Create a comment, with the id the client chose or a new one; an id already taken is refused (409)."""
        thread = self.comments.setdefault(write.key, {})
        if comment_id in thread:
            raise Permanent(f"fake tracker: comment {comment_id} already exists", status=409)
        remote_id = comment_id or str(next(self._ids))
        thread[remote_id] = write.text or ""
        self._log(write, remote_id, created=True)
        return WriteResult(remote_id=remote_id, created=True)

    def edit_comment(self, write: PushWrite, comment_id: str) -> WriteResult:
        """Replace a comment's text in place."""
        self.comments[write.key][comment_id] = write.text or ""
        self._log(write, comment_id, created=False)
        return WriteResult(remote_id=comment_id)

    def _log(self, write: PushWrite, remote_id: str, *, created: bool) -> None:
        self.writes.append(Write(self.clock(), write.kind, write.key, write.text, write.number, remote_id, created))


#: How the fake finds a task's progress record again: a marker in its text, or the id the client chose for it.
RecordLookup = Literal["marker", "client_id"]


class PlainComment:
    """A comment markup with no marker at all (as a tracker that strips hidden text needs): one line per KR."""

    def render(self, ref: TaskRef, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr]) -> str:
        """`OKR progress` then `ENG-1.1: 67%` lines and `kr:ENG-9: unknown` lines."""
        lines = ["OKR progress"]
        lines += [f"{entry.kr.id}: {format_percent(entry.progress.progress)}" for entry in entries]
        lines += [f"{item.label}: unknown key result" for item in unknown]
        return "\n".join(lines) + "\n"


def client_record_id(ref: TaskRef) -> str:
    """The comment id a client-id tracker's adapter chooses for a task's progress record (stable per task)."""
    return str(uuid5(NAMESPACE_URL, f"syncd:{ref.source}:{ref.external_id}"))


def task(
    external_id: str,
    *,
    labels: Sequence[str] = (),
    state: TaskState = TaskState.OPEN,
    updated_at: datetime = EPOCH,
    container: str = "acme/web",
    source: str = "fake",
    title: str | None = None,
    **extra: Any,
) -> TaskSnapshot:
    """A task snapshot with sensible defaults for tests."""
    return TaskSnapshot(
        source=source,
        external_id=external_id,
        url=f"https://tracker.test/{external_id}",
        title=title or f"Task {external_id}",
        state=state,
        updated_at=updated_at,
        labels=tuple(labels),
        container=container,
        **extra,
    )


def snapshot_json(snapshot: TaskSnapshot) -> dict[str, Any]:
    """A snapshot as the fake's delivery bodies carry it."""
    return {
        "id": snapshot.external_id,
        "title": snapshot.title,
        "url": snapshot.url,
        "state": snapshot.state.value,
        "updated_at": snapshot.updated_at.isoformat(),
        "labels": list(snapshot.labels),
        "container": snapshot.container,
        "points": snapshot.points,
        "numbers": [list(item) for item in snapshot.numbers],
    }


def _parse_snapshot(source: str, data: Mapping[str, Any]) -> TaskSnapshot:
    try:
        return TaskSnapshot(
            source=source,
            external_id=str(data["id"]),
            url=str(data["url"]),
            title=str(data["title"]),
            state=TaskState(data["state"]),
            updated_at=datetime.fromisoformat(str(data["updated_at"])),
            labels=tuple(data.get("labels", ())),
            container=str(data.get("container", "")),
            points=data.get("points"),
            numbers=tuple((str(name), float(value)) for name, value in data.get("numbers", ())),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedPayload(f"fake delivery: task snapshot is missing or has a bad field ({error})") from error


class FakeAdapter(ProfiledAdapter):
    """A `SourceAdapter` over a `FakeTracker`; `fail_next(op, error)` makes the next `op` call raise."""

    def __init__(
        self,
        tracker: FakeTracker,
        *,
        name: str = "fake",
        partitions: Sequence[str] = ("acme/web",),
        write_limits: Sequence[RateLimit] = (RateLimit(80, timedelta(minutes=1)),),
        max_concurrent_writes: int = 1,
        targets: Sequence[WriteKind] = (WriteKind.COMMENT,),
        goal_ids: Mapping[str, str] | None = None,
        records: RecordLookup = "marker",
        comment_renderer: CommentRenderer | None = None,
    ) -> None:
        self.tracker = tracker
        self.records = records
        renderer = comment_renderer or (MARKDOWN if records == "marker" else PlainComment())
        self.profile = SourceProfile(name, "fake", renderer, tuple(write_limits), max_concurrent_writes)
        self._partitions = tuple(partitions)
        self._targets = tuple(targets)
        self._goal_ids = dict(goal_ids or {})
        self.calls: list[Call] = []
        self.faults: dict[str, deque[TrackerError]] = {}
        self.closed = False

    # -- test controls -------------------------------------------------------------------------
    def fail_next(self, op: str, *errors: TrackerError) -> None:
        """Make the next len(errors) calls of `op` (poll, reconcile, fetch, apply) raise these errors."""
        self.faults.setdefault(op, deque()).extend(errors)

    def report_goal_ids(self, goal_ids: Mapping[str, str]) -> None:
        """From now on report these goals (KR id -> goal id), as the adapter of a reloaded config would."""
        self._goal_ids = dict(goal_ids)

    def calls_of(self, op: str) -> list[Call]:
        """The calls of one operation, in order."""
        return [call for call in self.calls if call.op == op]

    def delivery(self, event: str, *, snapshot: TaskSnapshot | None = None, key: str = "") -> bytes:
        """A delivery body for `event` (see the module docstring)."""
        payload: dict[str, Any] = {"event": event, "key": key}
        if snapshot is not None:
            payload["task"] = snapshot_json(snapshot)
        return json.dumps(payload).encode()

    @staticmethod
    def signed_headers(body: bytes, event: str, delivery_id: str, secret: str = SECRET) -> dict[str, str]:
        """Headers of a correctly signed delivery."""
        return {
            "x-fake-signature": "sha256=" + hmac_sha256_hex(secret, body),
            "x-fake-event": event,
            "x-fake-delivery": delivery_id,
            "content-type": "application/json",
        }

    def _call(self, op: str, detail: str = "") -> None:
        self.calls.append(Call(op, self.tracker.clock(), detail))
        queue = self.faults.get(op)
        if queue:
            raise queue.popleft()

    # -- the port ------------------------------------------------------------------------------
    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: Mapping[str, str]
    ) -> WebhookIntake:
        """Verify `x-fake-signature`, then accept everything but `ping`."""
        verify_hmac_sha256([SECRET], body, headers.get("x-fake-signature"), prefix="sha256=")
        event = headers.get("x-fake-event", "")
        if event == "ping":
            return WebhookIgnored(event=event, reason="ping")
        delivery_id = headers.get("x-fake-delivery")
        if not delivery_id:
            raise MalformedPayload("fake delivery without x-fake-delivery header")
        return WebhookAccepted(delivery_id=delivery_id, event=event)

    def interpret(self, event: str, body: bytes) -> DeliveryEffects:
        """Decode one stored delivery body."""
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise MalformedPayload(f"fake delivery body is not JSON: {error}") from error
        if not isinstance(payload, dict):
            raise MalformedPayload("fake delivery body is not a JSON object")
        key = str(payload.get("key", ""))
        if event == "task.changed":
            return DeliveryEffects(snapshots=(_parse_snapshot(self.name, payload.get("task") or {}),))
        if event == "task.touched":
            return DeliveryEffects(refetch=(key,))
        if event == "task.deleted":
            return DeliveryEffects(removed=(key,))
        if event == "partition.changed":
            return DeliveryEffects(reconcile=(key,))
        raise MalformedPayload(f"fake delivery has unknown event {event!r}")

    def partitions(self) -> Sequence[str]:
        """As configured."""
        return self._partitions

    def _listing(self, partition: str) -> list[TaskSnapshot]:
        found = [t for t in self.tracker.tasks.values() if t.container == partition]
        return sorted(found, key=lambda t: (t.updated_at, t.external_id))

    def poll(self, bookmark: Bookmark | None, partition: str, started_at: datetime) -> PollResult:
        """Tasks of `partition` updated at or after the bookmark; a first poll is a complete listing."""
        self._call("poll", partition)
        if bookmark is None or bookmark.cursor is None:
            return self.reconcile(partition, started_at, _count=False)
        since = datetime.fromisoformat(bookmark.cursor)
        changed = tuple(t for t in self._listing(partition) if t.updated_at >= since)
        newest = max((t.updated_at for t in changed), default=since)
        cursor = min(newest, started_at).isoformat()
        return PollResult(partition, changed, Bookmark(partition, cursor), not_modified=not changed, requests=1)

    def reconcile(self, partition: str, started_at: datetime, *, _count: bool = True) -> PollResult:
        """Every task of `partition` (`complete=True`)."""
        if _count:
            self._call("reconcile", partition)
        listing = tuple(self._listing(partition))
        newest = max((t.updated_at for t in listing), default=started_at)
        cursor = min(newest, started_at).isoformat()
        return PollResult(partition, listing, Bookmark(partition, cursor), complete=True, requests=1)

    def fetch(self, external_ids: Sequence[str]) -> FetchResult:
        """The tasks by id; unknown ids come back as missing."""
        self._call("fetch", ",".join(external_ids))
        found = tuple(self.tracker.tasks[i] for i in external_ids if i in self.tracker.tasks)
        missing = tuple(i for i in external_ids if i not in self.tracker.tasks)
        return FetchResult(snapshots=found, missing=missing)

    def targets(self, task: TaskSnapshot) -> Sequence[WriteKind]:
        """As configured (a comment by default)."""
        return self._targets

    def goal_ids(self) -> Mapping[str, str]:
        """As configured."""
        return self._goal_ids

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Write into the tracker; a comment on a task the tracker no longer has is `NotFound`."""
        self._call("apply", f"{write.kind.value}:{write.key}")
        if write.kind is not WriteKind.COMMENT:
            return self.tracker.write(write)
        if write.key not in self.tracker.tasks:
            raise NotFound(f"fake tracker has no task {write.key!r} to comment on", status=404)
        ref = task or TaskRef(self.name, write.key)
        return (
            self._write_by_client_id(ref, write) if self.records == "client_id" else self._write_by_marker(ref, write)
        )

    def _write_by_marker(self, ref: TaskRef, write: PushWrite) -> WriteResult:
        """The stored comment, else the one carrying the task's Markdown marker, else a new one."""
        found = self.tracker.find_comment(write.key, comment_id=write.remote_id) if write.remote_id else None
        found = found or self.tracker.find_comment(write.key, containing=MARKDOWN.marker(ref))
        return self.tracker.edit_comment(write, found) if found else self.tracker.create_comment(write)

    def _write_by_client_id(self, ref: TaskRef, write: PushWrite) -> WriteResult:
        """The comment whose id we chose, else created with that id; a create refused as taken (one that
        landed meanwhile) is an edit."""
        record_id = client_record_id(ref)
        if self.tracker.find_comment(write.key, comment_id=record_id) is None:
            try:
                return self.tracker.create_comment(write, record_id)
            except Permanent as error:
                if error.status != 409:
                    raise
        return self.tracker.edit_comment(write, record_id)

    def budget(self) -> Budget:
        """A fixed, healthy budget."""
        return Budget(remaining=4999, limit=5000)

    def check_online(self, public_url: str | None) -> Sequence[OnlineCheck]:
        """Always reachable."""
        return [OnlineCheck(self.name, "reachable", ok=True, detail="in-memory fake tracker")]

    def install_webhooks(self, public_url: str, *, dry_run: bool, handshakes: object = None) -> Sequence[WebhookAction]:
        """Nothing to install."""
        return [WebhookAction(self.name, partition, "unchanged") for partition in self._partitions]

    def close(self) -> None:
        """Mark closed."""
        self.closed = True


__all__ = [
    "EPOCH",
    "SECRET",
    "Call",
    "FakeAdapter",
    "FakeTracker",
    "PlainComment",
    "RecordLookup",
    "SignatureError",
    "Write",
    "client_record_id",
    "task",
]
