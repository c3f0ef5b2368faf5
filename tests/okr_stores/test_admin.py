"""The admin's view of OKR stores: `syncd status` and the dashboard's sources page list goals and store targets
with the store's answer, `syncd plan` lists what would be written (and writes nothing), `explain KR` names the
stores a KR feeds, and `check --online` probes each store's metrics."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from rich.console import Console

from syncd.cli.explain_kr import explain_kr
from syncd.cli.online import store_checks
from syncd.console.status import print_report
from syncd.core.model import TaskState
from syncd.runtime.dry_run import make_plan
from syncd.runtime.push.pusher import Pusher
from syncd.simulators.quantive import QuantiveSimulator
from syncd.store.status_query import read_status
from tests.okr_stores.bench import (
    QUANTIVE_ACCOUNT,
    QUANTIVE_METRIC,
    QUANTIVE_TOKEN,
    change,
    quantive_item,
    settle,
    store_bench,
)
from tests.support.served_app import serving_app
from tests.support.worker_env import WorkerEnv

VIEWER = "viewer-token-0123456789abcdef"


@pytest.fixture
def quantive() -> Iterator[QuantiveSimulator]:
    """Quantive with ENG-1.1's metric."""
    sim = QuantiveSimulator(QUANTIVE_TOKEN, QUANTIVE_ACCOUNT)
    sim.add_metric(QUANTIVE_METRIC, "Ship self-serve onboarding")
    with sim:
        yield sim


@pytest.fixture
def failing(tmp_path: Path, quantive: QuantiveSimulator) -> Iterator[WorkerEnv]:
    """A bench whose Quantive answered 503 to the check-in of ENG-1.1."""
    quantive.faults.server_error(count=None, status=503)
    with store_bench(tmp_path, [quantive_item(quantive.url)], server={"viewer_token": SecretStr(VIEWER)}) as env:
        change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        settle(env, Pusher(env.runtime))
        yield env


class TestStatus:
    """`syncd status` lists the store's targets with what they should hold and the store's answer."""

    def test_store_target_is_listed_with_its_failure(self, failing: WorkerEnv) -> None:
        report = read_status(failing.engine, failing.runtime.config, failing.clock())
        (target,) = [t for t in report.kr_targets if t.destination == "acme-quantive"]
        assert (target.kind, target.key, target.value, target.state) == ("metric", "ENG-1.1", "50", "waiting")
        assert "503" in (target.last_error or "")
        assert any(t.source == "acme-quantive" for t in report.failing_targets)
        out = io.StringIO()
        print_report(report, Console(file=out, width=200))
        assert "Goals and OKR stores" in out.getvalue()
        assert "acme-quantive" in out.getvalue()


class TestDashboard:
    """The sources page lists the stores with failing writes, beside tracker goals."""

    def test_sources_page_shows_the_failing_store(self, failing: WorkerEnv) -> None:
        with serving_app(failing.runtime) as url, httpx.Client(base_url=url) as client:
            assert client.post("/login", data={"token": VIEWER}).status_code == 303
            html = client.get("/sources").text
        assert "Goals and OKR stores" in html
        assert 'data-state="waiting"' in html
        assert "acme-quantive" in html
        assert "503" in html


class TestExplainAndPlan:
    """`explain KR` names the stores it feeds; `plan` lists store writes and sends none."""

    def test_explain_names_the_store_and_the_metric(
        self, failing: WorkerEnv, capsys: pytest.CaptureFixture[str]
    ) -> None:
        explain_kr(failing.engine, failing.runtime.config, "ENG-1.1", as_json=False)
        out = capsys.readouterr().out
        assert f"acme-quantive (quantive): metric {QUANTIVE_METRIC}" in out
        assert "waiting" in out  # the target's state, from the table
        assert "503" in out

    def test_plan_lists_the_check_in_and_writes_nothing(self, tmp_path: Path, quantive: QuantiveSimulator) -> None:
        with store_bench(tmp_path, [quantive_item(quantive.url)]) as env:
            change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            plan = make_plan(env.runtime.config, env.engine, datetime.now(UTC),
                             adapters=lambda _c: {"fake": env.adapter})  # fmt: skip
        planned = [w for w in plan.writes if w.source == "acme-quantive"]
        assert [(w.kind, w.key) for w in planned] == [("metric", "ENG-1.1")]
        assert any(s.source == "acme-quantive" and s.writes == 1 for s in plan.sources)
        assert quantive.requests.entries() == []


class TestOnline:
    """`check --online` reads each mapped metric with the store's token."""

    def test_store_checks(self, tmp_path: Path, quantive: QuantiveSimulator) -> None:
        item = quantive_item(quantive.url, metrics={"ENG-1.1": QUANTIVE_METRIC, "ENG-1.2": "0000"})
        with store_bench(tmp_path, [item]) as env:
            rows = store_checks(env.runtime.config)
        assert [(r.source, r.ok) for r in rows] == [("acme-quantive", True), ("acme-quantive", False)]
