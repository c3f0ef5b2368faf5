"""The only module of the Jira adapter that does I/O: httpx against Jira's REST API, v3 on Cloud, v2 on
Data Center / Server (the flavour is read once from `GET /rest/api/2/serverInfo`, see `adapters.jira.flavour`).

Auth: with `email`, HTTP basic `email:token` (a Cloud API token); without, `Bearer token` (a Data Center
personal access token). Searches page by `nextPageToken` on Cloud (`POST /search/jql`) and by `startAt`
on Data Center (`POST /search`, which answers `total`). Every failure is mapped once (`adapters.jira.failures`); short waits are retried
in-line with tenacity (`adapters.inline_retry`): reads and idempotent writes after 5xx and 429, a comment
create only after a 429 (Jira did nothing), never after a 5xx or a lost answer (it may have landed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

from adapters.inline_retry import InlineRetry
from adapters.jira.config import JiraSourceConfig
from adapters.jira.failures import budget_from, failure_from
from adapters.jira.flavour import SERVER_INFO, Deployment, deployment_from
from syncd.core.errors import NotFound, Permanent, Retriable, TrackerError
from syncd.ports import Budget, RequestObserver, RequestOutcome, RequestReason, ignore_request

JsonObject = dict[str, Any]
#: A comment body: an ADF document (Cloud) or wiki markup (Data Center).
CommentBody = JsonObject | str
WEBHOOKS = "/rest/webhooks/1.0/webhook"
#: Issues per search page (Jira Cloud's largest for `POST /search/jql` with explicit fields).
PAGE_SIZE = 100
COMMENT_PAGE = 100
MAX_PAGES = 10_000
INLINE_ATTEMPTS = 4


class JiraClient:
    """Blocking Jira REST calls over one httpx client; thread-safe; tells `observer` of every request."""

    def __init__(
        self,
        config: JiraSourceConfig,
        *,
        observer: RequestObserver = ignore_request,
        retry: InlineRetry | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        token = config.token.get_secret_value()
        auth: httpx.Auth | None = httpx.BasicAuth(config.email, token) if config.email else None
        headers = {"Accept": "application/json"} | ({} if config.email else {"Authorization": f"Bearer {token}"})
        self._http = httpx.Client(
            base_url=config.site,
            auth=auth,
            headers=headers,
            timeout=config.timeout.total_seconds(),
            transport=transport,
        )
        self._observer = observer
        # A 429 means Jira did nothing, so even a comment create is retried in-line after its Retry-After.
        self._retry = retry or InlineRetry(INLINE_ATTEMPTS, retry_rate_limited_writes=True)
        self._budget = Budget()
        self._lock = threading.Lock()
        self._detecting = threading.Lock()
        self._deployment: Deployment | None = None
        self.requests = 0

    # -- the flavour -------------------------------------------------------------------------------
    def deployment(self) -> Deployment:
        """Cloud or Data Center / Server (`GET /rest/api/2/serverInfo` once; every later call knows)."""
        with self._detecting:
            if self._deployment is None:
                self._deployment = deployment_from(self._object("GET", SERVER_INFO))
            return self._deployment

    def _api(self) -> str:
        return self.deployment().api

    # -- reads -----------------------------------------------------------------------------------
    def myself(self) -> JsonObject:
        """`GET /myself`: the API user (its `timeZone` governs JQL dates)."""
        return self._object("GET", f"{self._api()}/myself")

    def fields(self) -> list[JsonObject]:
        """`GET /field`: every system and custom field."""
        answer = self._json("GET", f"{self._api()}/field")
        return [field for field in answer if isinstance(field, dict)] if isinstance(answer, list) else []

    def search(self, jql: str, fields: Sequence[str], *, page_size: int = PAGE_SIZE) -> Iterator[list[JsonObject]]:
        """The issues `jql` finds, page by page, `page_size` issues a page (Cloud or Data Center paging)."""
        if self.deployment().cloud:
            return self._search_by_token(jql, fields, page_size)
        return self._search_by_offset(jql, fields, page_size)

    def _search_by_offset(self, jql: str, fields: Sequence[str], page_size: int) -> Iterator[list[JsonObject]]:
        """`POST /rest/api/2/search` (Data Center): `startAt` moves by what came, until `total` is reached."""
        start = 0
        for _ in range(MAX_PAGES):
            body: JsonObject = {"jql": jql, "fields": list(fields), "startAt": start, "maxResults": page_size}
            page = self._object("POST", f"{self._api()}/search", json=body)
            issues = [issue for issue in page.get("issues") or [] if isinstance(issue, dict)]
            yield issues
            start += len(issues)
            total = page.get("total")
            if not issues or not isinstance(total, int) or start >= total:
                return
        raise Permanent(f"Jira POST /search had more than {MAX_PAGES} pages; stopped")

    def _search_by_token(self, jql: str, fields: Sequence[str], page_size: int) -> Iterator[list[JsonObject]]:
        """`POST /rest/api/3/search/jql` (Cloud), page by page (`nextPageToken`)."""
        body: JsonObject = {"jql": jql, "fields": list(fields), "maxResults": page_size}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = self._object("POST", f"{self._api()}/search/jql", json=body)
            issues = page.get("issues") or []
            yield [issue for issue in issues if isinstance(issue, dict)]
            token = page.get("nextPageToken")
            if not isinstance(token, str) or not token or page.get("isLast") is True:
                return
            if token in seen:
                raise Permanent("Jira POST /search/jql returned the same nextPageToken twice; stopped to avoid a loop")
            seen.add(token)
            body = {**body, "nextPageToken": token}
        raise Permanent(f"Jira POST /search/jql had more than {MAX_PAGES} pages; stopped")

    def issue(self, key: str, fields: Sequence[str]) -> JsonObject:
        """`GET /issue/{key}` with `fields` (NotFound when deleted or not visible)."""
        return self._object("GET", f"{self._api()}/issue/{key}", params={"fields": ",".join(fields)})

    def edit_meta(self, key: str) -> JsonObject:
        """`GET /issue/{key}/editmeta`: the fields on the issue's edit screen (id -> name, schema, operations)."""
        fields = self._object("GET", f"{self._api()}/issue/{key}/editmeta").get("fields")
        return fields if isinstance(fields, dict) else {}

    def project(self, key: str) -> JsonObject:
        """`GET /project/{key}` (NotFound when it does not exist or the account cannot browse it)."""
        return self._object("GET", f"{self._api()}/project/{key}")

    def comments(self, key: str) -> list[JsonObject]:
        """Every comment of an issue with its properties, oldest first."""
        found: list[JsonObject] = []
        for _ in range(MAX_PAGES):
            params = {"startAt": str(len(found)), "maxResults": str(COMMENT_PAGE), "expand": "properties"}
            page = self._object("GET", f"{self._api()}/issue/{key}/comment", params=params)
            batch = [c for c in page.get("comments") or [] if isinstance(c, dict)]
            found += batch
            if not batch or len(found) >= int(page.get("total") or 0):
                return found
        raise Permanent(f"Jira GET /issue/{key}/comment had more than {MAX_PAGES} pages; stopped")

    def issue_property(self, key: str, name: str) -> Any:
        """The value of an issue entity property, or None when the issue has none of that name."""
        try:
            return self._object("GET", f"{self._api()}/issue/{key}/properties/{name}").get("value")
        except NotFound:
            return None

    # -- writes ----------------------------------------------------------------------------------
    def create_comment(self, key: str, body: CommentBody, properties: Mapping[str, Any]) -> str:
        """`POST /issue/{key}/comment` with a body (ADF or wiki) and comment properties; the new comment's id."""
        payload = {"body": body, "properties": [{"key": k, "value": v} for k, v in properties.items()]}
        created = self._object("POST", f"{self._api()}/issue/{key}/comment", json=payload, idempotent=False)
        return str(created["id"])

    def update_comment(self, key: str, comment_id: str, body: CommentBody) -> None:
        """`PUT /issue/{key}/comment/{id}?notifyUsers=false`: replace the body, telling no watcher."""
        path = f"{self._api()}/issue/{key}/comment/{comment_id}"
        self._json("PUT", path, json={"body": body}, params={"notifyUsers": "false"})

    def delete_comment(self, key: str, comment_id: str) -> None:
        """`DELETE /issue/{key}/comment/{id}`."""
        self._json("DELETE", f"{self._api()}/issue/{key}/comment/{comment_id}")

    def set_issue_property(self, key: str, name: str, value: Any) -> None:
        """`PUT /issue/{key}/properties/{name}`: set an issue entity property to `value`."""
        self._json("PUT", f"{self._api()}/issue/{key}/properties/{name}", json=value)

    def edit_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        """`PUT /issue/{key}?notifyUsers=false`: set fields, telling no watcher."""
        path = f"{self._api()}/issue/{key}"
        self._json("PUT", path, json={"fields": dict(fields)}, params={"notifyUsers": "false"})

    # -- the admin-webhook API (`/rest/webhooks/1.0`, the same on both flavours) -------------------------
    def admin_webhooks(self) -> list[JsonObject]:
        """Every admin webhook of the site."""
        answer = self._json("GET", WEBHOOKS)
        return [hook for hook in answer if isinstance(hook, dict)] if isinstance(answer, list) else []

    def create_admin_webhook(self, hook: Mapping[str, Any]) -> JsonObject:
        """`POST /rest/webhooks/1.0/webhook`: a new admin webhook."""
        return self._object("POST", WEBHOOKS, json=dict(hook), idempotent=False)

    def update_admin_webhook(self, hook_id: str, hook: Mapping[str, Any]) -> JsonObject:
        """`PUT /rest/webhooks/1.0/webhook/{id}`: replace an admin webhook's settings."""
        return self._object("PUT", f"{WEBHOOKS}/{hook_id}", json=dict(hook))

    # -- budget and lifecycle ----------------------------------------------------------------------
    def budget(self) -> Budget:
        """The budget the last `X-RateLimit-*` headers told (unknown until Jira sends them)."""
        with self._lock:
            return self._budget

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    # -- plumbing --------------------------------------------------------------------------------
    def _object(self, method: str, path: str, *, idempotent: bool = True, **options: Any) -> JsonObject:
        answer = self._json(method, path, idempotent=idempotent, **options)
        if not isinstance(answer, dict):
            raise Permanent(f"Jira {method} {path} answered no JSON object; is base_url the site (https://SITE)?")
        return answer

    def _json(self, method: str, path: str, *, idempotent: bool = True, **options: Any) -> Any:
        where = f"{method} {path}"
        return self._retry.call(lambda: self._once(method, path, where, options), idempotent=idempotent)

    def _once(self, method: str, path: str, where: str, options: Mapping[str, Any]) -> Any:
        with self._lock:
            self.requests += 1
        try:
            response = self._http.request(method, path, **options)
        except httpx.TransportError as error:
            transit = Retriable(f"Jira {where} failed in transit ({type(error).__name__}); will retry", delay=0.0)
            self._observer(RequestOutcome.failed(transit, self.budget()))
            raise transit from None
        headers = {name.lower(): value for name, value in response.headers.items()}
        self._remember(headers)
        if response.status_code >= 400:
            failure: TrackerError = failure_from(response.status_code, headers, response.content, where=where)
            self._observer(RequestOutcome.failed(failure, self.budget()))
            raise failure
        self._observer(RequestOutcome(RequestReason.OK, response.status_code, self.budget()))
        return _decoded(response, where)

    def _remember(self, headers: Mapping[str, str]) -> None:
        told = budget_from(headers)
        if told is not None:
            with self._lock:
                self._budget = told


def _decoded(response: httpx.Response, where: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise Permanent(f"Jira {where} answered a body that is not JSON; is base_url the site?") from None
