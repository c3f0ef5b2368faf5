"""Benchmark of the goals dashboard: 1,000 KRs over 100,000 tasks and a year of daily check-ins (issue 21).

Run: `python tests/benchmarks/bench_dashboard.py` (not collected by pytest). Seeds a SQLite store (200 objectives of
5 KRs, 100 linked tasks per KR, 365 daily check-ins per KR), then times the app in-process (server time, no
network): the overview `/` against `GET /api/v1/objectives` (the same data as JSON, the baseline), the KR page
`/kr/<id>` against `GET /api/v1/key-results/<id>`; and the process's resident memory across 1,000 dashboard
requests. The app is called in-process (ASGI, no socket): server time. Targets: overview < 200 ms, KR page < 50 ms (medians), memory flat (growth < 10 MB after warm-up).
Nothing is cached between requests: each reads the store and renders in full. Beside the wall time each line prints the
process's CPU time per request (all its threads): on a shared machine the wall time moves with the neighbours' load,
the CPU time much less. The seeded store is deleted at the end.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

OBJECTIVES, KRS_PER_OBJECTIVE, TASKS_PER_KR, DAYS = 200, 5, 100, 365
OVERVIEW_TARGET_S, KR_TARGET_S, MEMORY_TARGET_MB = 0.200, 0.050, 10.0
RUNS, MEMORY_REQUESTS = 15, 1_000
CYCLE_START = date(2026, 1, 1)
NOW = datetime(2026, 12, 20, 12, tzinfo=UTC)
TOKEN = "bench-viewer-token-0123456789"
API_TOKEN = "bench-api-token-0123456789"


def main() -> None:
    """Seed, time, print the figures against the targets; exit non-zero when a target is missed."""
    _repo_on_path()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as name:
        run(Path(name))


def run(directory: Path) -> None:
    """Seed in `directory`, time, report."""
    started = time.perf_counter()
    client, runtime = build(directory)
    print(
        f"seeded {OBJECTIVES * KRS_PER_OBJECTIVE:,} KRs, {OBJECTIVES * KRS_PER_OBJECTIVE * TASKS_PER_KR:,} tasks, "
        f"{OBJECTIVES * KRS_PER_OBJECTIVE * DAYS:,} check-ins in {time.perf_counter() - started:.1f} s"
    )
    api = {"Authorization": f"Bearer {API_TOKEN}"}
    overview = timed(lambda: client.get("/"))
    overview_json = timed(lambda: client.get("/api/v1/objectives", headers=api))
    kr = timed(lambda: client.get("/kr/KR-17"))
    kr_json = timed(lambda: client.get("/api/v1/key-results/KR-17", headers=api))
    growth = memory_growth(client)
    misses = report(overview, overview_json, kr, kr_json, growth)
    client.close()
    runtime.executor.shutdown(wait=True)
    runtime.engine.dispose()
    if misses:
        raise SystemExit("missed: " + ", ".join(misses))


def _repo_on_path() -> None:
    """Run as a plain script from anywhere: make the checkout's `syncd` importable."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)


def config_yaml(store_url: str) -> str:
    """A year-long cycle, 200 objectives (every fifth aligned to another) of 5 `tasks` KRs each."""
    import yaml

    objectives = []
    for index in range(OBJECTIVES):
        krs = [
            {"id": f"KR-{index * KRS_PER_OBJECTIVE + k}", "title": f"Key result {k}"} for k in range(KRS_PER_OBJECTIVE)
        ]
        objective: dict[str, Any] = {
            "id": f"O-{index}",
            "title": f"Objective {index}",
            "cycle": "Y",
            "key_results": krs,
        }
        if index % 5 and index >= 5:
            objective["parent"] = f"O-{index - index % 5}"
        objectives.append(objective)
    data = {
        "store": {"url": store_url},
        "server": {"viewer_token": "${SYNCD_VIEWER_TOKEN}", "api_token": "${SYNCD_API_TOKEN}"},
        "cycles": [
            {"id": "Y", "start": CYCLE_START.isoformat(), "end": (CYCLE_START + timedelta(days=364)).isoformat()}
        ],
        "objectives": objectives,
        "sources": [
            {
                "name": "gh",
                "kind": "github",
                "token": "${GITHUB_TOKEN}",
                "repos": ["acme/web"],
                "base_url": "http://127.0.0.1:9",
            }
        ],
    }
    return yaml.safe_dump(data, sort_keys=False)


