"""`GitHubAdapter`: the `SourceAdapter` for GitHub.com and GitHub Enterprise Server.

Pure parts delegate to `webhook`/`normalize`; I/O goes through `GitHubClient`. Pushes write one
comment per task (edited in place, found again by its marker), an optional Projects v2 field, and an
optional summary issue per KR (see `adapters.github.push`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from adapters.github import webhook
from adapters.github.client import PER_PAGE, GitHubClient, IssueListing
from adapters.github.config import GitHubSourceConfig
from adapters.github.normalize import is_pull_request, parse_timestamp, snapshot_from_issue, split_external_id
from adapters.github.online import OnlineChecks
from adapters.github.push import Pusher
from adapters.source_profile import ProfiledAdapter, SourceProfile
from syncd.core.bookmarks import advance_bookmark, poll_since
from syncd.core.errors import NotFound, TrackerError
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

#: GitHub's documented limit on content-creating requests per minute (secondary rate limit).
CONTENT_WRITES_PER_MINUTE = 80
#: How long an org's repository list is reused before it is listed again.
ORG_REPOS_TTL = 900.0
log = structlog.get_logger("syncd.adapters.github")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class GitHubAdapter(ProfiledAdapter):
    """One configured GitHub source (see `syncd.ports.SourceAdapter`)."""

    def __init__(
        self,
        config: GitHubSourceConfig,
        *,
        client: GitHubClient | None = None,
        observer: RequestObserver = ignore_request,
    ) -> None:
        self.config = config
        # One write at a time: GitHub's secondary limits punish concurrent content writes.
        self.profile = SourceProfile(config.name, "github", MARKDOWN, _write_limits(config), 1)
        self.client = client or GitHubClient(config, observer=observer)
        self._pusher = Pusher(config, self.client)
        self._org_repos: tuple[float, tuple[str, ...]] | None = None

    # -- pure parts ------------------------------------------------------------------------------

    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets
    ) -> WebhookIntake:
        """Verify `X-Hub-Signature-256` (before parsing), then keep or ignore the delivery."""
        return webhook.intake(self.config, headers, body)

    def interpret(self, event: str, body: bytes) -> DeliveryEffects:
        """Snapshots, removals and reconciliations a stored delivery implies."""
        return webhook.interpret(self.config, event, body)

    # -- polling ---------------------------------------------------------------------------------

    def partitions(self) -> Sequence[str]:
        """The configured repositories, plus the org's (filtered) ones when `org` is set."""
        repos = list(self.config.repos)
        if self.config.org is not None:
            repos += [repo for repo in self._org_repositories() if repo not in repos]
        return repos

    def _org_repositories(self) -> tuple[str, ...]:
        now = time.monotonic()
        if self._org_repos is None or now - self._org_repos[0] > ORG_REPOS_TTL:
            listed = self.client.org_repositories(str(self.config.org))
            self._org_repos = (now, tuple(repo for repo in listed if self.config.follows(repo)))
        return self._org_repos[1]

    def poll(self, bookmark: Bookmark | None, partition: str, started_at: datetime) -> PollResult:
        """Issues of one repository updated since the bookmark (less the overlap); 304 when nothing changed."""
        previous = _cursor(bookmark)
        since = poll_since(previous, self.config.poll_overlap)
        etag = bookmark.etag if bookmark is not None else None
        listing = self.client.list_issues(partition, since=since, etag=etag)
        if listing.not_modified:
            kept = bookmark or Bookmark(partition)
            log.debug("github.poll_not_modified", source=self.name, repo=partition)
            return PollResult(partition, (), kept, not_modified=True, requests=listing.requests)
        snapshots, seen = self._snapshots(listing.items)
        cursor = advance_bookmark(previous, seen, started_at)
        log.info("github.polled", source=self.name, repo=partition, issues=len(snapshots), requests=listing.requests)
        etag = listing.etag if conclusive_etag(listing) else None
        return PollResult(partition, snapshots, Bookmark(partition, _iso(cursor), etag), requests=listing.requests)

    def reconcile(self, partition: str, started_at: datetime) -> PollResult:
        """Every issue (and pull request) of one repository, open or closed (`complete=True`)."""
        listing = self.client.list_issues(partition, since=None, etag=None)
        snapshots, seen = self._snapshots(listing.items)
        cursor = advance_bookmark(None, seen, started_at)
        return PollResult(
            partition, snapshots, Bookmark(partition, _iso(cursor)), complete=True, requests=listing.requests
        )

    def _snapshots(self, items: Sequence[Mapping[str, Any]]) -> tuple[tuple[TaskSnapshot, ...], list[datetime]]:
        seen = [parse_timestamp(item.get("updated_at"), where="issue listing") for item in items]
        wanted = [item for item in items if self.config.include_pull_requests or not is_pull_request(item)]
        return tuple(snapshot_from_issue(self.config, item) for item in wanted), seen

    def fetch(self, external_ids: Sequence[str]) -> FetchResult:
        """Fetch issues one by one; deleted, inaccessible or transferred-away ones come back as missing."""
        snapshots: list[TaskSnapshot] = []
        missing: list[str] = []
        for task_id in external_ids:
            found = self._fetch_one(task_id)
            if found is None or found.external_id != task_id:
                missing.append(task_id)
            if found is not None and self._wanted(found):
                snapshots.append(found)
        return FetchResult(tuple(snapshots), tuple(missing))

    def _wanted(self, snapshot: TaskSnapshot) -> bool:
        """Whether a fetched task belongs to this source (its repo is followed; PRs only if included)."""
        if not self.config.follows(snapshot.container):
            return False
        return self.config.include_pull_requests or snapshot.kind != "pull_request"

    def _fetch_one(self, task_id: str) -> TaskSnapshot | None:
        try:
            repo, number = split_external_id(task_id)
            return snapshot_from_issue(self.config, self.client.get_issue(repo, number))
        except ValueError:
            log.warning("github.fetch_foreign_id", source=self.name, task=task_id)
            return None
        except NotFound:
            return None

    # -- pushing ---------------------------------------------------------------------------------

    def targets(self, task: TaskSnapshot) -> Sequence[WriteKind]:
        """A comment on every linked task, plus the project field when `project_field` is configured."""
        return [WriteKind.COMMENT, WriteKind.FIELD] if self.config.project_field else [WriteKind.COMMENT]

    def goal_ids(self) -> Mapping[str, str]:
        """GitHub has no goals."""
        return {}

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write: the task's progress record (its comment, edited in place or found again by its
        hidden marker; see `adapters.github.push`), the project field, or a KR's summary issue."""
        return self._pusher.apply(task, write)

    def budget(self) -> Budget:
        """The rate-limit budget from the last response headers."""
        return self.client.budget()

    # -- admin -----------------------------------------------------------------------------------

    def check_online(self, public_url: str | None) -> Sequence[OnlineCheck]:
        """Credentials, repository access, webhooks, the project field and the budget."""
        try:
            repos = self.partitions()
        except TrackerError as error:
            fix = f"check that org {self.config.org!r} exists and the credentials may list its repositories"
            return [OnlineCheck(self.name, "repositories", False, str(error), fix)]
        return OnlineChecks(self.config, self.client, self._pusher).run(repos, public_url)

    def install_webhooks(
        self, public_url: str, *, dry_run: bool, handshakes: WebhookHandshakes | None = None
    ) -> Sequence[WebhookAction]:
        """One `web` hook per repository pointing at `{public_url}/webhooks/{source}` (idempotent); GitHub
        does not handshake (its deliveries are signed with the configured `webhook_secret`)."""
        return OnlineChecks(self.config, self.client, self._pusher).install(self.partitions(), public_url, dry_run)

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def _write_limits(config: GitHubSourceConfig) -> tuple[RateLimit, ...]:
    """80 content writes a minute (or `writes_per_minute`) and `writes_per_hour` (500) an hour."""
    per_minute = config.writes_per_minute or CONTENT_WRITES_PER_MINUTE
    return RateLimit(per_minute, timedelta(minutes=1)), RateLimit(config.writes_per_hour, timedelta(hours=1))


def conclusive_etag(listing: IssueListing) -> bool:
    """Whether a 304 on this listing's first page will mean "nothing changed".

    Oldest first, a changed issue moves to the end of the listing, so a byte-identical first page
    says nothing about later pages: only a listing that fit in one page with room to spare (a new or
    changed issue lands on that page) can be answered by its ETag."""
    return listing.requests == 1 and len(listing.items) < PER_PAGE


def _cursor(bookmark: Bookmark | None) -> datetime | None:
    """The bookmark's timestamp; an unreadable one means a fresh backfill (logged), never a crash."""
    if bookmark is None or not bookmark.cursor:
        return None
    try:
        return datetime.fromisoformat(bookmark.cursor)
    except ValueError:
        log.warning("github.bookmark_unreadable", partition=bookmark.partition, cursor=bookmark.cursor)
        return None


def build_adapter(config: GitHubSourceConfig, observer: RequestObserver = ignore_request) -> GitHubAdapter:
    """The registry's factory: an adapter for one `kind: github` source (no I/O until used); `observer` is told
    of every request it makes."""
    return GitHubAdapter(config, observer=observer)
