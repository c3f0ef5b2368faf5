"""The only module of the GitLab adapter that does I/O: python-gitlab against the REST API v4, and httpx
posting GraphQL documents to `{base_url}/api/graphql` (custom fields: python-gitlab has no GraphQL of its own
worth the name) with the same token.

python-gitlab would sleep through 429s (`obey_rate_limit`) and retry up to ten times on its own; here every
request is sent once (`obey_rate_limit=False`, `max_retries=0`, `retry_transient_errors=False`), each failure
is mapped once (`adapters.gitlab.failures`) and short waits are retried in-line with tenacity
(`adapters.inline_retry`): reads and idempotent writes after 5xx and 429, a note create only after a 429
(GitLab did nothing), never after a 5xx or a lost answer (it may have landed). Longer waits go to the runtime.
Every response's headers are seen (a `requests` response hook): the `RateLimit-*` budget, and the headers a
failure is mapped with. A GraphQL answer is mapped the same way by its HTTP status; one that says `errors`
(HTTP 200, as GitLab answers them) is `Permanent` with GitLab's messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import gitlab
import httpx
import requests
from gitlab.base import RESTObject

from adapters.gitlab.config import GitLabSourceConfig
from adapters.gitlab.failures import budget_from, failure_from, graphql_failure
from adapters.gitlab.normalize import ISSUE
from adapters.inline_retry import InlineRetry
from syncd.core.errors import Permanent, Retriable, TrackerError
from syncd.ports import Budget, RequestObserver, RequestOutcome, RequestReason, ignore_request

T = TypeVar("T")
JsonObject = dict[str, Any]
#: Items per list page (GitLab's largest).
PER_PAGE = 100
INLINE_ATTEMPTS = 4
#: Every request is sent once: syncd decides waits and retries, not the SDK.
ONCE = {"obey_rate_limit": False, "max_retries": 0, "retry_transient_errors": False}
#: The events a syncd project hook listens to.
HOOK_EVENTS = ("issues_events", "confidential_issues_events", "merge_requests_events", "note_events")


class _SentOnce(gitlab.Gitlab):
    """python-gitlab with its hidden sleeping and retrying turned off for every request it makes."""

    def http_request(self, *args: Any, **kwargs: Any) -> requests.Response:
        """One request, never slept through or repeated by the SDK."""
        return super().http_request(*args, **{**kwargs, **ONCE})


class GitLabClient:
    """Blocking GitLab calls for one source; thread-safe; tells `observer` of every request."""

    def __init__(
        self,
        config: GitLabSourceConfig,
        *,
        observer: RequestObserver = ignore_request,
        retry: InlineRetry | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._gl = _SentOnce(
            config.instance,
            private_token=config.token.get_secret_value(),
            timeout=config.timeout.total_seconds(),
            per_page=PER_PAGE,
            user_agent="syncd",
        )
        self._gl.session.hooks["response"].append(self._seen)
        self._token = config.token.get_secret_value()
        self._http = httpx.Client(
            headers={"Authorization": f"Bearer {self._token}", "User-Agent": "syncd"},
            timeout=config.timeout.total_seconds(),
        )
        self._graphql_url = f"{config.instance}/api/graphql"
        self._observer = observer
        # A 429 means GitLab did nothing, so even a note create is retried in-line after its wait.
        self._retry = retry or InlineRetry(INLINE_ATTEMPTS, retry_rate_limited_writes=True)
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._budget = Budget()
        self.requests = 0

    # -- plumbing ----------------------------------------------------------------------------------
    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        headers = {name.lower(): value for name, value in response.headers.items()}
        self._local.headers = headers
        self._count(headers)

    def thread_requests(self) -> int:
        """Requests this thread has sent so far (a listing's cost is the difference)."""
        return int(getattr(self._local, "requests", 0))

    def call(self, where: str, operation: Callable[[], T], *, idempotent: bool = True) -> T:
        """Run one python-gitlab operation: failures mapped, short waits retried in-line when that is safe."""
        return self._retry.call(lambda: self._once(where, operation), idempotent=idempotent)

    def _once(self, where: str, operation: Callable[[], T]) -> T:
        self._local.headers = {}
        try:
            result = operation()
        except gitlab.exceptions.GitlabError as error:
            failure = self._mapped(error, where)
            self._observer(RequestOutcome.failed(failure, self.budget()))
            raise failure from None
        except requests.RequestException as error:
            transit = Retriable(f"GitLab {where} failed in transit ({type(error).__name__}); will retry", delay=0.0)
            self._observer(RequestOutcome.failed(transit, self.budget()))
            raise transit from None
        self._observer(RequestOutcome(RequestReason.OK, 200, self.budget()))
        return result

    def _mapped(self, error: gitlab.exceptions.GitlabError, where: str) -> TrackerError:
        if error.response_code is None:
            return Permanent(f"GitLab {where}: the answer could not be read ({type(error).__name__})")
        headers: Mapping[str, str] = getattr(self._local, "headers", {})
        message = error.error_message if isinstance(error.error_message, str) else ""
        return failure_from(error.response_code, headers, message, where=where, now=self._clock())

    def budget(self) -> Budget:
        """The budget the last `RateLimit-*` headers told (unknown until GitLab sends them)."""
        with self._lock:
            return self._budget

    def close(self) -> None:
        """Release connections."""
        self._gl.session.close()
        self._http.close()

    # -- GraphQL -----------------------------------------------------------------------------------
    def graphql(self, where: str, query: str, variables: Mapping[str, Any], *, idempotent: bool = True) -> JsonObject:
        """POST one document to `/api/graphql`; its `data` (HTTP failures mapped like REST ones, `errors` ->
        `Permanent`). `where` names the operation in messages."""
        payload = {"query": query, "variables": dict(variables)}
        return self._retry.call(lambda: self._graphql_once(where, payload), idempotent=idempotent)

    def _graphql_once(self, where: str, payload: Mapping[str, Any]) -> JsonObject:
        try:
            response = self._http.post(self._graphql_url, json=payload)
        except httpx.TransportError as error:
            transit = Retriable(f"GitLab {where} failed in transit ({type(error).__name__}); will retry", delay=0.0)
            self._observer(RequestOutcome.failed(transit, self.budget()))
            raise transit from None
        headers = {name.lower(): value for name, value in response.headers.items()}
        self._count(headers)
        body = _json(response)
        errors = [self._redacted(str(e.get("message") or "")) for e in body.get("errors") or () if isinstance(e, dict)]
        failure: TrackerError | None = None
        if response.status_code >= 400:
            failure = failure_from(response.status_code, headers, "; ".join(errors), where=where, now=self._clock())
        elif errors:
            failure = graphql_failure(errors, where=where)
        elif not isinstance(body.get("data"), dict):
            failure = Permanent(
                f"GitLab {where} answered no GraphQL data; is base_url the instance (https://gitlab.com)?"
            )
        if failure is not None:
            self._observer(RequestOutcome.failed(failure, self.budget()))
            raise failure
        self._observer(RequestOutcome(RequestReason.OK, response.status_code, self.budget()))
        data: JsonObject = body["data"]
        return data

    def _count(self, headers: Mapping[str, str]) -> None:
        """Count a request this thread sent and remember the budget its headers told."""
        self._local.requests = getattr(self._local, "requests", 0) + 1
        told = budget_from(headers)
        with self._lock:
            self.requests += 1
            if told is not None:
                self._budget = told

    def _redacted(self, message: str) -> str:
        return message.replace(self._token, "[redacted]") if self._token else message

    # -- reads -------------------------------------------------------------------------------------
    def _project(self, path: str) -> Any:
        return self._gl.projects.get(path, lazy=True)

    def _items(self, path: str, kind: str) -> Any:
        project = self._project(path)
        return project.issues if kind == ISSUE else project.mergerequests

    def list_items(self, path: str, kind: str, since: str | None) -> list[JsonObject]:
        """Every issue (or merge request) of a project updated on or after `since` (ISO 8601), oldest change
        first: `state=all`, `order_by=updated_at`, `sort=asc`, 100 a page, pages followed by `Link`."""
        params: dict[str, Any] = {"state": "all", "order_by": "updated_at", "sort": "asc", "per_page": PER_PAGE}
        if since is not None:
            params["updated_after"] = since
        listing = f"GET /projects/{path}/{'issues' if kind == ISSUE else 'merge_requests'}"
        return self.call(listing, lambda: _attributes(self._items(path, kind).list(iterator=True, **params)))

    def get_item(self, path: str, kind: str, iid: int) -> JsonObject:
        """One issue or merge request (NotFound when deleted or not visible)."""
        where = f"GET /projects/{path}/{'issues' if kind == ISSUE else 'merge_requests'}/{iid}"
        return self.call(where, lambda: dict(self._items(path, kind).get(iid).attributes))

    def notes(self, path: str, kind: str, iid: int) -> list[tuple[int, str]]:
        """(id, body) of every note of an issue or merge request, oldest first."""
        where = f"listing notes of {path} {kind} {iid}"

        def listing() -> list[tuple[int, str]]:
            found = (
                self._items(path, kind)
                .get(iid, lazy=True)
                .notes.list(iterator=True, sort="asc", order_by="created_at", per_page=PER_PAGE)
            )
            return [(int(note.id), str(note.body or "")) for note in found]

        return self.call(where, listing)

    # -- writes ------------------------------------------------------------------------------------
    def create_note(self, path: str, kind: str, iid: int, body: str) -> int:
        """A new note; its id (retried in-line only after a 429: a retry after a lost answer could duplicate it)."""
        where = f"creating a note on {path} {kind} {iid}"
        made = self.call(
            where, lambda: self._items(path, kind).get(iid, lazy=True).notes.create({"body": body}), idempotent=False
        )
        return int(made.id)

    def edit_note(self, path: str, kind: str, iid: int, note_id: int, body: str) -> None:
        """Replace a note's body in place (`PUT .../notes/:note_id`); NotFound when it is gone."""
        where = f"editing note {note_id} on {path} {kind} {iid}"
        self.call(where, lambda: self._items(path, kind).get(iid, lazy=True).notes.update(note_id, {"body": body}))

    def delete_note(self, path: str, kind: str, iid: int, note_id: int) -> None:
        """Delete a note (`DELETE .../notes/:note_id`)."""
        where = f"deleting note {note_id} on {path} {kind} {iid}"
        self.call(where, lambda: self._items(path, kind).get(iid, lazy=True).notes.delete(note_id))

    # -- projects, groups, hooks, identity -----------------------------------------------------------
    def current_user(self) -> JsonObject:
        """`GET /user`: who the token speaks for."""
        answer = self.call("GET /user", lambda: self._gl.http_get("/user"))
        if not isinstance(answer, dict):
            raise Permanent("GitLab GET /user answered no JSON object; is base_url the instance (https://gitlab.com)?")
        return answer

    def token_scopes(self) -> list[str]:
        """The token's scopes (`GET /personal_access_tokens/self`)."""
        answer = self.call(
            "GET /personal_access_tokens/self", lambda: self._gl.http_get("/personal_access_tokens/self")
        )
        scopes = answer.get("scopes") if isinstance(answer, dict) else None
        return [str(scope) for scope in scopes] if isinstance(scopes, list) else []

    def project(self, path: str) -> JsonObject:
        """`GET /projects/:id` (its `permissions` say the token's access level)."""
        return self.call(f"GET /projects/{path}", lambda: dict(self._gl.projects.get(path).attributes))

    def group_projects(self, group: str) -> list[str]:
        """Full paths of every project of a group and its subgroups (`include_subgroups=true`)."""

        def listing() -> list[str]:
            found = self._gl.groups.get(group, lazy=True).projects.list(
                iterator=True, include_subgroups=True, archived=False, per_page=PER_PAGE
            )
            return [str(project.path_with_namespace) for project in found]

        return self.call(f"listing projects of group {group}", listing)

    def hooks(self, path: str) -> list[JsonObject]:
        """A project's webhooks."""
        return self.call(
            f"GET /projects/{path}/hooks", lambda: _attributes(self._project(path).hooks.list(iterator=True))
        )

    def create_hook(self, path: str, hook: Mapping[str, Any]) -> int:
        """A new project hook; its id."""
        made = self.call(
            f"POST /projects/{path}/hooks", lambda: self._project(path).hooks.create(dict(hook)), idempotent=False
        )
        return int(made.id)

    def edit_hook(self, path: str, hook_id: int, hook: Mapping[str, Any]) -> None:
        """Replace a project hook's settings."""
        self.call(
            f"PUT /projects/{path}/hooks/{hook_id}", lambda: self._project(path).hooks.update(hook_id, dict(hook))
        )


def _attributes(objects: Iterable[RESTObject]) -> list[JsonObject]:
    return [dict(item.attributes) for item in objects]


def _json(response: httpx.Response) -> JsonObject:
    """The answer's JSON object, or {} when it is none (a proxy's HTML page, rack-attack's `Retry later`)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
