"""The only module of the GitHub adapter that does I/O: PyGithub for REST, httpx for GraphQL.

Every failure is mapped here, once, to `RateLimited`/`Retriable`/`Permanent`/`NotFound` (DESIGN.md
principle 5). Short waits are retried in-line (`adapters.inline_retry`, idempotent requests only); longer ones
are raised for the runtime to reschedule. PyGithub's own throttle and retries are switched off.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import requests
import structlog
from github import Auth, Github, GithubException, GithubIntegration
from github.Repository import Repository

from adapters.github.config import GitHubSourceConfig
from adapters.inline_retry import InlineRetry
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable, TrackerError
from syncd.core.retry import BACKOFF_BASE, INLINE_WAIT_LIMIT
from syncd.ports import Budget, RequestObserver, RequestOutcome, RequestReason, ignore_request

T = TypeVar("T")
JsonObject = dict[str, Any]
log = structlog.get_logger("syncd.adapters.github")

PER_PAGE = 100
INLINE_ATTEMPTS = 4
SECONDARY_LIMIT_DELAY = 60.0
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


def failure_from(
    status: int,
    headers: Mapping[str, str],
    message: str,
    *,
    where: str,
    now: float,
) -> TrackerError:
    """The one mapping from a failed GitHub response to syncd's failure vocabulary."""
    said = f"GitHub answered {status} to {where}: {message or 'no message'}"
    if status in (403, 429):
        limited = _rate_limited(status, {key.lower(): value for key, value in headers.items()}, message, said, now)
        return limited or Permanent(f"{said}; check that the token or app may do this", status=status)
    if status in (404, 410):
        return NotFound(f"{said}; it was deleted, moved, or the token cannot see it", status=status)
    if status >= 500:
        # No server-named delay: the caller's backoff over its own attempts decides (it grows; this would not).
        return Retriable(f"{said}; will retry", delay=0.0, status=status)
    if status == 401:
        return Permanent(f"{said}; the token or app credentials are wrong or expired", status=status)
    return Permanent(f"{said}; fix the request or the config", status=status)


def _rate_limited(status: int, h: Mapping[str, str], message: str, said: str, now: float) -> RateLimited | None:
    """Retry-After first, then the exhausted hourly budget's reset, then a secondary limit's 60 s."""
    if h.get("retry-after"):
        return RateLimited(f"{said}; retrying after {h['retry-after']}s", delay=float(h["retry-after"]), status=status)
    if h.get("x-ratelimit-remaining") == "0" and h.get("x-ratelimit-reset"):
        delay = max(0.0, float(h["x-ratelimit-reset"]) - now)
        return RateLimited(f"{said}; the hourly budget is spent, retrying at its reset", delay=delay, status=status)
    if status == 429 or "secondary rate limit" in message.lower():
        return RateLimited(
            f"{said}; backing off {SECONDARY_LIMIT_DELAY:g}s", delay=SECONDARY_LIMIT_DELAY, status=status
        )
    return None


def next_link(header: str | None) -> str | None:
    """The `rel="next"` URL of a `Link` header."""
    match = _NEXT_LINK.search(header or "")
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class IssueListing:
    """The issues of one listing (all pages), its first page's ETag, and what it cost."""

    items: tuple[JsonObject, ...]
    etag: str | None
    not_modified: bool
    requests: int


