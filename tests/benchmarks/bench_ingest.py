"""Webhook ingest benchmark: `syncd run` against a bare ASGI endpoint and a raw endpoint (HMAC check + one insert).

Run from the repository root (takes about two minutes; ~2 more with PostgreSQL):

    python -m tests.benchmarks.bench_ingest                      # SQLite (WAL)
    SYNCD_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test python -m tests.benchmarks.bench_ingest
    python -m tests.benchmarks.bench_ingest --phases latency     # only the paced run (p50/p99 at 100 req/s)

Every server runs in its own process under the same uvicorn settings (asyncio loop, h11 parser: what
`syncd run` serves with); one load generator (raw asyncio streams, HTTP/1.1 keep-alive, this process)
drives each in turn: signed GitHub `issues` deliveries, each a newer state of one of 200 labelled issues
(so the worker of `--role all` has real changes to apply, not redeliveries of one state), with unique
delivery ids. Two separate phases:

- paced: a fixed 100 req/s for 20 s per server over 8 connections (open loop: latency measured from each
  request's scheduled time, so a stall is not hidden; 2,000 samples, so the p99 is not one hiccup of the
  machine). Each turn starts once every syncd with a worker has applied its backlog, so the server
  measured is the only one of ours at work. The achieved rate is printed ('paced'), to show it was 100/s.
- throughput: 32 connections for 10 s per server (closed loop: req/s).

All servers run at once and are measured in interleaved turns, so other load on the machine hits each
alike. The bare endpoint's figure is the ceiling of generator + server on this machine. Prints req/s, the
ratio to the raw-insert endpoint (issue 23's targets: SQLite >= 0.9, PostgreSQL >= 1.0) and p50/p99 ack
latency at 100 req/s (target p99 <= 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import itertools
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from syncd.core.signatures import hmac_sha256_hex
from tests.support.daemon import REPO, DaemonProcess, base_config, free_port, wait_until, write_config

SECRET = "bench-webhook-secret-0123"
SOURCE = {
    "name": "gh",
    "kind": "github",
    "token": "${BENCH_GITHUB_TOKEN}",
    "webhook_secret": "${BENCH_WEBHOOK_SECRET}",
    "repos": ["octo/bench"],
    "base_url": "http://127.0.0.1:9/api/v3",  # nothing listens: the ack path must never call the tracker
    "poll_interval": "1h",
    "reconcile_interval": "24h",
}
RAW_TABLE = """CREATE TABLE IF NOT EXISTS raw_deliveries (id {pk}, source TEXT, delivery_id TEXT,
 event TEXT, body {blob}, received_at FLOAT, status TEXT, UNIQUE (source, delivery_id))"""
RAW_INSERT = "INSERT INTO raw_deliveries (source, delivery_id, event, body, received_at, status) VALUES ({p}) ON CONFLICT DO NOTHING"


def issue_payload(number: int = 1347, updated_at: str = "2026-01-11T20:09:31Z") -> bytes:
    """A realistic `issues.labeled` body (~3 KB, like GitHub's)."""
    user = {"login": "octocat", "id": 1, "type": "User", "site_admin": False, "url": "https://api.github.com/users/o"}
    label = {"id": 208045946, "name": "kr:ENG-1.1", "color": "f29513", "default": False, "description": "KR"}
    issue = {
        "id": number, "number": number, "title": "Found a bug", "state": "open", "locked": False, "user": user,
        "labels": [label, {**label, "name": "points:3"}], "assignees": [user], "comments": 0,
        "created_at": "2026-01-10T20:09:31Z", "updated_at": updated_at, "closed_at": None,
        "body": "I'm having a problem with this. " * 60, "html_url": f"https://github.com/octo/bench/issues/{number}",
        "url": f"https://api.github.com/repos/octo/bench/issues/{number}", "author_association": "OWNER",
    }  # fmt: skip
    repository = {"id": 1296269, "name": "bench", "full_name": "octo/bench", "private": False, "owner": user}
    return json.dumps(
        {"action": "labeled", "issue": issue, "label": label, "repository": repository, "sender": user}
    ).encode()


ISSUES = 200
#: Placeholders in the body template, replaced per request (bytes.replace: cheap for the load generator).
_NUMBER, _UPDATED = b"987654321", b"2026-01-11T20:09:31Z"
_TEMPLATE = issue_payload(int(_NUMBER), _UPDATED.decode())
_EPOCH = datetime(2026, 1, 11, tzinfo=UTC)
#: Request numbers: each request gets a unique delivery id and a newer `updated_at` (no system call per request).
_SERIAL = itertools.count()
_RUN = uuid.uuid4().hex.encode()


def next_request(port: int) -> bytes:
    """The next signed delivery: a newer state of issue `n % ISSUES + 1`, with a unique delivery id."""
    n = next(_SERIAL)
    updated = (_EPOCH + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    body = _TEMPLATE.replace(_NUMBER, str(n % ISSUES + 1).encode()).replace(_UPDATED, updated)
    head = (
        f"POST /webhooks/gh HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: issues\r\n"
        f"X-Hub-Signature-256: sha256={hmac_sha256_hex(SECRET, body)}\r\n"
        f"Content-Length: {len(body)}\r\nX-GitHub-Delivery: {_RUN.decode()}-{n}\r\n\r\n"
    ).encode()
    return head + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one request on a kept-alive connection and read the whole response; return its status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            await reader.readexactly(int(line[15:]))
    return status


async def closed_loop(port: int, seconds: float, connections: int) -> dict[str, Any]:
    """As many requests as `connections` keep-alive connections get answered in `seconds`."""
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            status = await exchange(reader, writer, next_request(port))
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    return {"ok": ok, "elapsed": elapsed, "statuses": statuses}


async def fixed_rate(port: int, rate: float, seconds: float, connections: int = 8) -> dict[str, Any]:
    """Requests scheduled at `rate`/s; latency from each one's scheduled time to its full answer."""
    total = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter() + 0.2
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(total):
        queue.put_nowait(index)

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not queue.empty():
            scheduled = start + queue.get_nowait() / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            status = await exchange(reader, writer, next_request(port))
            latencies.append(time.perf_counter() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    # From the first scheduled send to the last answer: about `seconds` when the server kept the pace.
    return {"latencies": latencies, "statuses": statuses, "paced": time.perf_counter() - start}


ANSWER = b'{"status": "stored", "detail": "delivery stored"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]


# --- the two baseline servers (run as `python -m tests.benchmarks.bench_ingest serve KIND PORT [URL]`) ---


def bare_app() -> Any:
    """ASGI app answering 200 to everything after reading the body."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": ANSWER})

    return app


def raw_insert_app(url: str) -> Any:
    """ASGI app verifying the HMAC signature, then doing one raw driver insert + commit per request (sqlite3, or
    psycopg for PostgreSQL)."""
    if url.startswith("postgresql"):
        import psycopg

        conn: Any = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        sql = RAW_INSERT.format(p="%s, %s, %s, %s, %s, %s")
    else:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        conn.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        sql = RAW_INSERT.format(p="?, ?, ?, ?, ?, ?")
    postgres = url.startswith("postgresql")
    conn.execute(
        RAW_TABLE.format(
            pk="BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY", blob="BYTEA" if postgres else "BLOB"
        )
    )
    conn.commit()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        headers = dict(scope["headers"])
        body = b"".join(chunks)
        # Verified like every webhook endpoint must (issue 23: "the same endpoint plus HMAC and one raw insert").
        signature = headers.get(b"x-hub-signature-256", b"").decode()
        if not hmac.compare_digest(f"sha256={hmac_sha256_hex(SECRET, body)}", signature):
            await send({"type": "http.response.start", "status": 401, "headers": HEADERS})
            await send({"type": "http.response.body", "body": ANSWER})
            return
        delivery = headers.get(b"x-github-delivery", b"").decode()
        conn.execute(sql, ("gh", delivery, "issues", body, time.time(), "pending"))
        conn.commit()
        await send({"type": "http.response.start", "status": 202, "headers": HEADERS})
        await send({"type": "http.response.body", "body": ANSWER})

    return app


def serve(kind: str, port: int, url: str) -> None:
    """Run a baseline app with the daemon's uvicorn settings."""
    import uvicorn

    app = bare_app() if kind == "bare" else raw_insert_app(url)
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off", loop="asyncio", http="h11"
    )


@contextmanager
def baseline(kind: str, url: str = "") -> Iterator[int]:
    """A baseline server process; yields its port."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tests.benchmarks.bench_ingest", "serve", kind, str(port), url]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _listening(port), timeout=20, what=f"{kind} server on {port}")
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _listening(port: int) -> bool:
    """Whether something accepts connections on `port`."""
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def syncd_daemon(directory: Path, store_url: str, role: str, log_level: str) -> Iterator[int]:
    """A real `syncd run` with one GitHub source; yields its port."""
    config = write_config(directory, base_config(store_url, sources=[SOURCE]), name=f"syncd-{role}.yaml")
    env = {"BENCH_GITHUB_TOKEN": "bench-token-0123456789", "BENCH_WEBHOOK_SECRET": SECRET, "SYNCD_LOG_LEVEL": log_level}
    daemon = DaemonProcess(config, role=role, env=env).start()
    try:
        daemon.wait_ready(60)
        yield daemon.port
    finally:
        daemon.terminate(30)


def measure_all(
    ports: dict[str, int],
    seconds: float,
    stores: dict[str, str],
    latency_seconds: float,
    *,
    rounds: int = 5,
    phases: frozenset[str] = frozenset({"latency", "throughput"}),
) -> dict[str, dict[str, Any]]:
    """Two separate phases, each in `rounds` short turns per server interleaved so that load from anything
    else on the machine falls on every server alike: first the paced run (100 req/s, the ack latency), then
    the throughput run (32 connections, req/s).

    Every paced turn starts only once each syncd with a worker has applied all it was sent (so nothing of
    ours runs in the background of the server measured, and a syncd's own worker only applies that turn's
    100 req/s: the steady state the p99 target is about, not the tail of a burst)."""
    totals = {name: {"ok": 0, "elapsed": 0.0, "latencies": [], "paced": 0.0, "statuses": {}} for name in ports}
    for name, port in ports.items():  # warm-up (imports, statement caches, connections): not timed
        totals[name]["warm_up_ok"] = asyncio.run(closed_loop(port, 1.0, 8))["ok"]
    if "latency" in phases:
        for _ in range(rounds):
            for name, port in ports.items():
                wait_for_workers(stores)
                _add(totals[name], asyncio.run(fixed_rate(port, 100.0, latency_seconds / rounds)))
    if "throughput" in phases:
        for _ in range(rounds):
            for name, port in ports.items():
                _add(totals[name], asyncio.run(closed_loop(port, seconds / rounds, 32)))
    return {name: _figures(total) for name, total in totals.items()}


def wait_for_workers(stores: dict[str, str]) -> None:
    """Wait until every syncd that runs a worker has applied every delivery it stored."""
    for name, url in stores.items():
        if "web" not in name:
            wait_until(lambda url=url: pending_deliveries(url) == 0, timeout=120, what=f"{name} to apply its backlog")


def _figures(total: dict[str, Any]) -> dict[str, Any]:
    """req/s, p50/p99 and the achieved paced rate of one server's accumulated turns."""
    latencies = sorted(total["latencies"])
    ok = sum(n for code, n in total["statuses"].items() if 200 <= code < 300)
    return {
        "rps": total["ok"] / total["elapsed"] if total["elapsed"] else float("nan"),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "paced_rps": len(latencies) / total["paced"] if total["paced"] else float("nan"),
        "statuses": total["statuses"],
        "acknowledged": total["warm_up_ok"] + ok,
    }


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Accumulate one turn's figures."""
    total["ok"] += part.get("ok", 0)
    total["elapsed"] += part.get("elapsed", 0.0)
    total["latencies"] += part.get("latencies", [])
    total["paced"] += part.get("paced", 0.0)
    for status, count in part["statuses"].items():
        total["statuses"][status] = total["statuses"].get(status, 0) + count


@contextmanager
def store_url(kind: str, directory: Path, name: str) -> Iterator[str]:
    """A fresh store for one server: a SQLite file, or a throwaway PostgreSQL schema (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / f'{name}.db'}"
        return
    from tests.support.store import postgres_schema

    with postgres_schema(kind) as url:
        yield url


def run_suite(
    kind: str,
    directory: Path,
    *,
    seconds: float,
    latency_seconds: float,
    roles: list[str],
    log_level: str,
    phases: frozenset[str],
) -> None:
    """Measure the baselines and syncd on one store kind ("sqlite" or a PostgreSQL URL); print the table."""
    with ExitStack() as stack:
        ports = {"bare ASGI 200": stack.enter_context(baseline("bare"))}
        raw_url = stack.enter_context(store_url(kind, directory, "raw"))
        ports["raw single insert"] = stack.enter_context(baseline("raw", raw_url))
        stores = {}
        for role in roles:
            name = f"syncd run --role {role}"
            stores[name] = stack.enter_context(store_url(kind, directory, f"syncd-{role}"))
            ports[name] = stack.enter_context(syncd_daemon(directory, stores[name], role, log_level))
        results = measure_all(ports, seconds, stores, latency_seconds, phases=phases)
        for name, url in stores.items():
            results[name]["stored"] = stored_deliveries(url)
    raw = results["raw single insert"]["rps"]
    label = "SQLite (WAL)" if kind == "sqlite" else "PostgreSQL"
    print(
        f"\n{label}: {len(_TEMPLATE)} B signed deliveries over {ISSUES} issues, 32 connections x {seconds:g}s; "
        f"100 req/s x {latency_seconds:g}s"
    )
    target = "SQLite >= 0.9 of raw" if kind == "sqlite" else "PostgreSQL >= 1.0 of raw"
    print(f"targets: {target} (32 connections); p99 <= 20 ms in the paced run (its achieved rate: 'paced')")
    print(f"{'endpoint':28} {'req/s':>8} {'vs raw':>7} {'paced':>6} {'p50 ms':>7} {'p99 ms':>7}  statuses")
    for name, row in results.items():
        print(
            f"{name:28} {row['rps']:8.0f} {row['rps'] / raw:7.2f} {row['paced_rps']:6.1f} {row['p50_ms']:7.2f} "
            f"{row['p99_ms']:7.2f}  {row['statuses']}"
            + (f"; {row['stored']} rows stored of {row['acknowledged']} acknowledged" if "stored" in row else ""),
            flush=True,
        )


def pending_deliveries(url: str) -> int:
    """Deliveries syncd has stored and not applied yet."""
    from sqlalchemy import func, select

    from syncd.store.engine import create_store_engine
    from syncd.store.schema import Delivery

    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            table = Delivery.__table__
            return int(conn.scalar(select(func.count()).select_from(table).where(table.c.status == "pending")) or 0)
    finally:
        engine.dispose()


def stored_deliveries(url: str) -> int:
    """Rows in syncd's inbox: every acknowledged delivery must be one (none lost, none twice)."""
    from sqlalchemy import func, select

    from syncd.store.engine import create_store_engine
    from syncd.store.schema import Delivery

    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Delivery)) or 0)
    finally:
        engine.dispose()


