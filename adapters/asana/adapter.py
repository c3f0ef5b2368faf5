"""`AsanaAdapter`: the `SourceAdapter` of one Asana source; `build_adapter(config)` builds it.

Polling reads the Events API per project with the sync token kept in `Bookmark.cursor`: the first
poll (no token) and any 412 (token too old) get a fresh token and re-list the project entirely;
later polls fetch only the tasks the compact events name, batched. Webhook deliveries are
interpreted the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import structlog

from adapters.asana.client import JSON, AsanaClient, EventsPage
from adapters.asana.config import AsanaSourceConfig
from adapters.asana.normalize import TaskRules, tombstone
from adapters.asana.online import AsanaOnline
from adapters.asana.push import AsanaPusher
from adapters.asana.reading import TaskReader
from adapters.asana.render import ASANA_RICH_TEXT
from adapters.asana.webhook import EVENTS, compact_event, effects, intake, parse_events
from adapters.source_profile import ProfiledAdapter, SourceProfile
from syncd.core.errors import MalformedPayload, Permanent
from syncd.core.model import TaskRef, TaskSnapshot
from syncd.core.pacing import RateLimit
from syncd.ports import (
    Bookmark,
    BoundSecrets,
    Budget,
    DeliveryEffects,
    FetchResult,
    OnlineCheck,
    PollResult,
    PushWrite,
    RequestObserver,
    WebhookAction,
    WebhookHandshakes,
    WebhookIntake,
    WriteKind,
    WriteResult,
    ignore_request,
)

#: Requests per minute by Asana plan.
PLAN_LIMITS = {"free": 150, "premium": 1500}
#: Event pages read per poll (100 events each); a longer backlog continues at the next poll.
MAX_EVENT_PAGES = 50


class AsanaAdapter(ProfiledAdapter):
    """One Asana source: webhooks, Events API polls, batched fetches, comments, fields and goals."""

    def __init__(
        self, config: AsanaSourceConfig, client: AsanaClient | None = None, observer: RequestObserver = ignore_request
    ) -> None:
        self._config = config
        # Asana allows at most 15 concurrent writes; the config says how many of them we use.
        self.profile = SourceProfile(
            config.name, "asana", ASANA_RICH_TEXT, _write_limits(config), config.max_concurrent_writes
        )
        self._client = client or AsanaClient(
            base_url=config.base_url,
            token=config.token.get_secret_value(),
            timeout=config.timeout.total_seconds(),
            requests_per_minute=PLAN_LIMITS[config.plan],
            observer=observer,
        )
        self._team_projects: tuple[tuple[str, ...], float] | None = None
        self._lock = threading.Lock()
        self._reader = TaskReader(self._client, self._rules)
        self._pusher = AsanaPusher(self._client, config, self.partitions)
        self._online = AsanaOnline(self._client, config, self.partitions, self._pusher)
        self._log = structlog.get_logger("syncd.adapters.asana").bind(source=config.name)

    # --- pure parts ---
    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets
    ) -> WebhookIntake:
        """Handshake, heartbeat, or a delivery verified with the confirmed secret of its resource."""
        return intake(headers, body, query, secrets)

    def interpret(self, event: str, body: bytes) -> DeliveryEffects:
        """Compact events -> tasks to fetch, tasks that left, projects to re-list."""
        if event != EVENTS:
            raise MalformedPayload(f"asana deliveries are stored as {EVENTS!r}, not {event!r}")
        return effects(parse_events(body), self._known_projects())

    # --- reads ---
    def partitions(self) -> Sequence[str]:
        """The configured projects, then the team's (listed once per reconcile interval)."""
        if not self._config.team:
            return tuple(self._config.projects)
        with self._lock:
            cached = self._team_projects
            if cached is None or time.monotonic() - cached[1] > self._config.reconcile_interval.total_seconds():
                team = self._client.team_projects(self._config.team, "name")
                cached = (tuple(str(p["gid"]) for p in team), time.monotonic())
                self._team_projects = cached
        return tuple(dict.fromkeys([*self._config.projects, *cached[0]]))

    def poll(self, bookmark: Bookmark | None, partition: str, started_at: datetime) -> PollResult:
        """Events since the sync token; a missing or expired token means a full re-listing."""
        before = self._client.requests
        sync = bookmark.cursor if bookmark is not None else None
        read = self._read_events(partition, sync) if sync else None
        if read is None or read.expired:
            return self._reconcile(partition, before, read.sync if read else None)
        meaning = effects((compact_event(raw) for raw in read.events), self._known_projects())
        if meaning.reconcile:
            return self._reconcile(partition, before, read.sync)
        snapshots = self._changed(meaning, partition, started_at)
        self._log.debug("asana.poll.events_read", partition=partition, events=len(read.events), tasks=len(snapshots))
        bookmark = Bookmark(partition, cursor=read.sync)
        return PollResult(partition, snapshots, bookmark, requests=self._client.requests - before)

    def reconcile(self, partition: str, started_at: datetime) -> PollResult:
        """Every task of the project, with a fresh sync token taken first (so nothing falls between)."""
        return self._reconcile(partition, self._client.requests, None)

    def fetch(self, external_ids: Sequence[str]) -> FetchResult:
        """Tasks by gid, 10 per `POST /batch` request."""
        return self._reader.fetch(external_ids)

    # --- writes ---
    def targets(self, task: TaskSnapshot) -> Sequence[WriteKind]:
        """A comment on every linked task, and the progress field when configured."""
        return (WriteKind.COMMENT, WriteKind.FIELD) if self._config.progress_field else (WriteKind.COMMENT,)

    def goal_ids(self) -> Mapping[str, str]:
        """KR id -> Asana goal gid, from the config."""
        return dict(self._config.goals)

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write: the task's progress record (its comment story, edited in place or found again by its
        marker; see `adapters.asana.push`), the progress field, or a goal metric."""
        if write.kind == WriteKind.GOAL:
            goal = self._config.goals.get(write.key) or write.remote_id
            if not goal:
                raise Permanent(f"KR {write.key} has no Asana goal under goals of source {self.name!r}")
            return self._pusher.goal(goal, write)
        if write.kind not in {WriteKind.COMMENT, WriteKind.FIELD}:
            raise Permanent(f"asana source {self.name!r} makes no {write.kind} writes")
        ref = task or TaskRef(self.name, write.key)
        if write.kind == WriteKind.COMMENT:
            return self._pusher.comment(ref, write)
        return self._pusher.field(ref.external_id, write)

    def budget(self) -> Budget:
        """The rate-limit budget as last seen (our own request count, or 0 after a 429)."""
        return self._client.budget()

    def check_online(self, public_url: str | None) -> Sequence[OnlineCheck]:
        """Token, workspace, projects, progress field, goals, webhooks, budget."""
        return self._online.check(public_url)

    def install_webhooks(
        self, public_url: str, *, dry_run: bool, handshakes: WebhookHandshakes | None = None
    ) -> Sequence[WebhookAction]:
        """One webhook per project (idempotent); the daemon must be up at `public_url` for the handshake, and
        `handshakes` binds each creation's handshake to this install."""
        return self._online.install(public_url, dry_run=dry_run, handshakes=handshakes)

    def container_names(self, containers: Sequence[str]) -> Mapping[str, str]:
        """Project gid -> the project's name, one `GET /projects/{gid}` each."""
        return {gid: str(self._client.project(gid, "name").get("name") or gid) for gid in containers}

    def close(self) -> None:
        """Release connections."""
        self._client.close()

    # --- helpers ---
    def _rules(self) -> TaskRules:
        return TaskRules.from_config(self._config, self.partitions())

    def _known_projects(self) -> Sequence[str]:
        """Projects without I/O: the configured ones plus the team's as last listed."""
        cached = self._team_projects
        return tuple(dict.fromkeys([*self._config.projects, *(cached[0] if cached else ())]))

    def _read_events(self, partition: str, sync: str) -> EventsPage:
        """Every page of events since `sync` (up to MAX_EVENT_PAGES), or the 412's fresh token."""
        events: list[JSON] = []
        for _ in range(MAX_EVENT_PAGES):
            page = self._client.events(partition, sync)
            if page.expired:
                self._log.info("asana.poll.sync_expired", partition=partition)
                return page
            events.extend(page.events)
            sync = page.sync
            if not page.has_more:
                break
        return EventsPage(tuple(events), sync)

    def _reconcile(self, partition: str, before: int, sync: str | None) -> PollResult:
        if sync is None:
            sync = self._client.events(partition, None).sync
        snapshots = tuple(self._reader.list_project(partition))
        self._log.info("asana.poll.reconciled", partition=partition, tasks=len(snapshots))
        bookmark = Bookmark(partition, cursor=sync)
        return PollResult(partition, snapshots, bookmark, complete=True, requests=self._client.requests - before)

    def _changed(self, meaning: DeliveryEffects, partition: str, at: datetime) -> tuple[TaskSnapshot, ...]:
        fetched = self._reader.fetch(meaning.refetch) if meaning.refetch else FetchResult()
        gone = [*meaning.removed, *fetched.missing]
        return fetched.snapshots + tuple(tombstone(self.name, gid, at, partition) for gid in gone)


def _write_limits(config: AsanaSourceConfig) -> tuple[RateLimit, ...]:
    """The plan's requests per minute, or `writes_per_minute` when lower."""
    per_minute = PLAN_LIMITS[config.plan]
    if config.writes_per_minute is not None:
        per_minute = min(per_minute, config.writes_per_minute)
    return (RateLimit(per_minute, timedelta(minutes=1)),)


def build_adapter(config: AsanaSourceConfig, observer: RequestObserver = ignore_request) -> AsanaAdapter:
    """The factory `adapters.registry` calls; `observer` is told of every request the adapter makes."""
    return AsanaAdapter(config, observer=observer)
