"""The daemon in process: signals, graceful shutdown within the deadline, crashes, draining the ingest queue."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select
from structlog.testing import capture_logs

from syncd.daemon.process import Daemon, DaemonOptions, Prepared, component_factories
from syncd.runtime.context import Runtime
from syncd.store.lock import DaemonLock
from syncd.store.schema import Delivery
from tests.support.daemon import free_port, wait_until
from tests.support.webhooks import SECRET, IntakeAdapter, make_runtime, sign


class PoliteComponent:
    """Works until told to stop, then finishes at once."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stopped = False

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for the stop."""
        await stop.wait()
        self.stopped = True


class StubbornComponent(PoliteComponent):
    """Ignores the stop (a stuck tracker call): the daemon must cancel it at the deadline."""

    async def run(self, stop: asyncio.Event) -> None:
        """Never return by itself."""
        await asyncio.sleep(3600)


class CrashingComponent(PoliteComponent):
    """Fails shortly after start."""

    async def run(self, stop: asyncio.Event) -> None:
        """Raise."""
        await asyncio.sleep(0.05)
        raise RuntimeError("the component broke")


def make_daemon(engine: Engine, tmp_path: Path, components: list[type[PoliteComponent]], **options: float) -> Daemon:
    """A daemon over `engine` with the given component classes, on a free port."""
    runtime = make_runtime(engine, [IntakeAdapter("gh")])
    prepared = Prepared(runtime=runtime, lock=DaemonLock(str(engine.url)), components=list(components))
    config = tmp_path / "syncd.yaml"
    config.write_text("cycles: []\n")
    daemon_options = DaemonOptions(config_path=config, host="127.0.0.1", port=free_port(), **options)  # type: ignore[arg-type]
    return Daemon(prepared, daemon_options)


def count_deliveries(engine: Engine) -> int:
    """Rows in the inbox."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Delivery.__table__)) or 0)


class TestRoles:
    """Each role runs its own components."""

    def test_web_role_runs_no_worker_side_component(self) -> None:
        """--role web: only the HTTP server."""
        assert component_factories(frozenset({"web"})) == []

    def test_worker_and_scheduler_roles_split_the_components(self) -> None:
        """--role worker applies and pushes; --role scheduler polls; all runs every one."""
        from syncd.runtime.poll.scheduler import Scheduler
        from syncd.runtime.push.pusher import Pusher
        from syncd.runtime.worker import Worker

        assert component_factories(frozenset({"worker"})) == [Worker, Pusher]
        assert component_factories(frozenset({"scheduler"})) == [Scheduler]
        assert component_factories(frozenset({"web", "worker", "scheduler"})) == [Worker, Pusher, Scheduler]


