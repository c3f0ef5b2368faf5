"""`LinearAdapter`: the `SourceAdapter` for Linear (GraphQL).

Pure parts delegate to `webhook`/`normalize`; I/O goes through `LinearClient`. One partition per team. An
incremental poll asks `issues(filter: {team: {key: {eq: KEY}}, updatedAt: {gte: <bookmark - overlap>}},
orderBy: updatedAt, includeArchived: true)` page by page (Relay cursors, 100 issues a page for a listing and
50 for a poll, nested labels 20: Linear prices a query by what it asks for, and complexity is rate-limited); a seen-set in the bookmark (issue id -> `updatedAt` delivered)
drops what the overlap reads again, so an idle poll is one request per team. A reconciliation lists the
whole team (`complete=True`), which is how issues deleted for good are found. Pushes: `adapters.linear.push`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from adapters.linear import webhook
from adapters.linear.admin import LinearAdmin
from adapters.linear.client import LinearClient
from adapters.linear.config import LinearSourceConfig
from adapters.linear.normalize import identifier_of, snapshot_from_issue
from adapters.linear.push import Pusher
from adapters.linear.render import LINEAR_MARKDOWN
from adapters.poll_cursor import PollCursor as BookmarkCursor
from adapters.source_profile import ProfiledAdapter, SourceProfile
from syncd.core.bookmarks import poll_since
from syncd.core.errors import MalformedPayload, NotFound, Permanent
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

#: Issues per page of a full listing (Linear allows up to 250; 100 keeps a page near 5,000 complexity points).
PAGE_SIZE = 100
#: Issues per page of an incremental poll: usually one page, priced by what it asks for (about 2,500 points).
POLL_PAGE_SIZE = 50
MAX_PAGES = 10_000
log = structlog.get_logger("syncd.adapters.linear")
JsonObject = dict[str, Any]


class PollCursor(BookmarkCursor):
    """A team's bookmark: the newest `updatedAt` delivered, and the issues delivered near it (id -> updatedAt)."""

    tracker = "linear"


