"""`JiraAdapter`: the `SourceAdapter` for Jira Cloud (REST v3) and Data Center / Server (REST v2).

Pure parts delegate to `webhook`/`normalize`; I/O goes through `JiraClient`. One partition per source, named
by its project keys (`ENG,OPS`), so an idle poll is one search whatever the number of projects. An
incremental poll asks `project in ("ENG", "OPS") AND updated >= "<bookmark - overlap>" ORDER BY updated ASC`;
JQL dates have minute precision in the API user's time zone (`GET /myself`), so the date is floored to the
minute (reaching back, never forward) and a seen-set in the bookmark (key -> `updated` already delivered)
drops what the overlap reads again. A reconciliation lists every followed project (`complete=True`, covering
each project's key as a container), which is how deleted issues and issues moved out of the projects are found. The flavour is read once (`serverInfo`); the client speaks its dialect.
Pushes: see `adapters.jira.push`. Number fields named by display name are resolved through `GET /field`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from adapters.jira import webhook
from adapters.jira.admin import JiraAdmin, project_filter
from adapters.jira.client import JiraClient
from adapters.jira.config import JiraSourceConfig
from adapters.jira.fields import FieldIds, is_field_id, needs_lookup, resolve_fields
from adapters.jira.normalize import jql_moment, search_fields, snapshot_from_issue
from adapters.jira.online import OnlineProbes
from adapters.jira.push import Pusher
from adapters.jira.render import JIRA_ADF
from adapters.poll_cursor import PollCursor as BookmarkCursor
from adapters.source_profile import ProfiledAdapter, SourceProfile
from syncd.core.bookmarks import poll_since
from syncd.core.errors import NotFound
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

#: Jira Cloud's per-issue write limits (20 writes per 2 s, 100 per 30 s), kept source-wide to stay under them.
WRITE_LIMITS = (RateLimit(20, timedelta(seconds=2)), RateLimit(100, timedelta(seconds=30)))
#: The store keeps partition names up to 300 characters; longer project lists are named by a digest.
MAX_PARTITION = 200
log = structlog.get_logger("syncd.adapters.jira")


class PollCursor(BookmarkCursor):
    """A partition's bookmark: the newest `updated` delivered, and the issues delivered near it (key -> updated)."""

    tracker = "jira"


