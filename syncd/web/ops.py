"""Operations endpoints: `/healthz` (alive), `/readyz` (able to do its job), `/metrics` (Prometheus).

Readiness means "this process can do its role's work now": the config is loaded, the store answers within
a short timeout and takes writes (not a read-only SQLite file, not a PostgreSQL standby), and, in a process
that takes webhooks, the webhook writer runs. `/readyz` answers 503 naming the failed check otherwise.

A tracker outage is not a readiness failure: taking web replicas out of the Service would stop the
webhooks that help repair it. Sources failing for longer than `ReadinessPolicy.failing_after` are reported
in the body's `info` (as in `syncd status` and `/metrics`), never in the verdict. Queue depths are counted
on scrape.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import structlog
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from syncd.runtime.context import Runtime
from syncd.runtime.ingest.delivery_writer import DeliveryWriter
from syncd.runtime.queues import record_queue_depths
from syncd.store.errors import first_line
from syncd.store.tables import SOURCE_STATE

log = structlog.get_logger("syncd.web")
T = TypeVar("T")


@dataclass(frozen=True)
class ReadinessPolicy:
    """How long the store may take to answer a probe; how long a source fails before the body mentions it."""

    store_timeout: float = 2.0
    failing_after: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class StoreProbe:
    """What one probe learnt from the store: why it refuses writes (None: it takes them), sources failing long."""

    read_only: str | None
    failing: dict[str, str]


def probe_store(engine: Engine, sources: list[str], since: datetime) -> StoreProbe:
    """Ask the store whether it takes writes, and for the sources (of `sources`) failing since before `since`."""
    state = SOURCE_STATE
    with engine.connect() as conn:
        read_only = _read_only_reason(conn)
        rows = conn.execute(
            select(state.c.source, state.c.last_error, state.c.failing_since).where(
                state.c.source.in_(sources), state.c.failing_since.is_not(None), state.c.failing_since < since
            )
        ).all()
    failing = {
        row.source: f"failing since {row.failing_since:%Y-%m-%d %H:%M:%S}: {row.last_error or ''}" for row in rows
    }
    return StoreProbe(read_only, failing)


def _read_only_reason(conn: Connection) -> str | None:
    """Why the store refuses writes (a standby, a read-only file or connection), or None when it takes them.

    Asked without writing: a probe must not take SQLite's write lock every few seconds.
    """
    if conn.dialect.name == "postgresql":
        if conn.execute(text("SHOW transaction_read_only")).scalar() == "on":
            return "read-only: the database refuses writes (a standby, or default_transaction_read_only)"
        return None
    if conn.dialect.name == "sqlite":
        if conn.execute(text("PRAGMA query_only")).scalar():
            return "read-only: the connection is query_only"
        return _sqlite_file_read_only(conn.engine.url.database, conn.engine.url.query)
    conn.execute(text("SELECT 1"))
    return None


def _sqlite_file_read_only(database: str | None, query: Mapping[str, object]) -> str | None:
    """Why a SQLite file cannot take writes: opened `mode=ro`, or the file or its folder (for the WAL) not writable."""
    if not database or database == ":memory:":
        return None
    path_text, _, options = database.removeprefix("file:").partition("?")
    if "mode=ro" in options.split("&") or query.get("mode") == "ro":
        return "read-only: the SQLite file is opened with mode=ro"
    path = Path(path_text)
    for where in (path, path.parent):
        if where.exists() and not os.access(where, os.W_OK):
            return f"read-only: this process may not write {where}"
    return None


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
        checks, info = await self._checks()
        failed = {name: detail for name, detail in checks.items() if detail != "ok"}
        if failed:
            log.info("ops.not_ready", failed=failed)
            detail = "; ".join(f"{name}: {reason}" for name, reason in failed.items())
            return _json(503, {"status": "not_ready", "detail": detail, "checks": checks, "info": info})
        return _json(200, {"status": "ready", "detail": "all checks passed", "checks": checks, "info": info})

    async def metrics(self, _request: Request) -> Response:
        """Prometheus text; queue depths are counted now (kept as last seen if the store does not answer)."""
        await self._refresh_queue_depths()
        return Response(self.runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def _checks(self) -> tuple[dict[str, str], dict[str, str]]:
        """Each check's verdict ("ok" or what is wrong), and what the body reports without failing on it."""
        config = self.runtime.config
        checks = {"config": "ok" if config.cycles else "no config loaded"}
        if self.writer is not None:
            checks["ingest"] = "ok" if self.writer.alive else "the webhook writer has stopped"
        enabled = [source.name for source in config.sources if source.enabled]
        since = self.runtime.clock() - self.policy.failing_after
        try:
            probe = await self._in_thread(lambda: probe_store(self.runtime.engine, enabled, since))
        except TimeoutError:
            checks["store"] = f"no answer within {self.policy.store_timeout:g}s"
            return checks, {}
        except SQLAlchemyError as error:
            checks["store"] = f"unreachable: {first_line(error)}"
            return checks, {}
        checks["store"] = probe.read_only or "ok"
        sources = "; ".join(f"{name} {why}" for name, why in sorted(probe.failing.items()))
        return checks, {"sources": sources or "ok"}

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
