"""`POST /webhooks/{source}`: the hot path. Verify, store durably, answer in milliseconds; no tracker I/O.

Order of checks, each with its own answer: unknown source 404, body over `server.max_body_bytes` 413
(at once from Content-Length, or while streaming), not JSON 415 (a form-encoded GitHub hook is told to
switch its content type to JSON), bad or missing signature 401, malformed body 400, unused event 202
(counted, not stored), handshake 200 once its secret is stored pending the install's confirmation (403 when no
install expects it with that nonce), verified delivery 202 once its row is committed (200 "duplicate" for a
redelivery). A tracker that counts only some statuses as delivered gets one of those instead of 202 for a stored
or unused delivery (its descriptor's `accepted_status`: Asana, 200). A handshake secret verifies deliveries only once `syncd webhooks install` confirmed it, and only
those for its own resource. A store that does not confirm in time: 503, never 2xx.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import parse_qsl

import orjson
import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Receive, Scope, Send

from adapters.registry import registry
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.ports import BoundSecrets, SourceAdapter, WebhookAccepted, WebhookHandshake, WebhookIgnored, WebhookIntake
from syncd.runtime.context import Runtime
from syncd.runtime.ingest.delivery_writer import DeliveryRow, DeliveryWriter, IngestOutcome, StoreUnavailable
from syncd.runtime.ingest.handshakes import WINDOW
from syncd.store.errors import first_line
from syncd.store.handshakes import HandshakeUnexpected, load_handshake_secrets, store_pending_secret

log = structlog.get_logger("syncd.web")
#: The stdlib logger behind `log`: asking it whether debug is on is far cheaper than a filtered structlog call.
_stdlib_log = logging.getLogger("syncd.web")

#: Bodies larger than this are verified and parsed off the event loop.
_OFFLOAD_BYTES = 256 * 1024
_RETRY_AFTER = {"retry-after": "5"}
_NO_SECRETS: BoundSecrets = MappingProxyType({})


class Answer(Exception):
    """A finished answer, returned or raised from deep in the checks: status, outcome word, detail, headers."""

    def __init__(self, status: int, outcome: str, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.outcome = outcome
        self.detail = detail
        self.headers = headers

    async def send(self, send: Send) -> None:
        """Send the JSON response `{"status": outcome, "detail": detail}`."""
        body = orjson.dumps({"status": self.outcome, "detail": self.detail})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (self.headers or {}).items()
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class HandshakeSecrets:
    """Confirmed handshake secrets by source and resource, cached in memory and re-read on a signature miss
    (rate-limited): an install confirms a webhook from its own process, so a new secret is found that way."""

    def __init__(self, runtime: Runtime, *, min_refresh_interval: float = 1.0) -> None:
        self._runtime = runtime
        self._by_source: dict[str, dict[str, str]] | None = None
        self._min_interval = min_refresh_interval
        self._refreshed_at = float("-inf")
        self._eager_until = float("-inf")

    async def get(self, source: str) -> BoundSecrets:
        """The secrets of `source` by resource (loaded from the store on first use)."""
        if self._by_source is None:
            await self.refresh()
        if self._by_source is None:
            raise StoreUnavailable("the stored handshake secrets could not be read yet")
        return self._by_source.get(source, _NO_SECRETS)

    def expect_change(self) -> None:
        """A handshake was just taken: the install confirms its secret from its own process any moment now, so
        until a re-read sees a change (at most a handshake window long) a signature miss re-reads at once."""
        self._eager_until = time.monotonic() + WINDOW.total_seconds()

    async def refresh(self) -> bool:
        """Re-read the store unless that was done within the last interval (and no confirmation is expected);
        True if anything changed."""
        now = time.monotonic()
        if now - self._refreshed_at < self._min_interval and now >= self._eager_until:
            return False
        self._refreshed_at = now
        loop = asyncio.get_running_loop()
        try:
            fresh = await loop.run_in_executor(self._runtime.executor, load_handshake_secrets, self._runtime.engine)
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"the stored handshake secrets could not be read: {first_line(error)}") from None
        changed = fresh != self._by_source
        self._by_source = fresh
        if changed:
            self._eager_until = float("-inf")
        return changed


def check_content_type(content_type: str) -> None:
    """Raise a 415 `Answer` unless the media type is JSON."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return
    if media == "application/x-www-form-urlencoded":
        detail = "the delivery is form-encoded; set the webhook's content type to application/json"
    else:
        detail = f"the delivery's content type is {media or 'missing'!s}; webhooks must send application/json"
    raise Answer(415, "unsupported_media_type", detail)