@dataclass
class Answer:
    """What the app answered to one request."""

    status_code: int
    headers: dict[str, str]
    text: str


class AppCaller:
    """Calls the ASGI app in-process, with no socket and no test-client thread between: the time measured is the
    server's own (routing, middleware, store reads, rendering)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.cookie = ""

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """GET `path` (with the session cookie)."""
        return self.loop.run_until_complete(self._call("GET", path, b"", headers or {}))

    def post(self, path: str, body: bytes) -> Answer:
        """POST a form to `path`."""
        return self.loop.run_until_complete(
            self._call("POST", path, body, {"content-type": "application/x-www-form-urlencoded"})
        )

    async def _call(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        raw_path, _, query = path.partition("?")
        sent = {"cookie": self.cookie, "host": "127.0.0.1", **{k.lower(): v for k, v in headers.items()}}
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": raw_path,
            "raw_path": raw_path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(k.encode(), v.encode()) for k, v in sent.items() if v],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status, answer_headers, chunks = 0, {}, []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                answer_headers.update((k.decode(), v.decode()) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return Answer(status, answer_headers, b"".join(chunks).decode())

    def close(self) -> None:
        """Close the event loop."""
        self.loop.close()


def build(directory: Path) -> tuple[Any, Any]:
    """The seeded store and a signed-in in-process caller of the web role's app."""
    from adapters.registry import load_config
    from syncd.runtime.context import LoadedConfig, Runtime
    from syncd.store.engine import create_store_engine
    from syncd.store.migrate import upgrade
    from syncd.store.okr import sync_config
    from syncd.web.app import create_app

    path = directory / "syncd.yaml"
    store_url = f"sqlite:///{directory / 'syncd.db'}"
    path.write_text(config_yaml(store_url))
    env = {"SYNCD_VIEWER_TOKEN": TOKEN, "SYNCD_API_TOKEN": API_TOKEN, "GITHUB_TOKEN": "ghp_0123456789abcdef"}
    config = load_config(path, env)
    engine = create_store_engine(store_url)
    upgrade(engine)
    sync_config(engine, config, NOW - timedelta(days=DAYS))
    seed(engine)
    runtime = Runtime(loaded=LoadedConfig(config, path, {}), engine=engine, clock=lambda: NOW)
    client = AppCaller(create_app(runtime))
    answer = client.post("/login", f"token={TOKEN}".encode())
    assert answer.status_code == 303, answer.text
    client.cookie = answer.headers["set-cookie"].split(";")[0]
    return client, runtime


