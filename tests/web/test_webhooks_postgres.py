"""Webhook ingest on PostgreSQL: group commit, duplicates across writers, and a terminated backend."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, select, text

from syncd.runtime.context import Runtime
from syncd.runtime.ingest.delivery_writer import DeliveryRow, DeliveryWriter, IngestOutcome
from syncd.store.schema import Delivery
from syncd.web.app import WebhookFastPath, create_app
from tests.support.store import postgres_engine
from tests.support.webhooks import SECRET, IntakeAdapter, make_runtime, sign

__all__ = ["postgres_engine"]  # the fixture, used by name below
pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


class HeldConnections:
    """The backend pids of an engine's connections checked out and not yet returned (SQLAlchemy's pool events)."""

    def __init__(self, engine: Engine) -> None:
        self._held: dict[int, int] = {}
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def pids(self) -> list[int]:
        """The backends held right now."""
        return list(self._held.values())

    def _checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        self._held[id(record)] = dbapi_connection.info.backend_pid

    def _checkin(self, _dbapi_connection: Any, record: Any) -> None:
        self._held.pop(id(record), None)


@pytest.fixture
def runtime(postgres_engine: Engine) -> Runtime:
    """A runtime on PostgreSQL with one GitHub-like source `gh`."""
    return make_runtime(postgres_engine, [IntakeAdapter("gh")])


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in process."""
    app = create_app(runtime, ingest_timeout=5.0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=WebhookFastPath(app)), base_url="http://t") as http:
        yield http
    app.state.writer.close()


def post_args(delivery: str) -> dict[str, object]:
    """Keyword arguments of a signed delivery."""
    body = json.dumps({"action": "opened", "n": delivery}).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": delivery,
        "x-hub-signature-256": "sha256=" + sign(SECRET, body),
    }
    return {"content": body, "headers": headers}


def delivery_ids(engine: Engine) -> list[str]:
    """Stored delivery ids, in order."""
    with engine.connect() as conn:
        return list(conn.scalars(select(Delivery.delivery_id).order_by(Delivery.id)))


class TestGroupCommitOnPostgres:
    """The same guarantees as on SQLite: stored once, acknowledged after the commit."""

    async def test_concurrent_deliveries_with_replays_are_stored_once_each(
        self, client: httpx.AsyncClient, postgres_engine: Engine
    ) -> None:
        """60 concurrent posts of 30 ids (each twice): 30 rows, 30 "stored" and 30 "duplicate" answers."""
        posts = [client.post("/webhooks/gh", **post_args(f"pg-{n % 30}")) for n in range(60)]  # type: ignore[arg-type]
        answers = [response.json()["status"] for response in await asyncio.gather(*posts)]
        assert sorted(answers) == ["duplicate"] * 30 + ["stored"] * 30
        assert sorted(delivery_ids(postgres_engine)) == sorted(f"pg-{n}" for n in range(30))

    async def test_two_writers_racing_on_one_id_store_it_once(self, postgres_engine: Engine) -> None:
        """Two replicas' writers get the same redelivery: one row; both answers are 2xx outcomes."""
        first, second = DeliveryWriter(postgres_engine), DeliveryWriter(postgres_engine)
        row = DeliveryRow("gh", "raced", "issues.opened", b"{}", make_runtime(postgres_engine, []).clock())
        try:
            outcomes = await asyncio.gather(first.submit(row), second.submit(row))
        finally:
            first.close()
            second.close()
        assert sorted(outcomes) == [IngestOutcome.DUPLICATE, IngestOutcome.STORED]
        assert delivery_ids(postgres_engine) == ["raced"]

    async def test_a_terminated_backend_is_replaced_without_a_503(
        self, runtime: Runtime, postgres_engine: Engine
    ) -> None:
        """pg_terminate_backend on the writer's connection: the next delivery still commits (one retry)."""
        held = HeldConnections(postgres_engine)
        app = create_app(runtime, ingest_timeout=5.0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            assert (await http.post("/webhooks/gh", **post_args("before"))).status_code == 202  # type: ignore[arg-type]
            (pid,) = held.pids()  # the writer's own backend, and no one else's: it keeps its connection
            with postgres_engine.connect() as conn:
                assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert (await http.post("/webhooks/gh", **post_args("after"))).status_code == 202  # type: ignore[arg-type]
        app.state.writer.close()
        assert delivery_ids(postgres_engine) == ["before", "after"]
