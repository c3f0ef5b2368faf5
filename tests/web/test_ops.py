"""`/healthz`, `/readyz` and `/metrics` as a probe or a Prometheus scraper sees them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete

from syncd.runtime.context import Runtime
from syncd.store.engine import create_store_engine
from syncd.store.schema import SourceStateRow
from syncd.web.app import create_app
from tests.support.store import migrated_postgres
from tests.support.webhooks import SECRET, IntakeAdapter, make_runtime, sign

pytestmark = pytest.mark.anyio
STATE = SourceStateRow.__table__


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    """A runtime with one source `gh`."""
    return make_runtime(engine, [IntakeAdapter("gh")])


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client for `app`; its writer is closed afterwards."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://syncd.test") as http:
        yield http
    if app.state.writer is not None:
        app.state.writer.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the full app (webhooks and operations)."""
    app = create_app(runtime)
    async for http in serve(app):
        yield http


def mark_failing(engine: Engine, runtime: Runtime, source: str, for_: timedelta) -> None:
    """Record in source_state that `source` has been failing for `for_`."""
    since = runtime.clock() - for_
    with engine.begin() as conn:
        conn.execute(delete(STATE).where(STATE.c.source == source))
        conn.execute(STATE.insert().values(source=source, failing_since=since, last_error="502 from GitHub"))


class TestHealthz:
    """Liveness says only that the process answers."""

    async def test_alive_even_when_the_store_is_not(self) -> None:
        """200 with a store nobody listens for."""
        runtime = make_runtime(create_store_engine("postgresql://postgres@127.0.0.1:1/none"), [IntakeAdapter("gh")])
        async for http in serve(create_app(runtime)):
            response = await http.get("/healthz")
            assert response.status_code == 200
            assert response.json()["status"] == "alive"


class TestReadyz:
    """Readiness of the role: config loaded, store answers and takes writes, the webhook writer runs."""

    async def test_ready_when_every_check_passes(self, client: httpx.AsyncClient) -> None:
        """200 and each check says ok."""
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {"config": "ok", "ingest": "ok", "store": "ok"}

    async def test_unreachable_store_is_503_naming_the_store(self) -> None:
        """503 whose detail starts with the failed check."""
        runtime = make_runtime(create_store_engine("postgresql://postgres@127.0.0.1:1/none"), [IntakeAdapter("gh")])
        async for http in serve(create_app(runtime)):
            response = await http.get("/readyz")
            assert response.status_code == 503
            assert response.json()["detail"].startswith("store: unreachable")

    async def test_a_failing_tracker_does_not_take_the_process_out_of_service(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """A tracker down for a day is news for `status` and `/metrics`, not a readiness failure: a web replica that
        stopped being ready would stop taking the webhooks that repair the outage. The body still says it."""
        mark_failing(engine, runtime, "gh", timedelta(days=1))
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert "gh failing since" in response.json()["info"]["sources"]
        assert "502 from GitHub" in response.json()["info"]["sources"]
        assert "sources" not in response.json()["checks"]

    async def test_failing_source_no_longer_configured_is_not_mentioned(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """Old state of a removed source is not reported."""
        mark_failing(engine, runtime, "removed-source", timedelta(days=1))
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["info"]["sources"] == "ok"

    async def test_a_store_that_refuses_writes_is_not_ready(self, engine: Engine, tmp_path: Path) -> None:
        """A read-only store (a SQLite file the process may not write, a PostgreSQL standby) cannot take webhooks."""
        path = tmp_path / "syncd.db"
        read_only = create_store_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        runtime = make_runtime(read_only, [IntakeAdapter("gh")])
        async for http in serve(create_app(runtime)):
            response = await http.get("/readyz")
            assert response.status_code == 503
            assert response.json()["checks"]["store"].startswith("read-only")

    async def test_a_postgresql_standby_is_not_ready(self, postgres_url: str) -> None:
        """A database that answers but refuses writes (what a standby does) is not ready."""
        with migrated_postgres(postgres_url) as writable:
            url = writable.url.update_query_dict(
                {"options": f"{writable.url.query['options']} -cdefault_transaction_read_only=on"}
            )
            read_only = create_store_engine(url.render_as_string(hide_password=False))
            runtime = make_runtime(read_only, [IntakeAdapter("gh")])
            async for http in serve(create_app(runtime)):
                response = await http.get("/readyz")
                assert response.status_code == 503
                assert response.json()["checks"]["store"].startswith("read-only")
            read_only.dispose()

    async def test_stopped_writer_is_not_ready(self, runtime: Runtime) -> None:
        """After the webhook writer closed (shutdown), readiness fails on ingest."""
        app = create_app(runtime)
        app.state.writer.close()
        async for http in serve(app):
            response = await http.get("/readyz")
            assert response.status_code == 503
            assert response.json()["checks"]["ingest"] == "the webhook writer has stopped"


class TestMetrics:
    """Prometheus text with delivery outcomes, ack latency and queue depths."""

    async def test_counts_outcomes_latency_and_queue_depths(self, client: httpx.AsyncClient) -> None:
        """One stored and one refused delivery show up by outcome; the pending delivery is a queue depth."""
        body = json.dumps({"action": "opened"}).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": "m-1",
            "x-hub-signature-256": "sha256=" + sign(SECRET, body),
        }
        assert (await client.post("/webhooks/gh", content=body, headers=headers)).status_code == 202
        headers["x-hub-signature-256"] = "sha256=00"
        assert (await client.post("/webhooks/gh", content=body, headers=headers)).status_code == 401
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        assert 'syncd_webhook_deliveries_total{outcome="stored",source="gh"} 1.0' in text
        assert 'syncd_webhook_deliveries_total{outcome="signature_invalid",source="gh"} 1.0' in text
        assert 'syncd_webhook_ack_seconds_count{source="gh"} 2.0' in text
        assert 'syncd_queue_depth{queue="deliveries"} 1.0' in text
        assert 'syncd_queue_depth{queue="ingest"} 0.0' in text

    async def test_unknown_source_is_counted_without_its_name(self, client: httpx.AsyncClient) -> None:
        """Arbitrary URL names never become label values (bounded cardinality)."""
        await client.post("/webhooks/made-up-name", content=b"{}", headers={"content-type": "application/json"})
        text = (await client.get("/metrics")).text
        assert 'syncd_webhook_deliveries_total{outcome="unknown_source",source="unknown"} 1.0' in text
        assert "made-up-name" not in text
