"""`GitLabAdapter`: the `SourceAdapter` for gitlab.com and self-managed GitLab (REST API v4, python-gitlab).

Pure parts delegate to `webhook`/`normalize`; I/O goes through `GitLabClient`. One partition per project (the
listed ones, plus every project of `group` and its subgroups, listed again every `GROUP_PROJECTS_TTL`). An
incremental poll lists the project's issues (and merge requests) with `updated_after=<bookmark - overlap>`,
`order_by=updated_at`, `sort=asc`, `state=all`, 100 a page; a seen-set in the bookmark (id -> `updated_at`
already delivered) drops what the overlap reads again. A reconciliation lists everything (`complete=True`),
leaving out moved issues, which is how deleted and moved-away issues leave the mirror. Pushes: `push` (a
note on every linked issue and merge request; with `progress_field`, the custom field on issues: `fields`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from adapters.gitlab import webhook
from adapters.gitlab.admin import GitLabAdmin
from adapters.gitlab.client import GitLabClient
from adapters.gitlab.config import GitLabSourceConfig
from adapters.gitlab.fields import ProgressFields
from adapters.gitlab.normalize import ISSUE, MERGE_REQUEST, is_moved, snapshot_from_item, split_external_id
from adapters.gitlab.push import Pusher
from adapters.poll_cursor import PollCursor as BookmarkCursor
from adapters.source_profile import ProfiledAdapter, SourceProfile
from syncd.core.bookmarks import poll_since
from syncd.core.errors import MalformedPayload, NotFound
from syncd.core.model import TaskRef, TaskSnapshot
from syncd.core.pacing import RateLimit
from syncd.core.render import MARKDOWN
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

#: gitlab.com's limit on note creations per user (content creation rate limit): syncd paces every write to it.
NOTES_PER_MINUTE = 60
#: How long a group's project list is reused before it is listed again (new projects are followed then).
GROUP_PROJECTS_TTL = 900.0
log = structlog.get_logger("syncd.adapters.gitlab")


class PollCursor(BookmarkCursor):
    """A project's bookmark: the newest `updated_at` delivered, and the tasks delivered near it (id -> updated)."""

    tracker = "gitlab"