class JiraAdapter(ProfiledAdapter):
    """One configured Jira source (see `syncd.ports.SourceAdapter`)."""

    def __init__(
        self, config: JiraSourceConfig, *, client: JiraClient | None = None, observer: RequestObserver = ignore_request
    ) -> None:
        self.config = config
        self.profile = SourceProfile(config.name, "jira", JIRA_ADF, WRITE_LIMITS, 1)
        self.client = client or JiraClient(config, observer=observer)
        self._pusher = Pusher(config, self.client, lambda: self.field_ids().progress)
        self._lock = threading.Lock()
        self._zone: tzinfo | None = None
        self._fields: FieldIds | None = None

    # -- pure parts ------------------------------------------------------------------------------
    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets
    ) -> WebhookIntake:
        """Verify `X-Hub-Signature` (before parsing), then keep or ignore the delivery."""
        return webhook.intake(self.config, headers, body)

    def interpret(self, event: str, body: bytes) -> DeliveryEffects:
        """Snapshots, fetches and removals a stored delivery implies."""
        known = self._fields.points if self._fields is not None else self._written_id(self.config.points_field)
        return webhook.interpret(self.config, event, body, points_field=known)

    # -- reading ---------------------------------------------------------------------------------
    def partitions(self) -> Sequence[str]:
        """The one partition of the source: its project keys (`ENG,OPS`; see `partition_name`)."""
        return [partition_name(self.config.projects)]

    def poll(self, bookmark: Bookmark | None, partition: str, started_at: datetime) -> PollResult:
        """Issues of the followed projects updated since the bookmark less the overlap, oldest change first
        (one search page when nothing changed). A bookmark or partition of another name (an older per-project
        one) is not read: the result carries the source's partition, whose first poll lists everything."""
        name = partition_name(self.config.projects)
        previous = PollCursor.load(bookmark) if partition == name else PollCursor()
        since = poll_since(previous.at, self.config.poll_overlap)
        issues, requests = self._search(self._jql(since))
        points = self.points_field()
        fresh = [issue for issue in issues if previous.seen.get(str(issue.get("key"))) != _updated(issue)]
        snapshots = tuple(snapshot_from_issue(self.config, issue, points_field=points) for issue in fresh)
        cursor = self._advance(previous, snapshots, started_at)
        log.info("jira.polled", source=self.name, partition=name, issues=len(snapshots), requests=requests)
        return PollResult(name, snapshots, Bookmark(name, cursor.dump()), requests=requests)

    def reconcile(self, partition: str, started_at: datetime) -> PollResult:
        """Every issue of every followed project (`complete=True` over each project's key: a mirrored issue
        listed in none of them was deleted, hidden or moved out of them; one moved between them is listed)."""
        name = partition_name(self.config.projects)
        issues, requests = self._search(self._jql(None))
        points = self.points_field()
        snapshots = tuple(snapshot_from_issue(self.config, issue, points_field=points) for issue in issues)
        cursor = self._advance(PollCursor(), snapshots, started_at)
        containers = tuple(dict.fromkeys(key.upper() for key in self.config.projects))
        bookmark = Bookmark(name, cursor.dump())
        return PollResult(name, snapshots, bookmark, complete=True, requests=requests, containers=containers)

    def _search(self, jql: str) -> tuple[list[dict[str, object]], int]:
        before = self.client.requests
        issues = [issue for page in self.client.search(jql, search_fields(self.points_field())) for issue in page]
        return issues, self.client.requests - before

    def _jql(self, since: datetime | None) -> str:
        clauses = [project_filter(self.config)]
        if self.config.jql:
            clauses.append(f"({self.config.jql})")
        if since is not None:
            clauses.append(f'updated >= "{jql_moment(since, self.time_zone())}"')
        return " AND ".join(clauses) + " ORDER BY updated ASC"

    def _advance(self, previous: PollCursor, snapshots: Sequence[TaskSnapshot], started_at: datetime) -> PollCursor:
        # Keep what the next poll's overlap reads again (a minute more: JQL dates are floored to the minute).
        overlap = self.config.poll_overlap + timedelta(minutes=1)
        delivered = [(s.external_id, s.updated_at) for s in snapshots]
        return previous.advanced(delivered, started_at, overlap)

    def fetch(self, external_ids: Sequence[str]) -> FetchResult:
        """Fetch issues one by one; deleted, hidden or moved-away ones (their key changed) come back missing."""
        snapshots: list[TaskSnapshot] = []
        missing: list[str] = []
        fields = search_fields(self.points_field())
        for key in external_ids:
            try:
                issue = self.client.issue(key, fields)
            except NotFound:
                missing.append(key)
                continue
            snapshot = snapshot_from_issue(self.config, issue, points_field=self.points_field())
            if snapshot.external_id != key:
                missing.append(key)
            if self.config.follows(snapshot.container):
                snapshots.append(snapshot)
        return FetchResult(tuple(snapshots), tuple(missing))

    def time_zone(self) -> tzinfo:
        """The API user's time zone (`GET /myself` once), in which Jira reads JQL dates."""
        with self._lock:
            if self._zone is None:
                name = str(self.client.myself().get("timeZone") or "UTC")
                try:
                    self._zone = ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    log.warning("jira.time_zone_unknown", source=self.name, zone=name[:100])
                    self._zone = UTC
            return self._zone

    def points_field(self) -> str | None:
        """`points_field`'s id, else the field named "Story Points" or "Story point estimate"."""
        return self.field_ids().points

    def field_ids(self) -> FieldIds:
        """The ids of `points_field` and `progress_field`; `GET /field` once when a default or a name needs it
        (a failed lookup, e.g. a name no field has, is raised as `Permanent` and asked again next time)."""
        points, progress = self.config.points_field, self.config.progress_field
        if not needs_lookup(points, progress):
            return FieldIds(points, progress)
        with self._lock:
            if self._fields is None:
                self._fields = resolve_fields(self.client.fields(), points, progress)
            return self._fields

    @staticmethod
    def _written_id(field: str | None) -> str | None:
        return field if field is not None and is_field_id(field) else None

    # -- pushing ---------------------------------------------------------------------------------
    def targets(self, task: TaskSnapshot) -> Sequence[WriteKind]:
        """A comment on every linked issue, plus the progress field when `progress_field` is configured."""
        return [WriteKind.COMMENT, WriteKind.FIELD] if self.config.progress_field else [WriteKind.COMMENT]

    def goal_ids(self) -> Mapping[str, str]:
        """Jira has no goals syncd feeds."""
        return {}

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write: the issue's progress comment (found again through its entity property) or its field."""
        return self._pusher.apply(task, write)

    def budget(self) -> Budget:
        """The budget from the last `X-RateLimit-*` headers."""
        return self.client.budget()

    # -- admin -----------------------------------------------------------------------------------
    def check_online(self, public_url: str | None) -> Sequence[OnlineCheck]:
        """Flavour, account, projects, number fields and their edit screen, admin webhook (`adapters.jira.online`)."""
        return OnlineProbes(self.config, self.client, self._sample_issue).run(public_url)

    def _sample_issue(self) -> str | None:
        """The key of one issue of the followed projects (for the edit-screen probe), or None when there is none."""
        page = next(iter(self.client.search(project_filter(self.config), ["summary"], page_size=1)), [])
        return next((str(issue["key"]) for issue in page if isinstance(issue.get("key"), str)), None)

    def install_webhooks(
        self, public_url: str, *, dry_run: bool, handshakes: WebhookHandshakes | None = None
    ) -> Sequence[WebhookAction]:
        """One admin webhook pointing at `{public_url}/webhooks/{source}`, filtered to the projects (idempotent)."""
        return JiraAdmin(self.config, self.client).install(public_url, dry_run)

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def _updated(issue: Mapping[str, object]) -> str | None:
    fields = issue.get("fields")
    value = fields.get("updated") if isinstance(fields, Mapping) else None
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return None


def partition_name(projects: Sequence[str]) -> str:
    """The source's partition: its project keys sorted, comma-separated (`ENG,OPS`; a single project keeps the
    name its per-project partition had). Past `MAX_PARTITION` characters, the count and a digest of the keys."""
    keys = ",".join(sorted(dict.fromkeys(key.upper() for key in projects)))
    if len(keys) <= MAX_PARTITION:
        return keys
    return f"{keys.count(',') + 1} projects sha256:{hashlib.sha256(keys.encode()).hexdigest()[:32]}"


def build_adapter(config: JiraSourceConfig, observer: RequestObserver = ignore_request) -> JiraAdapter:
    """The registry's factory: an adapter for one `kind: jira` source (no I/O until used)."""
    return JiraAdapter(config, observer=observer)
