"""Bad input and good input through real HTTP requests against the ASGI app: status code AND store contents."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import Engine, event, func, select

from syncd.ports import CreatedWebhook
from syncd.runtime.context import Runtime
from syncd.runtime.ingest.delivery_writer import DeliveryRow, DeliveryWriter, IngestOutcome, StoreUnavailable
from syncd.runtime.ingest.handshakes import StoreHandshakes
from syncd.store.schema import Delivery, HandshakeWindow, WebhookSecret
from syncd.web.app import WebhookFastPath, create_app
from syncd.web.webhooks import HandshakeSecrets
from tests.support.webhooks import SECRET, IntakeAdapter, make_runtime, sign

pytestmark = pytest.mark.anyio


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    """A runtime with one GitHub-like source `gh` (HMAC secret) and one Asana-like source `as` (handshake)."""
    return make_runtime(engine, [IntakeAdapter("gh"), IntakeAdapter("as", handshake=True)], max_body_bytes=4096)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in process; the writer is drained afterwards."""
    writer = DeliveryWriter(runtime.engine, confirm_within=2.0, on_stored=runtime.deliveries_waiting.set)
    app = WebhookFastPath(create_app(runtime, writer=writer, ingest_timeout=2.0))  # what the daemon serves
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://syncd.test") as http:
        yield http
    writer.close()


def refresh_limit(app: Any, runtime: Runtime, *, seconds: float) -> None:
    """Give the app's webhook route handshake secrets re-read on a signature miss at most once per `seconds`
    (the daemon's is one second; 0 stands for "the second has passed" without waiting for it)."""
    app.state.webhooks.secrets = HandshakeSecrets(runtime, min_refresh_interval=seconds)


def stored(engine: Engine) -> list[tuple[str, str, str]]:
    """(source, delivery_id, event) of every stored delivery."""
    table = Delivery.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.source, table.c.delivery_id, table.c.event).order_by(table.c.id)).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def issue_event(number: int = 1) -> bytes:
    """A small issues.labeled payload."""
    return json.dumps({"action": "labeled", "issue": {"number": number, "title": "t"}}).encode()


def signed_headers(body: bytes, delivery: str = "d-1", event: str = "issues", **extra: str) -> dict[str, str]:
    """Headers GitHub would send for `body`."""
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-hub-signature-256": "sha256=" + sign(SECRET, body),
        **extra,
    }