class GitHubClient:
    """REST and GraphQL calls for one GitHub source; blocking (the runtime runs it in a thread pool)."""

    def __init__(
        self,
        config: GitHubSourceConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        backoff_base: float = BACKOFF_BASE,
        inline_wait_limit: float = INLINE_WAIT_LIMIT,
        observer: RequestObserver = ignore_request,
    ) -> None:
        self.config = config
        self._clock = clock
        self._observer = observer
        self._retry = InlineRetry(INLINE_ATTEMPTS, sleep, backoff_base=backoff_base, wait_limit=inline_wait_limit)
        self._lock = threading.Lock()
        self._github: Github | None = None
        self._auth: Auth.Token | Auth.AppInstallationAuth | None = None
        self._http = httpx.Client(timeout=config.timeout.total_seconds())
        self._budget = Budget()
        self._closed = False

    # -- connection ----------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        # PyGithub's defaults sleep 0.25 s per request and 1 s per write and retry on their own: we pace.
        return {
            "base_url": self.config.api_root,
            "timeout": max(1, int(self.config.timeout.total_seconds())),
            "retry": None,
            "seconds_between_requests": 0,
            "seconds_between_writes": 0,
            "user_agent": "syncd",
        }

    @property
    def github(self) -> Github:
        """The PyGithub client, built on first use (finding the app installation needs a request)."""
        with self._lock:
            if self._github is None:
                self._auth = self._credentials()
                self._github = Github(auth=self._auth, per_page=PER_PAGE, lazy=True, **self._options())
            return self._github

    def _credentials(self) -> Auth.Token | Auth.AppInstallationAuth:
        if self.config.token is not None:
            return Auth.Token(self.config.token.get_secret_value())
        app = self.config.app
        assert app is not None  # the config model guarantees token xor app
        app_auth = Auth.AppAuth(app.app_id, app.private_key.get_secret_value())
        return app_auth.get_installation_auth(app.installation_id or self._installation_id(app_auth))

    def _installation_id(self, app_auth: Auth.AppAuth) -> int:
        integration = GithubIntegration(auth=app_auth, **self._options())
        if self.config.repos:
            owner, name = self.config.repos[0].split("/")
            return int(integration.get_repo_installation(owner, name).id)
        return int(integration.get_org_installation(str(self.config.org)).id)

    def token(self) -> str:
        """The bearer token for GraphQL (an installation token is refreshed by PyGithub before expiry)."""
        self.github  # noqa: B018 - building the client binds the installation auth to a requester
        assert self._auth is not None
        return str(self._auth.token)

    def close(self) -> None:
        """Release connections; from now on every call is refused before it sends anything (a daemon past its
        stop deadline closes its clients so that a thread it leaves behind cannot write any more)."""
        self._closed = True
        self._http.close()
        if self._github is not None:
            self._github.close()

    # -- failures and retries --------------------------------------------------------------------

    def _mapped(self, error: GithubException, where: str) -> TrackerError:
        data = error.data if isinstance(error.data, dict) else {}
        return failure_from(
            error.status,
            dict(error.headers or {}),
            str(data.get("message") or error.message or ""),
            where=where,
            now=self._clock(),
        )

    def guarded(self, where: str, operation: Callable[[], T]) -> T:
        """Run `operation` once, turning library failures into syncd's (PyGithub errors, transport errors).

        Building the client (finding an app installation) and refreshing an installation token happen
        inside PyGithub calls, so they are guarded too."""
        if self._closed:
            raise Permanent(f"{where} not sent: the client is closed (syncd is stopping)")
        try:
            return operation()
        except GithubException as error:
            raise self._mapped(error, where) from error
        except (requests.RequestException, httpx.TransportError) as error:
            raise Retriable(f"{where} failed: {type(error).__name__}; will retry", delay=0.0) from error

    def call(self, where: str, operation: Callable[[], T], *, idempotent: bool = True) -> T:
        """Run one PyGithub operation with failures mapped and short waits retried in-line."""
        return self._retrying(where, lambda: self.guarded(where, operation), idempotent=idempotent)

    def _retrying(self, where: str, once: Callable[[], T], *, idempotent: bool) -> T:
        def logged(attempt: int, error: BaseException | None) -> None:
            log.info("github.retrying", source=self.config.name, where=where, attempt=attempt, error=str(error))

        def observed() -> T:
            # Every attempt is told to the observer, the in-line retries' too: a storm they hide still counts.
            try:
                result = once()
            except TrackerError as error:
                self._note_budget()
                self._observer(RequestOutcome.failed(error, self._budget))
                raise
            self._note_budget()
            self._observer(RequestOutcome(RequestReason.OK, budget=self._budget))
            return result

        return self._retry.call(observed, idempotent=idempotent, on_retry=logged)

    def _note_budget(self) -> None:
        if self._github is None:
            return
        remaining, limit = self._github.requester.rate_limiting
        reset = self._github.requester.rate_limiting_resettime
        if remaining >= 0:
            resets_at = datetime.fromtimestamp(reset, UTC) if reset else None
            self._budget = Budget(remaining=remaining, limit=limit, resets_at=resets_at)

    def budget(self) -> Budget:
        """The rate-limit budget from the last `x-ratelimit-*` headers seen."""
        return self._budget

    # -- raw REST (where we need statuses, ETags and Link headers) ---------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One REST request through PyGithub's requester: (status, headers, JSON); failures raised mapped."""
        where = f"{method} {url.split('?', maxsplit=1)[0]}"

        def once() -> tuple[int, dict[str, str], Any]:
            status, got, text = self.guarded(
                where,
                lambda: self.github.requester.requestJson(method, url, dict(params or {}), dict(headers or {})),
            )
            data = _json(text)
            if status >= 400:
                message = str(data.get("message", "")) if isinstance(data, dict) else ""
                raise failure_from(
                    status,
                    got,
                    message,
                    where=where,
                    now=self._clock(),
                )
            return status, got, data

        return self._retrying(where, once, idempotent=method in ("GET", "PATCH", "PUT", "DELETE"))

    def list_issues(self, repo: str, *, since: datetime | None, etag: str | None) -> IssueListing:
        """`GET /repos/{repo}/issues?state=all&sort=updated&direction=asc[&since]`, every page via `Link`.

        The first page is conditional on `etag`: a 304 ends the listing at one request."""
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc", "per_page": PER_PAGE}
        if since is not None:
            params["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, headers, data = self.request(
            "GET", f"/repos/{repo}/issues", params=params, headers={"If-None-Match": etag} if etag else None
        )
        if status == 304:
            return IssueListing((), etag, not_modified=True, requests=1)
        items, requests_made, first_etag = list(_list(data, repo)), 1, headers.get("etag")
        url = next_link(headers.get("link"))
        while url is not None:
            _, headers, data = self.request("GET", url)
            items.extend(_list(data, repo))
            requests_made += 1
            url = next_link(headers.get("link"))
        return IssueListing(tuple(items), first_etag, not_modified=False, requests=requests_made)

    def get_issue(self, repo: str, number: int) -> JsonObject:
        """One issue (a transferred issue's 301 is followed to its new home); NotFound when gone."""
        _, _, data = self.request("GET", f"/repos/{repo}/issues/{number}")
        if not isinstance(data, dict):
            raise Permanent(f"GitHub answered GET /repos/{repo}/issues/{number} with something not an issue")
        return data

    # -- comments, issues, hooks, identity (PyGithub objects) ------------------------------------

    def _repo(self, repo: str) -> Repository:
        """A lazy PyGithub repository (no request until used); call inside a guarded operation."""
        return self.github.get_repo(repo)

    def issue_comments(self, repo: str, number: int) -> list[tuple[int, str]]:
        """(id, body) of every comment on an issue, oldest first."""
        return self.call(
            f"listing comments of {repo}#{number}",
            lambda: [(c.id, c.body) for c in self._repo(repo).get_issue(number).get_comments()],
        )

    def create_comment(self, repo: str, number: int, body: str) -> int:
        """Comment on an issue; returns the comment id (never retried in-line: a retry could duplicate it)."""
        where = f"commenting on {repo}#{number}"
        made = self.call(where, lambda: self._repo(repo).get_issue(number).create_comment(body), idempotent=False)
        return int(made.id)

    def edit_comment(self, repo: str, number: int, comment_id: int, body: str) -> None:
        """Replace a comment's body in place (`PATCH .../issues/comments/{id}`); NotFound when it is gone."""
        self.call(
            f"editing comment {comment_id} on {repo}#{number}",
            lambda: self._repo(repo).get_issue(number).get_comment(comment_id).edit(body),
        )

    def delete_comment(self, repo: str, number: int, comment_id: int) -> None:
        """Delete a comment (`DELETE .../issues/comments/{id}`); one already gone counts as deleted."""
        try:
            self.call(
                f"deleting comment {comment_id} on {repo}#{number}",
                lambda: self._repo(repo).get_issue(number).get_comment(comment_id).delete(),
            )
        except NotFound:
            return

    def labelled_issues(self, repo: str, label: str) -> list[tuple[int, str]]:
        """(number, body) of every issue of `repo` carrying `label`, open or closed."""
        return self.call(
            f"listing {label!r} issues of {repo}",
            lambda: [(i.number, i.body or "") for i in self._repo(repo).get_issues(state="all", labels=[label])],
        )

    def create_issue(self, repo: str, title: str, body: str, labels: list[str]) -> int:
        """Open an issue; returns its number (not retried in-line)."""
        where = f"opening an issue in {repo}"
        opened = self.call(where, lambda: self._repo(repo).create_issue(title, body, labels=labels), idempotent=False)
        return int(opened.number)

    def edit_issue_body(self, repo: str, number: int, body: str) -> None:
        """Replace an issue's body."""
        self.call(f"editing {repo}#{number}", lambda: self._repo(repo).get_issue(number).edit(body=body))

    def login(self) -> str:
        """Who the credentials speak for (`GET /user`; an app installation has no user and answers 403)."""
        return str(self.call("GET /user", lambda: self.github.get_user().login))

    def repository_permissions(self, repo: str) -> dict[str, bool]:
        """The credentials' permissions on a repository (`GET /repos/{o}/{r}`)."""
        permissions = self.call(f"GET /repos/{repo}", lambda: self._repo(repo).permissions)
        return {} if permissions is None else {k: bool(v) for k, v in permissions.raw_data.items()}

    def org_repositories(self, org: str) -> list[str]:
        """`owner/name` of every repository of an organization the credentials can see."""
        return self.call(
            f"listing repositories of {org}",
            lambda: [r.full_name for r in self.github.get_organization(org).get_repos()],
        )

    def hooks(self, repo: str) -> list[JsonObject]:
        """A repository's webhooks: id, url, events, active, content_type."""

        def listing() -> list[JsonObject]:
            return [
                {
                    "id": h.id,
                    "url": h.config.get("url"),
                    "events": sorted(h.events),
                    "active": h.active,
                    "content_type": h.config.get("content_type"),
                }
                for h in self._repo(repo).get_hooks()
            ]

        return self.call(f"listing hooks of {repo}", listing)

    def create_hook(self, repo: str, config: dict[str, str], events: list[str]) -> int:
        """Create a `web` hook; returns its id."""
        where = f"creating a hook on {repo}"
        made = self.call(where, lambda: self._repo(repo).create_hook("web", config, events, True), idempotent=False)
        return int(made.id)

    def update_hook(self, repo: str, hook_id: int, config: dict[str, str], events: list[str]) -> None:
        """Point an existing hook at our config and events, and activate it."""
        self.call(
            f"updating hook {hook_id} of {repo}",
            lambda: self._repo(repo).get_hook(hook_id).edit("web", config, events=events, active=True),
        )

    # -- GraphQL ---------------------------------------------------------------------------------

    def graphql(self, query: str, variables: Mapping[str, Any]) -> JsonObject:
        """One GraphQL request (httpx); `errors` map to NotFound/RateLimited/Permanent."""
        where = f"GraphQL {query.split('(', maxsplit=1)[0].strip()}"

        def post() -> httpx.Response:
            return self._http.post(
                self.config.graphql_endpoint,
                json={"query": query, "variables": dict(variables)},
                headers={"Authorization": f"bearer {self.token()}", "User-Agent": "syncd"},
            )

        def once() -> JsonObject:
            response = self.guarded(where, post)
            body = _json(response.text)
            if response.status_code >= 400:
                message = str(body.get("message", "")) if isinstance(body, dict) else ""
                raise failure_from(
                    response.status_code,
                    dict(response.headers),
                    message,
                    where=where,
                    now=self._clock(),
                )
            return _graphql_data(body, where)

        return self._retrying(where, once, idempotent=True)


def _graphql_data(body: Any, where: str) -> JsonObject:
    if not isinstance(body, dict):
        raise Permanent(f"{where}: GitHub answered something that is not a GraphQL response")
    errors = body.get("errors") or []
    if errors:
        raise _graphql_error(errors[0] if isinstance(errors[0], dict) else {}, where)
    data = body.get("data")
    if not isinstance(data, dict):
        raise Permanent(f"{where}: the GraphQL response has no data")
    return data


def _graphql_error(error: Mapping[str, Any], where: str) -> TrackerError:
    message = f"{where}: {error.get('message', 'GraphQL error')}"
    if error.get("type") == "RATE_LIMITED":
        return RateLimited(message, delay=SECONDARY_LIMIT_DELAY)
    if error.get("type") == "NOT_FOUND":
        return NotFound(message)
    return Permanent(message)


def _json(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"message": text[:200]}


def _list(data: Any, repo: str) -> list[JsonObject]:
    if not isinstance(data, list):
        raise Permanent(f"GitHub answered the issue listing of {repo} with something not a list")
    return [item for item in data if isinstance(item, dict)]