def gitlab_time(moment: datetime) -> str:
    """`updated_after` as GitLab reads it: ISO 8601 in UTC, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class GitLabAdapter(ProfiledAdapter):
    """One configured GitLab source (see `syncd.ports.SourceAdapter`)."""

    def __init__(
        self,
        config: GitLabSourceConfig,
        *,
        client: GitLabClient | None = None,
        observer: RequestObserver = ignore_request,
    ) -> None:
        self.config = config
        limit = RateLimit(config.writes_per_minute or NOTES_PER_MINUTE, timedelta(minutes=1))
        self.profile = SourceProfile(config.name, "gitlab", MARKDOWN, (limit,), 1)
        self.client = client or GitLabClient(config, observer=observer)
        self._fields = ProgressFields(config, self.client)
        self._pusher = Pusher(config, self.client, self._fields)
        self._group_projects: tuple[float, tuple[str, ...]] | None = None
        self._lock = threading.Lock()

    # -- pure parts ------------------------------------------------------------------------------
    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets
    ) -> WebhookIntake:
        """Verify `X-Gitlab-Token` and the signature (before parsing), then keep or ignore the delivery."""
        return webhook.intake(self.config, headers, body, now=time.time())

    def interpret(self, event: str, body: bytes) -> DeliveryEffects:
        """Snapshots, fetches and removals a stored delivery implies."""
        return webhook.interpret(self.config, event, body)

    # -- reading ---------------------------------------------------------------------------------
    def partitions(self) -> Sequence[str]:
        """The configured projects, plus the group's (and its subgroups') when `group` is set."""
        projects = list(self.config.projects)
        if self.config.group is not None:
            projects += [p for p in self._group() if p.lower() not in {q.lower() for q in projects}]
        return projects

    def _group(self) -> tuple[str, ...]:
        with self._lock:
            cached = self._group_projects
        now = time.monotonic()
        if cached is None or now - cached[0] > GROUP_PROJECTS_TTL:
            cached = (now, tuple(self.client.group_projects(str(self.config.group))))
            with self._lock:
                self._group_projects = cached
        return cached[1]

    def _kinds(self) -> tuple[str, ...]:
        return (ISSUE, MERGE_REQUEST) if self.config.include_merge_requests else (ISSUE,)

    def _list(self, partition: str, since: datetime | None) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        before = self.client.thread_requests()
        items = [
            (kind, item)
            for kind in self._kinds()
            for item in self.client.list_items(partition, kind, None if since is None else gitlab_time(since))
        ]
        return items, self.client.thread_requests() - before

    def poll(self, bookmark: Bookmark | None, partition: str, started_at: datetime) -> PollResult:
        """Issues and merge requests of one project updated since the bookmark less the overlap."""
        previous = PollCursor.load(bookmark)
        items, requests = self._list(partition, poll_since(previous.at, self.config.poll_overlap))
        snapshots = tuple(
            snapshot
            for snapshot in self._snapshots(partition, items)
            if previous.seen.get(snapshot.external_id) != snapshot.updated_at.isoformat()
        )
        cursor = self._advance(previous, snapshots, started_at)
        log.info("gitlab.polled", source=self.name, project=partition, tasks=len(snapshots), requests=requests)
        return PollResult(partition, snapshots, Bookmark(partition, cursor.dump()), requests=requests)

    def reconcile(self, partition: str, started_at: datetime) -> PollResult:
        """Every issue and merge request of one project but moved issues (`complete=True`: what is missing left)."""
        items, requests = self._list(partition, None)
        kept = [(kind, item) for kind, item in items if not (kind == ISSUE and is_moved(item))]
        snapshots = tuple(self._snapshots(partition, kept))
        cursor = self._advance(PollCursor(), snapshots, started_at)
        return PollResult(partition, snapshots, Bookmark(partition, cursor.dump()), complete=True, requests=requests)

    def _snapshots(self, partition: str, items: Sequence[tuple[str, dict[str, Any]]]) -> list[TaskSnapshot]:
        return [snapshot_from_item(self.config, item, kind, partition) for kind, item in items]

    def _advance(self, previous: PollCursor, snapshots: Sequence[TaskSnapshot], started_at: datetime) -> PollCursor:
        delivered = [(s.external_id, s.updated_at) for s in snapshots]
        return previous.advanced(delivered, started_at, self.config.poll_overlap)

    def fetch(self, external_ids: Sequence[str]) -> FetchResult:
        """Fetch tasks one by one; deleted, hidden or moved ones come back missing."""
        snapshots: list[TaskSnapshot] = []
        missing: list[str] = []
        for task_id in external_ids:
            try:
                where = split_external_id(task_id)
                item = self.client.get_item(where.project, where.kind, where.iid)
                snapshot = snapshot_from_item(self.config, item, where.kind, where.project)
            except (ValueError, MalformedPayload):
                log.warning("gitlab.fetch_foreign_id", source=self.name, task=task_id[:200])
                missing.append(task_id)
                continue
            except NotFound:
                missing.append(task_id)
                continue
            if (where.kind == ISSUE and is_moved(item)) or not self.config.follows(where.project):
                missing.append(task_id)
            elif where.kind == ISSUE or self.config.include_merge_requests:
                snapshots.append(snapshot)
        return FetchResult(tuple(snapshots), tuple(missing))

    # -- pushing ---------------------------------------------------------------------------------
    def targets(self, task: TaskSnapshot) -> Sequence[WriteKind]:
        """One progress note on every linked issue and merge request, and the progress field on issues when
        `progress_field` is set (merge requests are not work items: no custom fields)."""
        if self.config.progress_field and _is_issue(task.external_id):
            return [WriteKind.COMMENT, WriteKind.FIELD]
        return [WriteKind.COMMENT]

    def goal_ids(self) -> Mapping[str, str]:
        """GitLab has no goals syncd feeds."""
        return {}

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write: the task's progress note, edited in place or found again by its hidden marker."""
        return self._pusher.apply(task, write)

    def budget(self) -> Budget:
        """The budget from the last `RateLimit-*` headers."""
        return self.client.budget()

    # -- admin -----------------------------------------------------------------------------------
    def check_online(self, public_url: str | None) -> Sequence[OnlineCheck]:
        """The user, the token's scope, each project readable and its hook present, the progress field."""
        return GitLabAdmin(self.config, self.client, self._fields).check(self.partitions(), public_url)

    def install_webhooks(
        self, public_url: str, *, dry_run: bool, handshakes: WebhookHandshakes | None = None
    ) -> Sequence[WebhookAction]:
        """One project hook per project pointing at `{public_url}/webhooks/{source}` (idempotent)."""
        return GitLabAdmin(self.config, self.client, self._fields).install(self.partitions(), public_url, dry_run)

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def _is_issue(task_id: str) -> bool:
    try:
        return split_external_id(task_id).kind == ISSUE
    except ValueError:
        return False


def build_adapter(config: GitLabSourceConfig, observer: RequestObserver = ignore_request) -> GitLabAdapter:
    """The registry's factory: an adapter for one `kind: gitlab` source (no I/O until used)."""
    return GitLabAdapter(config, observer=observer)
