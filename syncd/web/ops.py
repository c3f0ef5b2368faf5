"""Operations endpoints: `/healthz` (alive), `/readyz` (able to do its job), `/metrics` (Prometheus).

`/readyz` answers 503 naming the failed check when the store does not answer within a short timeout,
when the webhook writer is down, or when a configured source has been failing for longer than the
threshold (from `source_state.failing_since`, kept by the scheduler). Queue depths are counted on scrape.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import structlog
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from syncd.runtime.context import Runtime
from syncd.runtime.ingest import DeliveryWriter
from syncd.runtime.queues import record_queue_depths
from syncd.store.errors import first_line
from syncd.store.schema import SourceStateRow

log = structlog.get_logger("syncd.web")
T = TypeVar("T")


@dataclass(frozen=True)
class ReadinessPolicy:
    """How long the store may take to answer a probe, and how long a source may fail before not ready."""

    store_timeout: float = 2.0
    failing_threshold: timedelta = timedelta(minutes=15)


def failing_sources(engine: Engine, sources: list[str], since: datetime) -> dict[str, str]:
    """Sources (of `sources`) failing since before `since`, with their last error (blocking)."""
    state = SourceStateRow.__table__
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        if not sources:
            return {}
        rows = conn.execute(
            select(state.c.source, state.c.last_error, state.c.failing_since).where(
                state.c.source.in_(sources), state.c.failing_since.is_not(None), state.c.failing_since < since
            )
        ).all()
    return {row.source: f"failing since {row.failing_since:%Y-%m-%d %H:%M:%S}: {row.last_error or ''}" for row in rows}


class OpsEndpoints:
    """`/healthz`, `/readyz`, `/metrics` for one runtime (and its webhook writer, when this process has one)."""

    def __init__(self, runtime: Runtime, writer: DeliveryWriter | None, policy: ReadinessPolicy) -> None:
        self.runtime = runtime
        self.writer = writer
        self.policy = policy

    async def healthz(self, _request: Request) -> Response:
        """The process is alive and its event loop answers."""
        return _json(200, {"status": "alive", "detail": f"worker {self.runtime.worker_id}"})

    async def readyz(self, _request: Request) -> Response:
        """200 when every check passes, else 503 naming the failed checks."""
        checks = await self._checks()
        failed = {name: detail for name, detail in checks.items() if detail != "ok"}
        if failed:
            log.info("ops.not_ready", failed=failed)
            detail = "; ".join(f"{name}: {reason}" for name, reason in failed.items())
            return _json(503, {"status": "not_ready", "detail": detail, "checks": checks})
        return _json(200, {"status": "ready", "detail": "all checks passed", "checks": checks})

    async def metrics(self, _request: Request) -> Response:
        """Prometheus text; queue depths are counted now (kept as last seen if the store does not answer)."""
        await self._refresh_queue_depths()
        return Response(self.runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def _checks(self) -> dict[str, str]:
        """Each check's verdict: "ok" or what is wrong."""
        config = self.runtime.config
        checks = {"config": "ok" if config.cycles else "no config loaded"}
        if self.writer is not None:
            checks["ingest"] = "ok" if self.writer.alive else "the webhook writer has stopped"
        enabled = [source.name for source in config.sources if source.enabled]
        since = self.runtime.clock() - self.policy.failing_threshold
        try:
            failing = await self._in_thread(lambda: failing_sources(self.runtime.engine, enabled, since))
        except TimeoutError:
            checks["store"] = f"no answer within {self.policy.store_timeout:g}s"
            return checks
        except SQLAlchemyError as error:
            checks["store"] = f"unreachable: {first_line(error)}"
            return checks
        checks["store"] = "ok"
        checks["sources"] = "; ".join(f"{name} {why}" for name, why in sorted(failing.items())) or "ok"
        return checks

    async def _refresh_queue_depths(self) -> None:
        """Set the queue-depth gauges from the store and the in-memory ingest queue."""
        gauge = self.runtime.metrics.queue_depth
        if self.writer is not None:
            gauge.labels(queue="ingest").set(self.writer.pending)
        try:
            await self._in_thread(self._record_queue_depths)
        except (TimeoutError, SQLAlchemyError) as error:
            log.warning("ops.queue_depths_unavailable", error=type(error).__name__)

    def _record_queue_depths(self) -> None:
        """The worker side's queue depths, counted as the worker counts them (one definition, one meaning)."""
        with self.runtime.engine.connect() as conn:
            record_queue_depths(conn, self.runtime.metrics, self.runtime.clock())

    async def _in_thread(self, call: Callable[[], T]) -> T:
        """Run a blocking store read in the runtime's pool, bounded by the probe timeout."""
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(self.runtime.executor, call), self.policy.store_timeout)


def _json(status: int, payload: dict[str, object]) -> Response:
    """A JSON response."""
    return Response(json.dumps(payload).encode(), status, media_type="application/json")