class ClientGone(Exception):
    """The client disconnected before its body was read: there is nobody to answer."""


async def read_body(headers: Mapping[str, str], receive: Receive, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    too_large = Answer(413, "too_large", f"the body exceeds the limit of {limit} bytes (server.max_body_bytes)")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the last one wins, as `dict(request.headers)` did)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


class StoreOutage:
    """A store outage as the webhook route logs it: once when deliveries start being refused, once when one is
    stored again (with how many were refused in between); each refusal is counted in the metrics, not logged."""

    def __init__(self) -> None:
        self.refused = 0
        self.since: float | None = None

    def refused_one(self, source: str, error: str) -> None:
        """A delivery was answered 503 because the store could not confirm it."""
        self.refused += 1
        if self.since is None:
            self.since = time.monotonic()
            log.error("webhook.store_unavailable", source=source, error=error)

    def stored(self, source: str) -> None:
        """A delivery was stored: the outage, if there was one, is over."""
        if self.since is not None:
            lasted = round(time.monotonic() - self.since, 1)
            log.info("webhook.store_recovered", source=source, refused=self.refused, outage_seconds=lasted)
            self.since, self.refused = None, 0


class WebhookEndpoint:
    """The route's state: the runtime, the group-commit writer and the handshake secrets."""

    def __init__(self, runtime: Runtime, writer: DeliveryWriter, *, ingest_timeout: float = 5.0) -> None:
        self.runtime = runtime
        self.writer = writer
        self.secrets = HandshakeSecrets(runtime)
        self.outage = StoreOutage()
        self.ingest_timeout = ingest_timeout
        self._children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self._accepted: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI app of `POST /webhooks/{source}`: answer one delivery; record its outcome and ack latency.

        Plain ASGI, not a Starlette endpoint: a Request and a Response object per delivery cost more
        than the rest of the route does (the benchmark in tests/benchmarks/bench_ingest.py)."""
        started = time.perf_counter()
        name = str(scope["path_params"]["source"])
        adapter = self.runtime.adapter(name)
        try:
            if adapter is None:
                raise Answer(404, "unknown_source", f"no enabled source is named {name[:100]!r}")
            answer = await self._receive(scope, receive, adapter)
        except Answer as refused:
            answer = refused
        except ClientGone:
            return
        source_label = name if adapter is not None else "unknown"
        self._record(source_label, answer.outcome, time.perf_counter() - started)
        await answer.send(send)

    def _record(self, source: str, outcome: str, seconds: float) -> None:
        """Count the outcome and observe the ack latency (labelled children cached: this runs per request)."""
        key = (source, outcome)
        children = self._children.get(key)
        if children is None:
            metrics = self.runtime.metrics
            children = (
                metrics.deliveries.labels(source=source, outcome=outcome),
                metrics.ack_latency.labels(source=source),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    async def _receive(self, scope: Scope, receive: Receive, adapter: SourceAdapter) -> Answer:
        """Read, verify, classify and act on one delivery for a known source."""
        headers = request_headers(scope)
        body = await read_body(headers, receive, self.runtime.config.server.max_body_bytes)
        if body:
            check_content_type(headers.get("content-type", ""))
        raw_query: bytes = scope["query_string"]
        query = dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)) if raw_query else {}
        intake = await self._intake(adapter, headers, body, query)
        if isinstance(intake, WebhookIgnored):
            if _stdlib_log.isEnabledFor(logging.DEBUG):
                log.debug("webhook.ignored", source=adapter.name, webhook_event=intake.event, reason=intake.reason)
            status = self._accepted_status(adapter.kind)
            return Answer(status, "ignored", f"event {intake.event!r} is not used: {intake.reason}")
        if isinstance(intake, WebhookHandshake):
            return await self._handshake(adapter.name, intake)
        return await self._store(adapter.name, intake, body, self._accepted_status(adapter.kind))

    def _accepted_status(self, kind: str) -> int:
        """`accepted_status(kind)`, looked up once per tracker kind (the registry does not change while serving)."""
        status = self._accepted.get(kind)
        if status is None:
            status = self._accepted[kind] = accepted_status(kind)
        return status

    async def _intake(
        self, adapter: SourceAdapter, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> WebhookIntake:
        """`adapter.intake`, retried once with freshly read handshake secrets when the signature misses."""
        for attempt in (1, 2):
            secrets, unreadable = await self._secrets(adapter.name)
            try:
                return await self._call_intake(adapter, headers, body, query, secrets)
            except SignatureError as error:
                if unreadable is not None:
                    # Not verifiable now is not the same as forged: let the tracker retry later.
                    self.outage.refused_one(adapter.name, str(unreadable))
                    raise Answer(503, "store_unavailable", str(unreadable), _RETRY_AFTER) from None
                if attempt == 1 and await self._refreshed():
                    continue
                log.warning("webhook.signature_invalid", source=adapter.name, reason=str(error))
                raise Answer(401, "signature_invalid", str(error)) from None
            except MalformedPayload as error:
                log.info("webhook.malformed", source=adapter.name, reason=str(error)[:300])
                raise Answer(400, "malformed", str(error)[:300]) from None
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _secrets(self, source: str) -> tuple[BoundSecrets, StoreUnavailable | None]:
        """The source's confirmed handshake secrets, or none and why they could not be read."""
        try:
            return await self.secrets.get(source), None
        except StoreUnavailable as error:
            return _NO_SECRETS, error

    async def _refreshed(self) -> bool:
        """Whether re-reading the stored secrets found new ones (a failed read finds none)."""
        try:
            return await self.secrets.refresh()
        except StoreUnavailable:
            return False

    async def _call_intake(
        self,
        adapter: SourceAdapter,
        headers: dict[str, str],
        body: bytes,
        query: dict[str, str],
        secrets: BoundSecrets,
    ) -> WebhookIntake:
        """Run the pure intake inline for small bodies, in the thread pool for large ones."""
        if len(body) < _OFFLOAD_BYTES:
            return adapter.intake(headers, body, query, secrets)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.runtime.executor, adapter.intake, headers, body, query, secrets)

    async def _handshake(self, source: str, handshake: WebhookHandshake) -> Answer:
        """Store the handshake secret durably (pending the install's confirmation), then echo what the tracker
        expects."""
        loop = asyncio.get_running_loop()
        runtime = self.runtime
        try:
            await asyncio.wait_for(
                loop.run_in_executor(
                    runtime.executor,
                    store_pending_secret,
                    runtime.engine,
                    source,
                    handshake,
                    runtime.clock(),
                ),
                self.ingest_timeout,
            )
        except HandshakeUnexpected as error:
            log.warning("webhook.handshake_unexpected", source=source, resource=handshake.resource[:300])
            raise Answer(403, "handshake_unexpected", str(error)) from None
        except (SQLAlchemyError, TimeoutError) as error:
            self.outage.refused_one(source, type(error).__name__)
            raise Answer(503, "store_unavailable", "the handshake secret could not be stored", _RETRY_AFTER) from None
        self.secrets.expect_change()
        log.info("webhook.handshake_stored", source=source, resource=handshake.resource, pending=True)
        detail = (
            f"handshake of the webhook for {handshake.resource!r} taken; its secret waits for the install to confirm it"
        )
        return Answer(200, "handshake", detail, handshake.response_headers)

    async def _store(self, source: str, accepted: WebhookAccepted, body: bytes, status: int) -> Answer:
        """Commit the delivery (group commit) and answer only once it is durable."""
        row = DeliveryRow(source, accepted.delivery_id, accepted.event, body, self.runtime.clock())
        try:
            outcome = await self.writer.submit(row)
        except StoreUnavailable as error:
            self.outage.refused_one(source, str(error))
            raise Answer(503, "store_unavailable", str(error), _RETRY_AFTER) from None
        if self.outage.since is not None:
            self.outage.stored(source)
        duplicate = outcome is IngestOutcome.DUPLICATE
        # Debug, not info: one line per delivery would cost more than the rest of the ack path.
        if _stdlib_log.isEnabledFor(logging.DEBUG):
            event = "webhook.duplicate" if duplicate else "webhook.accepted"
            log.debug(event, source=source, delivery_id=accepted.delivery_id, webhook_event=accepted.event)
        if duplicate:
            return Answer(200, "duplicate", f"delivery {accepted.delivery_id} was already stored")
        return Answer(status, "stored", f"delivery {accepted.delivery_id} stored")


def accepted_status(kind: str) -> int:
    """The status a stored or ignored delivery of a `kind` tracker is answered with (its descriptor says)."""
    descriptor = registry().get(kind)
    return descriptor.webhooks.accepted_status if descriptor is not None else 202
