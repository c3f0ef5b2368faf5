"""The only module of the Linear adapter that does I/O: httpx posting GraphQL documents to `{base_url}/graphql`.

Auth: a personal API key goes bare in `Authorization` (as Linear asks), an OAuth access token as `Bearer`.
Every failure is mapped once (`adapters.linear.failures`); short waits are retried in-line with tenacity
(`adapters.inline_retry`): queries and idempotent mutations after 5xx and rate limits, a comment create only
after a rate limit (Linear did nothing) — after a lost answer the same client-chosen id makes the retry safe,
but that retry is the runtime's, after the write could have landed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.inline_retry import InlineRetry
from adapters.linear.config import LinearSourceConfig
from adapters.linear.documents import document
from adapters.linear.failures import Budgets, budgets_from, failure_from
from syncd.core.errors import Permanent, Retriable, TrackerError
from syncd.ports import Budget, RequestObserver, RequestOutcome, RequestReason, ignore_request

JsonObject = dict[str, Any]
INLINE_ATTEMPTS = 4


class LinearClient:
    """Blocking GraphQL calls over one httpx client; thread-safe; tells `observer` of every request."""

    def __init__(
        self,
        config: LinearSourceConfig,
        *,
        observer: RequestObserver = ignore_request,
        retry: InlineRetry | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        token = config.token.get_secret_value()
        authorization = token if config.is_api_key else f"Bearer {token}"
        self._http = httpx.Client(
            headers={"Authorization": authorization, "Content-Type": "application/json"},
            timeout=config.timeout.total_seconds(),
            transport=transport,
        )
        self._endpoint = config.endpoint
        self._token = token
        self._observer = observer
        self._clock = clock
        self._retry = retry or InlineRetry(INLINE_ATTEMPTS, retry_rate_limited_writes=True)
        self._budgets = Budgets()
        self._lock = threading.Lock()
        self.requests = 0
        #: Complexity points Linear said the requests so far cost (`X-Complexity`), for the benchmark and admins.
        self.complexity_spent = 0

    def query(self, name: str, variables: Mapping[str, Any] | None = None, *, idempotent: bool = True) -> JsonObject:
        """Send document `name` with `variables`; its `data` (a failure raises, mapped)."""
        payload = {"query": document(name), "variables": dict(variables or {}), "operationName": _operation(name)}
        return self._retry.call(lambda: self._once(name, payload), idempotent=idempotent)

    def budget(self) -> Budget:
        """The requests budget the last headers told (unknown until Linear sends them)."""
        with self._lock:
            return self._budgets.requests or Budget()

    def budgets(self) -> Budgets:
        """Both budgets and the last query's cost, as last told."""
        with self._lock:
            return self._budgets

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    def _once(self, name: str, payload: Mapping[str, Any]) -> JsonObject:
        where = f"{_operation(name)}"
        with self._lock:
            self.requests += 1
        try:
            response = self._http.post(self._endpoint, json=payload)
        except httpx.TransportError as error:
            transit = Retriable(f"Linear {where} failed in transit ({type(error).__name__}); will retry", delay=0.0)
            self._observer(RequestOutcome.failed(transit, self.budget()))
            raise transit from None
        headers = {key.lower(): value for key, value in response.headers.items()}
        self._remember(headers)
        body = _decoded(response)
        errors = [e for e in body.get("errors") or () if isinstance(e, dict)] if isinstance(body, dict) else []
        errors = [_redacted(error, self._token) for error in errors]
        if response.status_code >= 400 or errors or not isinstance(body, dict):
            failure: TrackerError = failure_from(response.status_code, headers, errors, where=where, now=self._clock())
            if not errors and response.status_code < 400:
                failure = Permanent(f"Linear {where} answered no GraphQL result; is base_url the API root?")
            self._observer(RequestOutcome.failed(failure, self.budget()))
            raise failure
        self._observer(RequestOutcome(RequestReason.OK, response.status_code, self.budget()))
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def _remember(self, headers: Mapping[str, str]) -> None:
        told = budgets_from(headers)
        with self._lock:
            self.complexity_spent += told.cost or 0
            self._budgets = Budgets(
                told.requests or self._budgets.requests, told.complexity or self._budgets.complexity, told.cost
            )


def _redacted(error: JsonObject, token: str) -> JsonObject:
    """An error whose message quotes the token (some proxies echo the Authorization header) with it blanked."""
    message = error.get("message")
    if isinstance(message, str) and token and token in message:
        return {**error, "message": message.replace(token, "[redacted]")}
    return error


def _operation(name: str) -> str:
    """The operation a document file holds: `comment_create` -> `CommentCreate`."""
    return "".join(part.capitalize() for part in name.split("_"))


def _decoded(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
