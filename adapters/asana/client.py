"""The only module that talks to Asana: the official `asana` SDK (v5), configured, with failures mapped once.

Every call asks the SDK for the full payload (`full_payload=True`) so we follow `next_page` ourselves,
always pass `limit`, count requests, and see status codes. Failures become `Retriable`/`RateLimited`/
`NotFound`/`Permanent` here and nowhere else (DESIGN.md principle 5).

The SDK's own urllib3 retry policy retries GET/PUT on 429 and 5xx and sleeps through Retry-After
inside the call, invisible to our budget and pacing, and after its retries raises `MaxRetryError`. We
turn status retries off (see `_retry_policy`) so every 429 reaches us with its Retry-After; short
waits are retried in-line (`adapters.inline_retry`), long ones are raised for the runtime.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asana
import urllib3
from asana.rest import ApiException
from urllib3.util.retry import Retry

from adapters.inline_retry import InlineRetry
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable, TrackerError
from syncd.ports import Budget, RequestObserver, RequestOutcome, RequestReason, ignore_request

PAGE_LIMIT = 100
POOL_SIZE = 20
MAX_PAGES = 10_000
#: Attempts per call when failures are retried in-line (waits of 1 s and 2 s when the server names none).
INLINE_ATTEMPTS = 3
JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventsPage:
    """One `GET /events` answer: events, the next sync token, and whether more wait; `expired` when
    Asana answered 412 (the token was missing or too old) with a fresh token and no events."""

    events: tuple[JSON, ...]
    sync: str
    has_more: bool = False
    expired: bool = False


def _retry_policy() -> Retry:
    """urllib3 policy: retry only connection failures (nothing was sent), never statuses or reads.

    Status retries would hide 429 waits from our budget and pacing; read retries could repeat a POST
    that Asana already applied (a second comment)."""
    return Retry(
        total=2, connect=2, read=0, status=0, other=0, redirect=0,
        status_forcelist=(), respect_retry_after_header=False, raise_on_status=False,
    )  # fmt: skip


class AsanaClient:
    """Blocking Asana API calls through the SDK; thread-safe; counts requests and tracks the budget."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float,
        requests_per_minute: int,
        sleep: Callable[[float], None] = time.sleep,
        observer: RequestObserver = ignore_request,
    ) -> None:
        self._observer = observer
        self._closed = False
        configuration = asana.Configuration()
        # The SDK adds a stderr handler to the `asana` and `urllib3` loggers for every Configuration: their
        # records already reach syncd's root handler (formatted and redacted), so they would print twice.
        for logger in configuration.logger.values():
            logger.removeHandler(configuration.logger_stream_handler)
        configuration.host = base_url.rstrip("/")
        configuration.access_token = token
        configuration.retry_strategy = _retry_policy()
        configuration.page_limit = PAGE_LIMIT
        # Room for Asana's 15 concurrent writes plus reads, so urllib3 never discards pooled connections.
        configuration.connection_pool_maxsize = POOL_SIZE
        self._api = asana.ApiClient(configuration)
        self._timeout = (timeout, timeout)
        self._limit = requests_per_minute
        # A 429 means Asana did nothing, so even a write is retried in-line after its Retry-After.
        self._retry = InlineRetry(INLINE_ATTEMPTS, sleep, retry_rate_limited_writes=True)
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._held_until = 0.0
        self.requests = 0

    # --- reads ---
    def me(self) -> JSON:
        """`GET /users/me`: the token's owner and workspaces."""
        return self._data(
            "GET /users/me", asana.UsersApi(self._api).get_user, "me", {"opt_fields": "name,email,workspaces"}
        )

    def project(self, gid: str, fields: str) -> JSON:
        """`GET /projects/{gid}`."""
        return self._data(f"GET /projects/{gid}", asana.ProjectsApi(self._api).get_project, gid, {"opt_fields": fields})

    def team_projects(self, team: str, fields: str) -> list[JSON]:
        """Every unarchived project of a team."""
        api = asana.ProjectsApi(self._api)
        return self._all(
            f"GET /teams/{team}/projects", api.get_projects_for_team, team, {"opt_fields": fields, "archived": False}
        )

    def project_tasks(self, project: str, fields: str) -> list[JSON]:
        """Every task of a project, page by page (`limit=100`)."""
        api = asana.TasksApi(self._api)
        return self._all(f"GET /projects/{project}/tasks", api.get_tasks_for_project, project, {"opt_fields": fields})

    def task(self, gid: str, fields: str) -> JSON:
        """`GET /tasks/{gid}` with the fields asked for."""
        return self._data(f"GET /tasks/{gid}", asana.TasksApi(self._api).get_task, gid, {"opt_fields": fields})

    def subtasks(self, gid: str, fields: str) -> list[JSON]:
        """Every subtask of a task."""
        api = asana.TasksApi(self._api)
        return self._all(f"GET /tasks/{gid}/subtasks", api.get_subtasks_for_task, gid, {"opt_fields": fields})

    def stories(self, task: str, fields: str) -> list[JSON]:
        """Every story of a task, oldest first."""
        api = asana.StoriesApi(self._api)
        return self._all(f"GET /tasks/{task}/stories", api.get_stories_for_task, task, {"opt_fields": fields})

    def custom_field_settings(self, project: str, fields: str) -> list[JSON]:
        """The custom fields added to a project."""
        api = asana.CustomFieldSettingsApi(self._api)
        what = f"GET /projects/{project}/custom_field_settings"
        return self._all(what, api.get_custom_field_settings_for_project, project, {"opt_fields": fields})

    def custom_field(self, gid: str, fields: str) -> JSON:
        """`GET /custom_fields/{gid}`."""
        api = asana.CustomFieldsApi(self._api)
        return self._data(f"GET /custom_fields/{gid}", api.get_custom_field, gid, {"opt_fields": fields})

    def goal(self, gid: str, fields: str) -> JSON:
        """`GET /goals/{gid}`."""
        return self._data(f"GET /goals/{gid}", asana.GoalsApi(self._api).get_goal, gid, {"opt_fields": fields})

    def webhooks(self, workspace: str, resource: str, fields: str) -> list[JSON]:
        """Our webhooks on one resource."""
        api = asana.WebhooksApi(self._api)
        opts = {"opt_fields": fields, "resource": resource}
        return self._all(f"GET /webhooks?resource={resource}", api.get_webhooks, workspace, opts)

    def events(self, resource: str, sync: str | None) -> EventsPage:
        """`GET /events` for one resource since `sync`; a 412 comes back as `expired` with a fresh token."""
        opts = {} if sync is None else {"sync": sync}
        api = asana.EventsApi(self._api)
        try:
            body = self._call(f"GET /events?resource={resource}", True, api.get_events, resource, opts)
        except _SyncExpired as expired:
            return EventsPage((), expired.sync, expired=True)
        return EventsPage(tuple(body.get("data") or ()), str(body["sync"]), bool(body.get("has_more")))

    def batch(self, actions: list[JSON]) -> list[JSON]:
        """`POST /batch` (at most 10 actions): each result's `status_code` and `body`, in order. All our
        batches are reads, so they are retried like GETs."""
        api = asana.BatchAPIApi(self._api)
        body = self._call("POST /batch", True, api.create_batch_request, {"data": {"actions": actions}}, {})
        results: list[JSON] = body.get("data") or []
        if len(results) != len(actions):
            raise Retriable(f"asana POST /batch answered {len(results)} results for {len(actions)} actions", delay=0)
        return results

    # --- writes ---
    def create_story(self, task: str, html_text: str, fields: str) -> JSON:
        """`POST /tasks/{gid}/stories`: a new comment. Not retried in-line after a 5xx or timeout (it may
        have been created); the caller finds it by its marker next time."""
        api = asana.StoriesApi(self._api)
        body = {"data": {"html_text": html_text}}
        return self._data(
            f"POST /tasks/{task}/stories",
            api.create_story_for_task,
            body,
            task,
            {"opt_fields": fields},
            idempotent=False,
        )

    def update_story(self, story: str, html_text: str, fields: str) -> JSON:
        """`PUT /stories/{gid}`: replace a comment's text."""
        api = asana.StoriesApi(self._api)
        body = {"data": {"html_text": html_text}}
        return self._data(f"PUT /stories/{story}", api.update_story, body, story, {"opt_fields": fields})

    def delete_story(self, story: str) -> None:
        """`DELETE /stories/{gid}`: remove a comment (a duplicate of ours that a late create left)."""
        api = asana.StoriesApi(self._api)
        self._data(f"DELETE /stories/{story}", api.delete_story, story)

    def set_custom_fields(self, task: str, values: Mapping[str, float | str | None], fields: str) -> JSON:
        """`PUT /tasks/{gid}` with `{"custom_fields": {gid: value}}`."""
        api = asana.TasksApi(self._api)
        body = {"data": {"custom_fields": dict(values)}}
        return self._data(f"PUT /tasks/{task}", api.update_task, body, task, {"opt_fields": fields})

    def set_goal_metric(self, goal: str, value: float, fields: str) -> JSON:
        """`POST /goals/{gid}/setMetricCurrentValue` (setting a value twice is harmless: idempotent)."""
        api = asana.GoalsApi(self._api)
        body = {"data": {"current_number_value": value}}
        return self._data(
            f"POST /goals/{goal}/setMetricCurrentValue", api.update_goal_metric, body, goal, {"opt_fields": fields}
        )

    def create_webhook(self, resource: str, target: str, fields: str) -> tuple[JSON, str | None]:
        """`POST /webhooks`; Asana handshakes with `target` before answering. The webhook, and the
        `X-Hook-Secret` the answer repeats beside it (None when it does not)."""
        api = asana.WebhooksApi(self._api)
        body = {"data": {"resource": resource, "target": target}}
        answer = self._call("POST /webhooks", False, api.create_webhook, body, {"opt_fields": fields})
        data = answer.get("data")
        if not isinstance(data, dict):
            raise Permanent(
                "asana POST /webhooks answered without a data object; is base_url the API root (…/api/1.0)?"
            )
        secret = answer.get("X-Hook-Secret")
        return data, secret if isinstance(secret, str) and secret else None

    def delete_webhook(self, gid: str) -> None:
        """`DELETE /webhooks/{gid}`: stop a webhook."""
        api = asana.WebhooksApi(self._api)
        self._call(f"DELETE /webhooks/{gid}", True, api.delete_webhook, gid)

    # --- budget and lifecycle ---
    def budget(self) -> Budget:
        """Requests left in the current minute by our own count, or 0 until a 429's Retry-After ends."""
        now = time.time()
        with self._lock:
            self._forget(now)
            if now < self._held_until:
                return Budget(0, self._limit, datetime.fromtimestamp(self._held_until, UTC))
            resets = self._recent[0] + 60.0 if self._recent else now
            return Budget(max(0, self._limit - len(self._recent)), self._limit, datetime.fromtimestamp(resets, UTC))

    def close(self) -> None:
        """Release the SDK's thread pool and connections; later calls are refused before anything is sent."""
        self._closed = True
        pool = getattr(self._api, "pool", None)
        if pool is not None:
            pool.close()
            pool.join()
            del self._api.pool
        self._api.rest_client.pool_manager.clear()

    # --- plumbing ---
    def _data(self, what: str, fn: Callable[..., Any], *args: Any, idempotent: bool = True) -> JSON:
        body = self._call(what, idempotent, fn, *args)
        data = body.get("data")
        if not isinstance(data, dict):
            raise Permanent(f"asana {what} answered without a data object; is base_url the API root (…/api/1.0)?")
        return data

    def _all(self, what: str, fn: Callable[..., Any], gid: str, opts: JSON) -> list[JSON]:
        return [item for page in self._pages(what, fn, gid, opts) for item in page]

    def _pages(self, what: str, fn: Callable[..., Any], gid: str, opts: JSON) -> Iterator[list[JSON]]:
        seen: set[str] = set()
        query = {**opts, "limit": PAGE_LIMIT}
        for _ in range(MAX_PAGES):
            body = self._call(what, True, fn, gid, dict(query))
            yield list(body.get("data") or [])
            offset = (body.get("next_page") or {}).get("offset")
            if not offset:
                return
            if offset in seen:
                raise Permanent(f"asana {what} returned the same next_page offset twice; stopped to avoid a loop")
            seen.add(offset)
            query["offset"] = offset
        raise Permanent(f"asana {what} had more than {MAX_PAGES} pages; stopped")

    def _call(self, what: str, idempotent: bool, fn: Callable[..., Any], *args: Any) -> JSON:
        return self._retry.call(lambda: self._once(what, fn, *args), idempotent=idempotent)

    def _once(self, what: str, fn: Callable[..., Any], *args: Any) -> JSON:
        if self._closed:
            raise Permanent(f"asana {what} not sent: the client is closed (syncd is stopping)")
        self._count()
        try:
            body, status, _headers = fn(
                *args, full_payload=True, _return_http_data_only=False, _request_timeout=self._timeout
            )
        except ApiException as error:
            failure = self._failure(what, error)
            if isinstance(failure, TrackerError):
                self._observer(RequestOutcome.failed(failure, self.budget()))
            else:  # 412 with a fresh sync token: an answer of the Events API, not a failure
                self._observer(RequestOutcome(RequestReason.OK, 412, self.budget()))
            raise failure from None
        except urllib3.exceptions.HTTPError as error:
            transit = Retriable(f"asana {what} failed in transit ({type(error).__name__}); it will be retried", delay=0)
            self._observer(RequestOutcome.failed(transit, self.budget()))
            raise transit from None
        if not isinstance(body, dict):
            odd = Retriable(f"asana {what} answered a body that is not a JSON object", delay=0, status=status)
            self._observer(RequestOutcome.failed(odd, self.budget()))
            raise odd
        self._observer(RequestOutcome(RequestReason.OK, status, self.budget()))
        return body

    def _failure(self, what: str, error: ApiException) -> TrackerError | _SyncExpired:
        status = int(error.status or 0)
        body = _error_body(error)
        if status == 412 and isinstance(body.get("sync"), str):
            return _SyncExpired(body["sync"])
        failure = map_status(what, status, _header(error, "Retry-After"), _messages(body))
        if isinstance(failure, RateLimited):
            with self._lock:
                self._held_until = max(self._held_until, time.time() + failure.delay)
        return failure

    def _count(self) -> None:
        now = time.time()
        with self._lock:
            self.requests += 1
            self._recent.append(now)
            self._forget(now)

    def _forget(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - 60.0:
            self._recent.popleft()


class _SyncExpired(Exception):
    """Internal: Asana answered 412 to `GET /events` with a fresh sync token."""

    def __init__(self, sync: str) -> None:
        super().__init__("sync token expired")
        self.sync = sync


def map_status(what: str, status: int, retry_after: str | None, message: str) -> TrackerError:
    """The one mapping of an Asana failure: 429 -> RateLimited(Retry-After), 5xx/0 -> Retriable,
    404/410 -> NotFound, 401/403 -> Permanent with the fix, other 4xx -> Permanent."""
    said = f": {message}" if message else ""
    if status == 429:
        delay = _seconds(retry_after)
        return RateLimited(f"asana {what} was rate limited (429); retry after {delay:g}s", delay=delay, status=429)
    if status == 0 or status >= 500:
        return Retriable(
            f"asana {what} failed with {status or 'no answer'}{said}", delay=_seconds(retry_after), status=status
        )
    if status in {404, 410}:
        return NotFound(f"asana {what} found nothing ({status}){said}", status=status)
    if status in {401, 403}:
        fix = "check the source's token (a personal access token or OAuth token with access to this workspace)"
        return Permanent(f"asana {what} was refused ({status}){said}; {fix}", status=status)
    return Permanent(f"asana {what} was rejected ({status}){said}", status=status)


def _seconds(retry_after: str | None) -> float:
    if not retry_after:
        return 0.0
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        return 0.0


def _header(error: ApiException, name: str) -> str | None:
    headers = error.headers or {}
    value = headers.get(name)
    return None if value is None else str(value)


def _error_body(error: ApiException) -> JSON:
    try:
        body = json.loads(error.body or b"{}")
    except (ValueError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _messages(body: Mapping[str, Any]) -> str:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return ""
    return "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
