"""`/healthz`, `/readyz` and `/metrics` as a probe or a Prometheus scraper sees them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete

from syncd.runtime.context import Runtime
from syncd.store.engine import create_store_engine
from syncd.store.schema import SourceStateRow
from syncd.web.app import create_app
from syncd.web.ops import ReadinessPolicy
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
    app = create_app(runtime, readiness=ReadinessPolicy(failing_threshold=timedelta(minutes=10)))
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
    """Readiness: store reachable, config loaded, writer running, no source failing for too long."""

    async def test_ready_when_every_check_passes(self, client: httpx.AsyncClient) -> None:
        """200 and each check says ok."""
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {"config": "ok", "ingest": "ok", "store": "ok", "sources": "ok"}

    async def test_unreachable_store_is_503_naming_the_store(self) -> None:
        """503 whose detail starts with the failed check."""
        runtime = make_runtime(create_store_engine("postgresql://postgres@127.0.0.1:1/none"), [IntakeAdapter("gh")])
        async for http in serve(create_app(runtime)):
            response = await http.get("/readyz")
            assert response.status_code == 503
            assert response.json()["detail"].startswith("store: unreachable")

    async def test_source_failing_past_the_threshold_fails_then_recovers(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """Failing 5 min (under 10): ready; failing 20 min: 503 naming the source and its error; cleared: ready."""
        mark_failing(engine, runtime, "gh", timedelta(minutes=5))
        assert (await client.get("/readyz")).status_code == 200
        mark_failing(engine, runtime, "gh", timedelta(minutes=20))
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert "gh failing since" in response.json()["checks"]["sources"]
        assert "502 from GitHub" in response.json()["detail"]
        with engine.begin() as conn:
            conn.execute(STATE.update().values(failing_since=None, last_error=None))
        assert (await client.get("/readyz")).status_code == 200

    async def test_failing_source_no_longer_configured_does_not_count(
        self, client: httpx.AsyncClient, engine: Engine, runtime: Runtime
    ) -> None:
        """Old state of a removed source does not keep the daemon unready."""
        mark_failing(engine, runtime, "removed-source", timedelta(days=1))
        assert (await client.get("/readyz")).status_code == 200

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