class TestAcceptedDeliveries:
    """A verified delivery is answered 2xx only once it is in the store, and only once."""

    async def test_signed_delivery_is_stored_then_acknowledged(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """202 "stored", and the row is in `deliveries` with its id and event, pending."""
        body = issue_event()
        response = await client.post("/webhooks/gh", content=body, headers=signed_headers(body))
        assert response.status_code == 202
        assert response.json() == {"status": "stored", "detail": "delivery d-1 stored"}
        assert stored(engine) == [("gh", "d-1", "issues.labeled")]

    async def test_replayed_delivery_id_is_acknowledged_and_not_stored_twice(
        self, client: httpx.AsyncClient, engine: Engine
    ) -> None:
        """The same delivery id again answers 200 "duplicate"; the store keeps one row."""
        body = issue_event()
        first = await client.post("/webhooks/gh", content=body, headers=signed_headers(body))
        again = await client.post("/webhooks/gh", content=body, headers=signed_headers(body))
        assert (first.status_code, again.status_code) == (202, 200)
        assert again.json()["status"] == "duplicate"
        assert stored(engine) == [("gh", "d-1", "issues.labeled")]

    async def test_storing_wakes_the_in_process_worker(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        """The runtime's deliveries_waiting event is set after the commit."""
        body = issue_event()
        await client.post("/webhooks/gh", content=body, headers=signed_headers(body))
        assert runtime.deliveries_waiting.is_set()

    async def test_charset_parameter_is_still_json(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """`application/json; charset=utf-8` is accepted."""
        body = issue_event()
        headers = signed_headers(body, **{"content-type": "application/json; charset=utf-8"})
        response = await client.post("/webhooks/gh", content=body, headers=headers)
        assert response.status_code == 202
        assert len(stored(engine)) == 1


class TestRefusedDeliveries:
    """Each kind of bad input gets its own status code and leaves the inbox empty."""

    async def test_bad_signature_is_401(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """A signature made with another secret: 401, nothing stored, no secret in the answer."""
        body = issue_event()
        headers = signed_headers(body, **{"x-hub-signature-256": "sha256=" + sign("wrong", body)})
        response = await client.post("/webhooks/gh", content=body, headers=headers)
        assert response.status_code == 401
        assert response.json()["status"] == "signature_invalid"
        assert SECRET not in response.text
        assert stored(engine) == []

    async def test_missing_signature_is_401(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """No X-Hub-Signature-256 at all: 401, nothing stored."""
        body = issue_event()
        headers = signed_headers(body)
        del headers["x-hub-signature-256"]
        response = await client.post("/webhooks/gh", content=body, headers=headers)
        assert response.status_code == 401
        assert "no signature" in response.json()["detail"]
        assert stored(engine) == []

    async def test_body_changed_after_signing_is_401(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """A valid signature of a different body does not verify this one."""
        headers = signed_headers(issue_event(1))
        response = await client.post("/webhooks/gh", content=issue_event(2), headers=headers)
        assert response.status_code == 401
        assert stored(engine) == []

    async def test_form_encoded_delivery_is_415_with_the_fix(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """A GitHub hook left on form encoding is told to switch to application/json."""
        body = b"payload=%7B%7D"
        headers = signed_headers(body, **{"content-type": "application/x-www-form-urlencoded"})
        response = await client.post("/webhooks/gh", content=body, headers=headers)
        assert response.status_code == 415
        assert "set the webhook's content type to application/json" in response.json()["detail"]
        assert stored(engine) == []

    async def test_missing_content_type_is_415(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """A body without a content type is refused."""
        body = issue_event()
        headers = signed_headers(body)
        del headers["content-type"]
        response = await client.post("/webhooks/gh", content=body, headers=headers)
        assert response.status_code == 415
        assert stored(engine) == []

    async def test_malformed_json_is_400(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """Correctly signed but not JSON: 400 "malformed", nothing stored."""
        body = b'{"action": "labeled", '
        response = await client.post("/webhooks/gh", content=body, headers=signed_headers(body))
        assert response.status_code == 400
        assert response.json()["status"] == "malformed"
        assert stored(engine) == []

    async def test_oversized_body_by_content_length_is_413(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """A declared length over server.max_body_bytes is refused before reading."""
        body = b"{" + b" " * 5000 + b"}"
        response = await client.post("/webhooks/gh", content=body, headers=signed_headers(body))
        assert response.status_code == 413
        assert "4096 bytes" in response.json()["detail"]
        assert stored(engine) == []

    async def test_oversized_streamed_body_is_413(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """A chunked body (no Content-Length) is cut off once it passes the limit."""

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b" " * 1000

        headers = signed_headers(b"")
        response = await client.post("/webhooks/gh", content=chunks(), headers=headers)
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert stored(engine) == []

    async def test_a_client_gone_before_its_body_is_not_answered_nor_stored(
        self, runtime: Runtime, engine: Engine
    ) -> None:
        """The tracker hangs up mid-body: no answer is sent (nobody listens) and nothing is stored."""
        app = WebhookFastPath(create_app(runtime))
        body = issue_event()
        headers = [(name.encode(), value.encode()) for name, value in signed_headers(body).items()]
        scope = {"type": "http", "method": "POST", "path": "/webhooks/gh", "headers": headers, "query_string": b""}
        messages = iter([{"type": "http.request", "body": body[:10], "more_body": True}, {"type": "http.disconnect"}])
        sent: list[Any] = []

        async def receive() -> Any:
            return next(messages)

        async def send(message: Any) -> None:
            sent.append(message)

        await app(scope, receive, send)
        assert sent == []
        assert stored(engine) == []
        assert app.app.state.writer.close(timeout=15)

    async def test_unknown_source_is_404(self, client: httpx.AsyncClient, engine: Engine) -> None:
        """A source name that is not configured: 404, nothing stored."""
        body = issue_event()
        response = await client.post("/webhooks/nope", content=body, headers=signed_headers(body))
        assert response.status_code == 404
        assert response.json()["status"] == "unknown_source"
        assert stored(engine) == []

    async def test_unknown_event_is_acknowledged_and_counted_not_stored(
        self, client: httpx.AsyncClient, runtime: Runtime, engine: Engine
    ) -> None:
        """An event the source does not use: 202 "ignored", counted in metrics, no row."""
        body = b'{"zen": "Keep it logically awesome."}'
        response = await client.post("/webhooks/gh", content=body, headers=signed_headers(body, event="ping"))
        assert response.status_code == 202
        assert response.json()["status"] == "ignored"
        assert stored(engine) == []
        metrics = runtime.metrics.render().decode()
        assert 'syncd_webhook_deliveries_total{outcome="ignored",source="gh"} 1.0' in metrics

    async def test_get_is_not_allowed(self, client: httpx.AsyncClient) -> None:
        """Only POST reaches the webhook route."""
        response = await client.get("/webhooks/gh")
        assert response.status_code == 405

    async def test_other_routes_pass_through_the_fast_path(self, client: httpx.AsyncClient) -> None:
        """The fast path serves webhooks only; /healthz and unknown paths reach the app."""
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.post("/webhooks/gh/extra", content=b"{}")).status_code == 404

    async def test_the_app_alone_serves_webhooks_too(self, runtime: Runtime, engine: Engine) -> None:
        """Without the fast path (e.g. mounted elsewhere) the same route answers the same way."""
        app = create_app(runtime, ingest_timeout=2.0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            body = issue_event()
            response = await http.post("/webhooks/gh", content=body, headers=signed_headers(body))
        app.state.writer.close()
        assert response.status_code == 202
        assert stored(engine) == [("gh", "d-1", "issues.labeled")]


def expect_handshake(runtime: Runtime, resource: str = "123") -> tuple[StoreHandshakes, str]:
    """What `syncd webhooks install` does before the create call: open a window for `resource` of source `as`;
    the install's handshakes and the nonce of the target it registers."""
    handshakes = StoreHandshakes(runtime.engine, "as", runtime.clock)
    return handshakes, handshakes.expect(resource)


def created(nonce: str, resource: str = "123", repeated: str | None = "hs-1") -> CreatedWebhook:
    """The create call's answer for the webhook an install registered with `nonce` (repeating secret `repeated`)."""
    return CreatedWebhook(
        "w-1", resource, f"https://okr.example.com/webhooks/as?resource={resource}&install={nonce}", repeated
    )


def secrets_stored(engine: Engine) -> list[tuple[str, str]]:
    """(resource, secret) of every confirmed handshake secret."""
    with engine.connect() as conn:
        rows = conn.execute(select(WebhookSecret.__table__.c.resource, WebhookSecret.__table__.c.secret)).all()
    return [(row[0], row[1]) for row in rows]


def pending_secrets(engine: Engine) -> list[tuple[str, str | None]]:
    """(resource, pending secret) of every open handshake window."""
    windows = HandshakeWindow.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(windows.c.resource, windows.c.secret)).all()
    return [(row[0], row[1]) for row in rows]


class TestLargeBodies:
    """Bodies of 256 KiB and more are verified and classified off the event loop, with the same outcomes."""

    async def test_a_large_signed_delivery_is_stored_and_a_forged_one_refused(self, engine: Engine) -> None:
        """~300 KiB (a long issue body): signed -> 202 and stored; one byte changed -> 401, nothing stored."""
        runtime = make_runtime(engine, [IntakeAdapter("gh")], max_body_bytes=1_000_000)
        body = json.dumps({"action": "labeled", "issue": {"number": 1, "body": "x" * 300_000}}).encode()
        forged = body.replace(b'"number": 1', b'"number": 2')
        app = create_app(runtime, ingest_timeout=2.0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            refused = await http.post("/webhooks/gh", content=forged, headers=signed_headers(body, "d-forged"))
            accepted = await http.post("/webhooks/gh", content=body, headers=signed_headers(body, "d-big"))
        app.state.writer.close()
        assert (refused.status_code, accepted.status_code) == (401, 202)
        assert stored(engine) == [("gh", "d-big", "issues.labeled")]


class TestHandshake:
    """Asana-style handshakes: taken only with the install's nonce, the secret kept pending before the 200, and
    verifying deliveries of its resource only once the install confirmed the created webhook."""

    async def test_handshake_secret_is_kept_pending_before_answering(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """200 echoing X-Hook-Secret; the secret waits in its window, not yet in `webhook_secrets`."""
        _, nonce = expect_handshake(runtime)
        response = await client.post(f"/webhooks/as?resource=123&install={nonce}", headers={"x-hook-secret": "hs-1"})
        assert response.status_code == 200
        assert response.headers["x-hook-secret"] == "hs-1"
        assert pending_secrets(engine) == [("123", "hs-1")]
        assert secrets_stored(engine) == []

    async def test_a_confirmed_secret_verifies_deliveries_of_its_resource_only(
        self, engine: Engine, runtime: Runtime
    ) -> None:
        """Pending, the secret verifies nothing; confirmed, it verifies its resource's deliveries, and one signed
        with it for another resource (or none) is refused; another secret never verifies."""
        handshakes, nonce = expect_handshake(runtime)
        body = b'{"events": [{"action": "changed"}]}'
        good = {"content-type": "application/json", "x-hook-signature": sign("hs-1", body)}
        bad = {"content-type": "application/json", "x-hook-signature": sign("hs-2", body)}
        app = create_app(runtime, ingest_timeout=2.0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            await http.post(f"/webhooks/as?resource=123&install={nonce}", headers={"x-hook-secret": "hs-1"})
            assert (await http.post("/webhooks/as?resource=123", content=body, headers=good)).status_code == 401
            assert handshakes.confirm("123", created(nonce))
            assert (await http.post("/webhooks/as?resource=123", content=body, headers=bad)).status_code == 401
            assert (await http.post("/webhooks/as?resource=999", content=body, headers=good)).status_code == 401
            assert (await http.post("/webhooks/as", content=body, headers=good)).status_code == 401
            assert (
                await http.post("/webhooks/as?resource=123", content=body, headers=good)
            ).status_code == 200  # Asana counts only 200 and 204 as delivered
        app.state.writer.close()
        assert [row[0] for row in stored(engine)] == ["as"]
        assert secrets_stored(engine) == [("123", "hs-1")]

    async def test_a_handshake_nobody_expects_is_refused_and_stores_nothing(
        self, client: httpx.AsyncClient, engine: Engine
    ) -> None:
        """Without `webhooks install` in progress, a handshake is 403 and plants no secret to sign forgeries with."""
        response = await client.post("/webhooks/as?resource=123", headers={"x-hook-secret": "forged"})
        assert response.status_code == 403
        assert response.json()["status"] == "handshake_unexpected"
        assert "syncd webhooks install" in response.json()["detail"]
        assert "x-hook-secret" not in response.headers
        assert secrets_stored(engine) == []

    @pytest.mark.parametrize("query", ["resource=123", "resource=123&install=", "resource=123&install=guess"])
    async def test_a_handshake_without_the_install_nonce_is_refused_while_the_install_runs(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime, query: str
    ) -> None:
        """The right resource during its install, but no nonce or a wrong one: 403, and the window still takes
        the install's own handshake afterwards."""
        _, nonce = expect_handshake(runtime)
        refused = await client.post(f"/webhooks/as?{query}", headers={"x-hook-secret": "attacker"})
        assert refused.status_code == 403
        assert "x-hook-secret" not in refused.headers
        assert pending_secrets(engine) == [("123", None)]
        genuine = await client.post(f"/webhooks/as?resource=123&install={nonce}", headers={"x-hook-secret": "hs-1"})
        assert genuine.status_code == 200
        assert pending_secrets(engine) == [("123", "hs-1")]

    async def test_the_nonce_of_one_resource_opens_no_other(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """A nonce is bound to the resource it was made for: sent with another resource, it is refused."""
        _, nonce = expect_handshake(runtime, "123")
        expect_handshake(runtime, "456")
        refused = await client.post(f"/webhooks/as?resource=456&install={nonce}", headers={"x-hook-secret": "x"})
        assert refused.status_code == 403
        assert sorted(pending_secrets(engine)) == [("123", None), ("456", None)]

    async def test_a_window_takes_one_handshake(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """The nonce is one-time: a second handshake with it (a replay) is refused and the first secret stays."""
        _, nonce = expect_handshake(runtime)
        url = f"/webhooks/as?resource=123&install={nonce}"
        assert (await client.post(url, headers={"x-hook-secret": "hs-1"})).status_code == 200
        replay = await client.post(url, headers={"x-hook-secret": "attacker"})
        assert replay.status_code == 403
        assert pending_secrets(engine) == [("123", "hs-1")]

    async def test_an_expired_window_is_refused(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """A window past its time (an install that died long ago) accepts nothing."""
        handshakes = StoreHandshakes(runtime.engine, "as", lambda: runtime.clock() - timedelta(minutes=11))
        nonce = handshakes.expect("123")
        response = await client.post(f"/webhooks/as?resource=123&install={nonce}", headers={"x-hook-secret": "late"})
        assert response.status_code == 403
        assert pending_secrets(engine) == [("123", None)]
        assert secrets_stored(engine) == []

    async def test_secret_stored_by_another_process_is_found_on_a_miss(self, runtime: Runtime, engine: Engine) -> None:
        """A secret an install confirmed after this process cached its secrets is read back on a signature miss."""
        app = create_app(runtime, ingest_timeout=2.0)
        refresh_limit(app, runtime, seconds=0.0)  # the rate limit's second has always passed
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            body, headers = _signed_by_hs9()
            assert (await http.post("/webhooks/as?resource=9", content=body, headers=headers)).status_code == 401
            _confirm_elsewhere(engine, runtime)
            assert (await http.post("/webhooks/as?resource=9", content=body, headers=headers)).status_code == 200
        app.state.writer.close()

    async def test_misses_re_read_the_secrets_at_most_once_per_interval(self, runtime: Runtime, engine: Engine) -> None:
        """Within the refresh interval a second signature miss does not read the store again (a flood of badly
        signed deliveries costs no queries): the secret stored meanwhile is not seen yet."""
        app = create_app(runtime, ingest_timeout=2.0)
        refresh_limit(app, runtime, seconds=3600.0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            body, headers = _signed_by_hs9()
            assert (await http.post("/webhooks/as?resource=9", content=body, headers=headers)).status_code == 401
            _confirm_elsewhere(engine, runtime)
            assert (await http.post("/webhooks/as?resource=9", content=body, headers=headers)).status_code == 401
        app.state.writer.close()


class TestStoreUnavailable:
    """While the store cannot confirm a write, the answer is 503, never 2xx."""

    async def test_unreachable_postgres_is_503(self, tmp_path: Path) -> None:
        """A PostgreSQL store nobody listens for: 503 with Retry-After, and a retry later succeeds elsewhere."""
        from syncd.store.engine import create_store_engine

        engine = create_store_engine("postgresql://postgres@127.0.0.1:1/none")
        runtime = make_runtime(engine, [IntakeAdapter("gh")])
        app = create_app(runtime, ingest_timeout=5.0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            body = issue_event()
            response = await http.post("/webhooks/gh", content=body, headers=signed_headers(body))
        app.state.writer.close()
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.json()["status"] == "store_unavailable"

    async def test_an_outage_is_logged_once_and_its_end_once(self, runtime: Runtime, engine: Engine) -> None:
        """Refused deliveries during an outage (the SQLite write lock held elsewhere) are one
        `webhook.store_unavailable` line, the rest counted in `syncd_webhook_deliveries{outcome="store_unavailable"}`;
        the first delivery stored after it is one `webhook.store_recovered` line saying how many were refused."""
        app = create_app(runtime, ingest_timeout=0.2)
        holder = engine.raw_connection()
        holder.execute("BEGIN EXCLUSIVE")  # type: ignore[attr-defined]
        with structlog.testing.capture_logs() as logs:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
                try:
                    for number in range(6):
                        body = issue_event(number=number)
                        response = await http.post(
                            "/webhooks/gh", content=body, headers=signed_headers(body, f"d-{number}")
                        )
                        assert response.status_code == 503
                finally:
                    holder.rollback()
                    holder.close()
                for number in range(6, 9):
                    body = issue_event(number=number)
                    response = await http.post(
                        "/webhooks/gh", content=body, headers=signed_headers(body, f"d-{number}")
                    )
                    assert response.status_code == 202
        assert app.state.writer.close(timeout=15)
        events = [entry["event"] for entry in logs if entry["event"].startswith("webhook.store")]
        assert events == ["webhook.store_unavailable", "webhook.store_recovered"]
        recovered = next(entry for entry in logs if entry["event"] == "webhook.store_recovered")
        assert recovered["refused"] == 6
        refused = runtime.metrics.registry.get_sample_value(
            "syncd_webhook_deliveries_total", {"source": "gh", "outcome": "store_unavailable"}
        )
        assert refused == 6

    async def test_locked_sqlite_is_503_within_the_timeout(self, runtime: Runtime, engine: Engine) -> None:
        """Another connection holds the SQLite write lock: the delivery is answered 503 at the ingest timeout."""
        app = create_app(runtime, ingest_timeout=0.3)
        holder = engine.raw_connection()
        holder.execute("BEGIN EXCLUSIVE")  # type: ignore[attr-defined]
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
                body = issue_event()
                response = await http.post("/webhooks/gh", content=body, headers=signed_headers(body))
            assert response.status_code == 503
            assert "did not confirm" in response.json()["detail"]
        finally:
            holder.rollback()
            holder.close()
        assert app.state.writer.close(timeout=15)


def record_commit_threads(engine: Engine) -> list[int]:
    """The threads on which `engine` commits deliveries from now on (one entry per commit)."""
    threads: list[int] = []

    def on_commit(conn: Any) -> None:
        threads.append(threading.get_ident())

    event.listen(engine, "commit", on_commit)
    return threads


def count_rows(engine: Engine) -> Any:
    """Number of stored deliveries."""
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Delivery.__table__))


class TestGroupCommit:
    """The writer commits many waiting deliveries in one transaction and still answers each one exactly."""

    async def test_concurrent_deliveries_share_transactions(self, runtime: Runtime, engine: Engine) -> None:
        """200 deliveries submitted at once are all stored, in far fewer transactions than rows."""
        writer = DeliveryWriter(engine)
        rows = [DeliveryRow("gh", f"g-{n}", "issues.opened", b"{}", runtime.clock()) for n in range(200)]
        try:
            outcomes = await asyncio.gather(*(writer.submit(row) for row in rows))
        finally:
            writer.close()
        assert outcomes == [IngestOutcome.STORED] * 200
        assert count_rows(engine) == 200
        # All 200 were submitted in one turn of the loop: they travel to the writer together, one commit.
        assert writer.batches == 1
        assert writer.pending == 0

    async def test_a_batch_mixing_new_and_known_ids_answers_each_right(self, runtime: Runtime, engine: Engine) -> None:
        """Known ids in a batch are duplicates, new ones stored, an id repeated within the batch stored once."""
        writer = DeliveryWriter(engine)
        known = DeliveryRow("gh", "known", "issues.opened", b"{}", runtime.clock())
        try:
            assert await writer.submit(known) is IngestOutcome.STORED
            batch = [known, *(DeliveryRow("gh", f"new-{n}", "issues.opened", b"{}", runtime.clock()) for n in range(5))]
            batch.append(batch[1])
            outcomes = await asyncio.gather(*(writer.submit(row) for row in batch))
        finally:
            writer.close()
        assert outcomes[0] is IngestOutcome.DUPLICATE
        assert outcomes[1:6] == [IngestOutcome.STORED] * 5
        assert outcomes[6] is IngestOutcome.DUPLICATE
        assert count_rows(engine) == 6

    async def test_deliveries_submitted_in_the_turn_of_close_are_still_stored(
        self, runtime: Runtime, engine: Engine
    ) -> None:
        """A shutdown in the same loop turn as some submissions commits them before the writer stops."""
        writer = DeliveryWriter(engine)
        writer.start()
        rows = [DeliveryRow("gh", f"last-{n}", "issues.opened", b"{}", runtime.clock()) for n in range(3)]
        waiting = [asyncio.ensure_future(writer.submit(row)) for row in rows]
        await asyncio.sleep(0)  # the submissions run (and gather), the hand-over is not due yet
        assert writer.close(timeout=15)
        assert await asyncio.gather(*waiting) == [IngestOutcome.STORED] * 3
        assert count_rows(engine) == 3

    async def test_on_a_free_sqlite_file_the_loop_commits_itself(self, runtime: Runtime, engine: Engine) -> None:
        """No thread hop when nobody holds the file: the commit runs on the loop's own thread."""
        committed_on = record_commit_threads(engine)
        writer = DeliveryWriter(engine)
        try:
            rows = [DeliveryRow("gh", f"loop-{n}", "issues.opened", b"{}", runtime.clock()) for n in range(3)]
            assert await asyncio.gather(*(writer.submit(row) for row in rows)) == [IngestOutcome.STORED] * 3
        finally:
            writer.close()
        assert committed_on == [threading.get_ident()]
        assert count_rows(engine) == 3

    async def test_a_file_another_process_locks_goes_to_the_writer_thread(
        self, runtime: Runtime, engine: Engine
    ) -> None:
        """The loop does not wait for another process's lock: the writer thread waits, then stores."""
        committed_on = record_commit_threads(engine)
        writer = DeliveryWriter(engine, confirm_within=10.0)
        holder = engine.raw_connection()
        holder.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
        try:
            waiting = asyncio.ensure_future(
                writer.submit(DeliveryRow("gh", "x", "issues.opened", b"{}", runtime.clock()))
            )
            started = time.monotonic()
            for _ in range(3):  # the submission, its hand-over, and a turn after it
                await asyncio.sleep(0)
            assert time.monotonic() - started < 1.0, "the loop waited for the lock"
            assert not waiting.done()
        finally:
            holder.rollback()
            holder.close()
        try:
            assert await asyncio.wait_for(waiting, 10) is IngestOutcome.STORED
        finally:
            writer.close()
        assert len(committed_on) == 1
        assert committed_on[0] != threading.get_ident()
        assert count_rows(engine) == 1

    async def test_commits_on_the_loop_are_checkpointed_by_the_writer_thread(
        self, runtime: Runtime, engine: Engine, tmp_path: Path
    ) -> None:
        """The loop's connection runs no checkpoint; past 4 MiB the writer thread copies the WAL into the file."""
        database = tmp_path / "syncd.db"
        before = database.stat().st_size
        writer = DeliveryWriter(engine)
        body = b"x" * (256 * 1024)
        try:
            for n in range(20):  # 5 MiB, in 20 loop turns
                assert await writer.submit(DeliveryRow("gh", f"big-{n}", "issues.opened", body, runtime.clock()))
            deadline = time.monotonic() + 10
            while database.stat().st_size < before + 3 * 1024 * 1024:
                assert time.monotonic() < deadline, "the WAL was not checkpointed into the database file"
                await asyncio.sleep(0.02)
        finally:
            writer.close()

    async def test_the_loop_connection_never_goes_back_to_the_pool(self, runtime: Runtime, engine: Engine) -> None:
        """Its no-wait settings stay with it: after the writer closes, pooled connections still wait for locks."""
        writer = DeliveryWriter(engine)
        try:
            assert await writer.submit(DeliveryRow("gh", "p-1", "issues.opened", b"{}", runtime.clock()))
        finally:
            writer.close()
        for _ in range(6):  # more than the pool holds
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000

    async def test_after_close_new_deliveries_are_refused_as_unavailable(self, engine: Engine) -> None:
        """A closed writer (shutdown) answers StoreUnavailable, which the route turns into 503."""
        writer = DeliveryWriter(engine)
        writer.close()
        with pytest.raises(StoreUnavailable, match="shutting down"):
            await writer.submit(DeliveryRow("gh", "late", "issues.opened", b"{}", datetime.now(UTC)))


def _signed_by_hs9() -> tuple[bytes, dict[str, str]]:
    """An Asana delivery signed with the secret `hs-9` of resource 9."""
    body = b'{"events": [{"action": "added"}]}'
    return body, {"content-type": "application/json", "x-hook-signature": sign("hs-9", body)}


def _confirm_elsewhere(engine: Engine, runtime: Runtime) -> None:
    """Store resource 9's secret `hs-9` as another process's `webhooks install` would (behind this one's cache)."""
    with engine.begin() as conn:
        conn.execute(
            WebhookSecret.__table__.insert().values(
                source="as", resource="9", secret="hs-9", created_at=runtime.clock(), webhook_gid="w-9"
            )
        )