class TestShutdown:
    """SIGTERM stops the daemon within its deadline, whatever the components do."""

    def test_sigterm_stops_every_component_and_exits_zero(self, engine: Engine, tmp_path: Path) -> None:
        """A real SIGTERM to this process reaches the daemon's handler; exit code 0."""
        daemon = make_daemon(engine, tmp_path, [PoliteComponent])

        async def scenario() -> int:
            running = asyncio.create_task(daemon.run())
            await asyncio.to_thread(wait_until, lambda: daemon.server.started, timeout=10, what="server started")
            os.kill(os.getpid(), signal.SIGTERM)
            return await running

        with capture_logs() as logs:
            assert asyncio.run(scenario()) == 0
        names = [entry["event"] for entry in logs]
        assert names.index("daemon.signal") < names.index("daemon.stopping") < names.index("daemon.stopped")

    def test_start_up_objects_are_left_out_of_garbage_collection_while_serving(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A full collection walking every start-up object held the GIL for ~100 ms (webhook answers
        stalled); while the daemon serves they are frozen, and given back when it stops."""
        daemon = make_daemon(engine, tmp_path, [PoliteComponent])

        async def scenario() -> int:
            running = asyncio.create_task(daemon.run())
            await asyncio.to_thread(wait_until, lambda: daemon.server.started, timeout=10, what="server started")
            frozen = gc.get_freeze_count()
            daemon.stop.set()
            await running
            return frozen

        assert asyncio.run(scenario()) > 10_000
        assert gc.get_freeze_count() == 0

    def test_a_stuck_component_is_cancelled_at_the_deadline(self, engine: Engine, tmp_path: Path) -> None:
        """A component ignoring the stop does not hold the process past the deadline."""
        daemon = make_daemon(engine, tmp_path, [StubbornComponent], shutdown_timeout=1.0)

        async def scenario() -> tuple[int, float]:
            running = asyncio.create_task(daemon.run())
            await asyncio.to_thread(wait_until, lambda: daemon.server.started, timeout=10, what="server started")
            loop = asyncio.get_running_loop()
            started = loop.time()
            daemon.stop.set()
            code = await running
            return code, loop.time() - started

        with capture_logs() as logs:
            code, took = asyncio.run(scenario())
        assert code == 0
        assert took < 3.0
        assert any(e["event"] == "daemon.deadline_exceeded" and e["component"] == "StubbornComponent" for e in logs)

    def test_a_crashing_component_stops_the_daemon_with_exit_one(self, engine: Engine, tmp_path: Path) -> None:
        """A component that raises takes the daemon down (an orchestrator restarts it), logged by name."""
        daemon = make_daemon(engine, tmp_path, [CrashingComponent])
        with capture_logs() as logs:
            assert asyncio.run(daemon.run()) == 1
        failed = [e for e in logs if e["event"] == "daemon.component_failed"]
        assert failed
        assert "the component broke" in failed[0]["error"]

    def test_port_in_use_is_a_start_failure(self, engine: Engine, tmp_path: Path) -> None:
        """When the port cannot be bound the daemon exits 1 instead of running without its server."""
        import socket

        daemon = make_daemon(engine, tmp_path, [PoliteComponent])
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", daemon.options.port))
            taken.listen()
            assert asyncio.run(daemon.run()) == 1


class TestDrain:
    """Deliveries acknowledged before a stop are in the store; none is acknowledged without its row."""

    def test_every_acknowledged_delivery_survives_a_sigterm_mid_burst(self, engine: Engine, tmp_path: Path) -> None:
        """200 concurrent deliveries, SIGTERM after the first answer: each 2xx has its row."""
        daemon = make_daemon(engine, tmp_path, [PoliteComponent])
        url = f"http://127.0.0.1:{daemon.options.port}/webhooks/gh"
        body = json.dumps({"action": "opened"}).encode()

        async def post(http: httpx.AsyncClient, index: int, first: asyncio.Event) -> str | None:
            headers = {
                "content-type": "application/json",
                "x-github-event": "issues",
                "x-github-delivery": f"burst-{index}",
                "x-hub-signature-256": "sha256=" + sign(SECRET, body),
            }
            try:
                response = await http.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                return None
            first.set()
            return f"burst-{index}" if response.status_code in (200, 202) else None

        async def scenario() -> list[str]:
            running = asyncio.create_task(daemon.run())
            await asyncio.to_thread(wait_until, lambda: daemon.server.started, timeout=10, what="server started")
            first = asyncio.Event()
            limits = httpx.Limits(max_connections=32)
            async with httpx.AsyncClient(limits=limits, timeout=10) as http:
                posts = [asyncio.create_task(post(http, i, first)) for i in range(200)]
                await first.wait()
                os.kill(os.getpid(), signal.SIGTERM)
                acknowledged = [d for d in await asyncio.gather(*posts) if d]
            assert await running == 0
            return acknowledged

        acknowledged = asyncio.run(scenario())
        assert acknowledged
        table = Delivery.__table__
        with engine.connect() as conn:
            stored = set(conn.scalars(select(table.c.delivery_id)))
        assert set(acknowledged) <= stored