def seed(engine: Any) -> None:
    """Tasks, links, KR progress and a year of daily check-ins, written in bulk (what months of polling leave)."""
    from sqlalchemy import insert, update

    from syncd.store.tables import CHECK_INS, KEY_RESULTS, TASK_LINKS, TASKS

    krs = OBJECTIVES * KRS_PER_OBJECTIVE
    start = datetime.combine(CYCLE_START, datetime.min.time(), tzinfo=UTC)
    with engine.begin() as conn:
        tasks, links = [], []
        for index in range(krs * TASKS_PER_KR):
            kr = index // TASKS_PER_KR
            state = "done" if index % TASKS_PER_KR < 60 else "open" if index % 7 else "dropped"
            tasks.append(
                {
                    "id": index + 1,
                    "source": "gh",
                    "external_id": f"acme/web#{index + 1}",
                    "container": "acme/web",
                    "url": f"https://github.example/acme/web/issues/{index + 1}",
                    "title": f"Task {index + 1}",
                    "state": state,
                    "labels": [f"kr:KR-{kr}"],
                    "updated_at": NOW,
                    "seen_at": NOW,
                }
            )
            links.append({"task_id": index + 1, "kr_id": f"KR-{kr}", "rule": f"label kr:KR-{kr}"})
        conn.execute(insert(TASKS), tasks)
        conn.execute(insert(TASK_LINKS), links)
        check_ins = []
        for kr in range(krs):
            for day in range(DAYS):
                done = round(60 * (day + 1) / DAYS)
                check_ins.append(
                    {
                        "kr_id": f"KR-{kr}",
                        "at": start + timedelta(days=day, hours=9),
                        "kind": "progress",
                        "value": done,
                        "progress": done / 86,
                        "done": done,
                        "total": 86,
                        "cause": "linked tasks changed",
                        "note": "",
                        "tasks_added": 1 if day % 30 == 0 else 0,
                        "tasks_removed": 0,
                    }
                )
            if len(check_ins) > 50_000:
                conn.execute(insert(CHECK_INS), check_ins)
                check_ins = []
        conn.execute(insert(CHECK_INS), check_ins)
        conn.execute(
            update(KEY_RESULTS).values(
                progress=60 / 86,
                current=60,
                total=86,
                status="on_track",
                computed_at=NOW,
                progress_changed_at=NOW,
                dirty_since=None,
            )
        )


@dataclass
class Timings:
    """Wall and CPU seconds of each timed request."""

    wall: list[float]
    cpu: list[float]


def timed(request: Callable[[], Any]) -> Timings:
    """Wall and process CPU seconds per request over RUNS (after two warm-ups); every answer must be 200."""
    for _ in range(2):
        assert request().status_code == 200
    timings = Timings([], [])
    for _ in range(RUNS):
        started, cpu = time.perf_counter(), time.process_time()
        answer = request()
        timings.wall.append(time.perf_counter() - started)
        timings.cpu.append(time.process_time() - cpu)
        assert answer.status_code == 200, answer.text[:200]
    return timings


def rss_mb() -> float:
    """This process's resident set size in MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import resource

    return pages * resource.getpagesize() / 2**20


def memory_growth(client: Any) -> tuple[float, float, float]:
    """RSS after 100 warm-up requests, after MEMORY_REQUESTS more (KR pages, every tenth an overview), growth."""
    paths = [("/" if i % 10 == 0 else f"/kr/KR-{i % 1000}") for i in range(MEMORY_REQUESTS)]
    for path in paths[:100]:
        client.get(path)
    before = rss_mb()
    for path in paths:
        assert client.get(path).status_code == 200
    after = rss_mb()
    return before, after, after - before


def report(
    overview: Timings,
    overview_json: Timings,
    kr: Timings,
    kr_json: Timings,
    growth: tuple[float, float, float],
) -> list[str]:
    """Print the figures and return the targets missed (judged on the wall-time median)."""

    def line(name: str, times: Timings, base: Timings, target: float) -> bool:
        median, baseline = statistics.median(times.wall), statistics.median(base.wall)
        ok = median < target
        print(
            f"{name:<22} median {median * 1000:7.1f} ms  (max {max(times.wall) * 1000:7.1f}, "
            f"cpu {statistics.median(times.cpu) * 1000:6.1f})  "
            f"vs JSON API {baseline * 1000:7.1f} ms = x{median / baseline:4.2f}   target < {target * 1000:.0f} ms  "
            f"{'ok' if ok else 'MISSED'}"
        )
        return ok

    misses = []
    if not line("overview /", overview, overview_json, OVERVIEW_TARGET_S):
        misses.append("overview")
    if not line("KR page /kr/KR-17", kr, kr_json, KR_TARGET_S):
        misses.append("KR page")
    before, after, grown = growth
    ok = grown < MEMORY_TARGET_MB
    print(
        f"memory over {MEMORY_REQUESTS:,} requests: {before:.1f} MB -> {after:.1f} MB (+{grown:.1f} MB)   "
        f"target < +{MEMORY_TARGET_MB:.0f} MB  {'ok' if ok else 'MISSED'}"
    )
    if not ok:
        misses.append("memory")
    return misses


if __name__ == "__main__":
    main()