def main() -> None:
    """Parse arguments; run the benchmark (or serve one baseline, when called as a child process)."""
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="closed-loop (throughput) seconds per server")
    parser.add_argument(
        "--latency-seconds", type=float, default=20.0, help="seconds at 100 req/s per server (p99 of 100 x this)"
    )
    parser.add_argument("--roles", default="web,all", help="syncd roles to measure, comma-separated")
    parser.add_argument("--log-level", default="info", help="syncd log level during the run")
    parser.add_argument(
        "--phases", default="latency,throughput", help="latency (paced 100 req/s), throughput (32 connections), or both"
    )
    options = parser.parse_args()
    roles = [role for role in options.roles.split(",") if role]
    phases = frozenset(phase for phase in options.phases.split(",") if phase)
    if not phases or not phases <= {"latency", "throughput"}:
        parser.error(f"--phases takes latency and/or throughput, not {options.phases!r}")
    timing: dict[str, Any] = {
        "seconds": options.seconds,
        "latency_seconds": options.latency_seconds,
        "roles": roles,
        "log_level": options.log_level,
        "phases": phases,
    }
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        run_suite("sqlite", Path(tmp), **timing)
        postgres = os.environ.get("SYNCD_TEST_POSTGRES_URL")
        if postgres:
            run_suite(postgres, Path(tmp), **timing)


if __name__ == "__main__":
    main()