class LinearAdapter(ProfiledAdapter):
    """One configured Linear source (see `syncd.ports.SourceAdapter`)."""

    def __init__(
        self,
        config: LinearSourceConfig,
        *,
        client: LinearClient | None = None,
        observer: RequestObserver = ignore_request,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.profile = SourceProfile(config.name, "linear", LINEAR_MARKDOWN, write_limits(config), 1)
        self.client = client or LinearClient(config, observer=observer)
        self._clock = clock
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pusher = Pusher(config, self.client, self.issue_id)

    # -- pure parts ------------------------------------------------------------------------------
    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets
    ) -> WebhookIntake:
        """Verify `Linear-Signature` (before parsing) and the timestamp, then keep or ignore the delivery."""
        return webhook.intake(self.config, headers, body, self._clock())

    def interpret(self, event: str, body: bytes) -> DeliveryEffects:
        """Snapshots, fetches, removals and re-listings a stored delivery implies."""
        effects = webhook.interpret(self.config, event, body)
        if effects.snapshots:
            data = webhook.parse_body(body).get("data") or {}
            self._remember([data])
        return effects

    # -- reading ---------------------------------------------------------------------------------
    def partitions(self) -> Sequence[str]:
        """The configured team keys."""
        return list(self.config.teams)

    def poll(self, bookmark: Bookmark | None, partition: str, started_at: datetime) -> PollResult:
        """Issues of one team updated since the bookmark less the overlap (archived ones included)."""
        previous = PollCursor.load(bookmark)
        since = poll_since(previous.at, self.config.poll_overlap)
        issues, requests = self._list(partition, since)
        fresh = [issue for issue in issues if previous.seen.get(str(issue.get("id"))) != _updated(issue)]
        snapshots = tuple(snapshot_from_issue(self.config, issue) for issue in fresh)
        cursor = self._advance(previous, fresh, snapshots, started_at)
        log.info("linear.polled", source=self.name, team=partition, issues=len(snapshots), requests=requests)
        return PollResult(partition, snapshots, Bookmark(partition, cursor.dump()), requests=requests)

    def reconcile(self, partition: str, started_at: datetime) -> PollResult:
        """Every issue of one team (`complete=True`: mirrored issues missing from it left the source)."""
        issues, requests = self._list(partition, None)
        snapshots = tuple(snapshot_from_issue(self.config, issue) for issue in issues)
        cursor = self._advance(PollCursor(), issues, snapshots, started_at)
        return PollResult(partition, snapshots, Bookmark(partition, cursor.dump()), complete=True, requests=requests)

    def _list(self, team: str, since: datetime | None) -> tuple[list[JsonObject], int]:
        before = self.client.requests
        issues = [issue for page in self._pages(team, since) for issue in page]
        self._remember(issues)
        return issues, self.client.requests - before

    def _pages(self, team: str, since: datetime | None) -> Iterator[list[JsonObject]]:
        issue_filter: JsonObject = {"team": {"key": {"eq": team}}}
        if since is not None:
            issue_filter["updatedAt"] = {"gte": since.astimezone(UTC).isoformat().replace("+00:00", "Z")}
        after: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            size = PAGE_SIZE if since is None else POLL_PAGE_SIZE
            variables = {"filter": issue_filter, "first": size, "after": after}
            page = self.client.query("issues", variables).get("issues") or {}
            yield [node for node in page.get("nodes") or () if isinstance(node, dict)]
            info = page.get("pageInfo") or {}
            cursor = info.get("endCursor")
            if not info.get("hasNextPage") or not isinstance(cursor, str):
                return
            if cursor in seen:
                raise Permanent("Linear issues() returned the same endCursor twice; stopped to avoid a loop")
            seen.add(cursor)
            after = cursor
        raise Permanent(f"Linear issues() had more than {MAX_PAGES} pages; stopped")

    def _advance(
        self,
        previous: PollCursor,
        issues: Sequence[JsonObject],
        snapshots: Sequence[TaskSnapshot],
        started_at: datetime,
    ) -> PollCursor:
        delivered = [(str(issue.get("id")), s.updated_at) for issue, s in zip(issues, snapshots, strict=True)]
        return previous.advanced(delivered, started_at, self.config.poll_overlap)

    def fetch(self, external_ids: Sequence[str]) -> FetchResult:
        """Fetch issues one by one; deleted, hidden or moved-away ones come back missing."""
        snapshots: list[TaskSnapshot] = []
        missing: list[str] = []
        for identifier in external_ids:
            try:
                issue = self.client.query("issue", {"id": identifier}).get("issue")
            except NotFound:
                missing.append(identifier)
                continue
            if not isinstance(issue, dict):
                missing.append(identifier)
                continue
            self._remember([issue])
            snapshot = snapshot_from_issue(self.config, issue)
            if snapshot.external_id != identifier:
                missing.append(identifier)
            if self.config.follows(snapshot.container):
                snapshots.append(snapshot)
            elif identifier not in missing:
                missing.append(identifier)
        return FetchResult(tuple(snapshots), tuple(missing))

    def issue_id(self, identifier: str) -> str:
        """The Linear id of the issue `identifier` names (remembered from reads, else one query)."""
        with self._lock:
            known = self._ids.get(identifier)
        if known is not None:
            return known
        issue = self.client.query("issue", {"id": identifier}).get("issue")
        if not isinstance(issue, dict) or not isinstance(issue.get("id"), str):
            raise NotFound(f"Linear has no issue {identifier}")
        self._remember([issue])
        return str(issue["id"])

    def _remember(self, issues: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            for issue in issues:
                try:
                    identifier = identifier_of(issue)
                except MalformedPayload:
                    continue
                if isinstance(issue.get("id"), str):
                    self._ids[identifier] = str(issue["id"])

    # -- pushing ---------------------------------------------------------------------------------
    def targets(self, task: TaskSnapshot) -> Sequence[WriteKind]:
        """A comment on every linked issue, plus the progress attachment with `attachment: true`."""
        return [WriteKind.COMMENT, WriteKind.FIELD] if self.config.attachment else [WriteKind.COMMENT]

    def goal_ids(self) -> Mapping[str, str]:
        """Linear has no goals syncd feeds."""
        return {}

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write: the issue's progress comment (by its chosen id) or its progress attachment."""
        return self._pusher.apply(task, write)

    def budget(self) -> Budget:
        """The requests budget from the last `X-RateLimit-Requests-*` headers."""
        return self.client.budget()

    # -- admin -----------------------------------------------------------------------------------
    def check_online(self, public_url: str | None) -> Sequence[OnlineCheck]:
        """The token's user, the teams, and (with `public_url`) each team's webhook."""
        return LinearAdmin(self.config, self.client).check(public_url)

    def install_webhooks(
        self, public_url: str, *, dry_run: bool, handshakes: WebhookHandshakes | None = None
    ) -> Sequence[WebhookAction]:
        """One webhook per team pointing at `{public_url}/webhooks/{source}` (idempotent)."""
        return LinearAdmin(self.config, self.client).install(public_url, dry_run)

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def _updated(issue: Mapping[str, Any]) -> str | None:
    value = issue.get("updatedAt")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return None


def write_limits(config: LinearSourceConfig) -> tuple[RateLimit, ...]:
    """`writes_per_minute` when set, else none: Linear's budgets come from its headers (a spent one holds the
    source until the reset it names), so syncd hard-codes no limit of Linear's."""
    return (RateLimit(config.writes_per_minute, timedelta(minutes=1)),) if config.writes_per_minute else ()


def build_adapter(config: LinearSourceConfig, observer: RequestObserver = ignore_request) -> LinearAdapter:
    """The registry's factory: an adapter for one `kind: linear` source (no I/O until used)."""
    return LinearAdapter(config, observer=observer)
