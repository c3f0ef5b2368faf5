"""`syncd status` through the real CLI, on SQLite and PostgreSQL: empty but correct, JSON, failures in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update
from typer.testing import CliRunner, Result

from adapters.registry import load_config
from syncd.cli.main import build_app
from syncd.store.engine import create_store_engine
from syncd.store.okr import sync_config
from syncd.store.schema import Base
from tests.support.configs import CONTRACT_ENV
from tests.support.store import postgres_schema, write_config

T = Base.metadata.tables
TODAY = datetime.now(UTC).date()
#: A cycle that is running now, so status words do not depend on the date the tests run.
RUNNING = {"start": TODAY - timedelta(days=30), "end": TODAY + timedelta(days=60)}


def syncd(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the `syncd` CLI in-process with a wide terminal and the contract's secrets."""
    return CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "250", **CONTRACT_ENV, **(env or {})})


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A not yet migrated store: a SQLite file path in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'syncd.db'}"
    else:
        with postgres_schema(request.getfixturevalue("postgres_url")) as url:
            yield url


def migrated(tmp_path: Path, store_url: str, *, start: date, end: date) -> tuple[Path, dict[str, str]]:
    """A config with sources and a store migrated through `syncd db upgrade`; the env selecting the store."""
    config = write_config(tmp_path, "sqlite:///ignored.db", start=start, end=end, sources=True)
    env = {"SYNCD_DATABASE_URL": store_url}
    assert syncd("db", "upgrade", "--config", str(config), env=env).exit_code == 0
    return config, env


class TestBeforeAnySync:
    """A freshly migrated store: every KR of the config, 0%, 'no tasks'."""

    def test_table_shows_every_kr_at_zero(self, tmp_path: Path, store_url: str) -> None:
        """The objective, both KRs at 0% with 'no tasks linked yet', and both sources never polled."""
        config, env = migrated(tmp_path, store_url, **RUNNING)
        result = syncd("status", "--config", str(config), env=env)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert any("ENG-1 Delight new customers · 2026-Q4 · 0% · no tasks linked yet" in line for line in lines)
        for kr in ("ENG-1.1", "ENG-1.2"):
            (row,) = [line for line in lines if f" {kr} " in line]
            assert "0%" in row
            assert "no tasks linked yet" in row
            assert "never" in row
        assert sum("never polled" in line for line in lines) == 2
        assert (
            "Queues: 0 pending deliveries, 0 failed deliveries, 0 refresh requests, 0 push targets due" in result.stdout
        )

    def test_before_the_cycle_krs_are_not_started(self, tmp_path: Path, store_url: str) -> None:
        """A cycle that starts in ten days makes every KR 'not started'."""
        start = TODAY + timedelta(days=10)
        config, env = migrated(tmp_path, store_url, start=start, end=start + timedelta(days=90))
        result = syncd("status", "--config", str(config), "--json", env=env)
        krs = json.loads(result.stdout)["objectives"][0]["key_results"]
        assert {kr["status"] for kr in krs} == {"not_started"}
        assert krs[0]["status_text"] == f"not started (cycle starts {start.isoformat()})"

    def test_json_has_the_same_data(self, tmp_path: Path, store_url: str) -> None:
        """--json prints objectives, KRs, warnings, sources, queues and failing targets."""
        config, env = migrated(tmp_path, store_url, **RUNNING)
        result = syncd("status", "--config", str(config), "--json", env=env)
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert [kr["id"] for kr in document["objectives"][0]["key_results"]] == ["ENG-1.1", "ENG-1.2"]
        assert [(kr["percent"], kr["status"]) for kr in document["objectives"][0]["key_results"]] == [
            (0, "no_tasks"),
            (0, "no_tasks"),
        ]
        assert [s["name"] for s in document["sources"]] == ["acme-github", "acme-asana"]
        assert document["queues"]["pending_deliveries"] == 0
        assert document["unknown_kr_tasks"] == []
        assert document["failing_targets"] == []


def test_status_shows_work_done(tmp_path: Path, store_url: str) -> None:
    """Computed progress, a label naming an unknown KR, a source error and a failing target all show."""
    config, env = migrated(tmp_path, store_url, **RUNNING)
    now = datetime.now(UTC)
    engine = create_store_engine(store_url)
    sync_config(engine, load_config(config, CONTRACT_ENV), now)
    with engine.begin() as conn:
        kr = T["key_results"]
        conn.execute(
            update(kr)
            .where(kr.c.id == "ENG-1.1")
            .values(progress=2 / 3, current=2, total=3, computed_at=now, progress_changed_at=now)
        )
        conn.execute(
            insert(T["tasks"]).values(
                source="acme-github",
                external_id="acme/web#7",
                url="https://github.com/acme/web/issues/7",
                title="Onboarding wizard",
                state="open",
                labels=["kr:ENG-1.9"],
                numbers=[],
                linked_krs=[],
                unknown_krs=[{"label": "kr:ENG-1.9", "kr_id": "ENG-1.9", "suggestions": ["ENG-1.1"]}],
                deleted=False,
                updated_at=now,
                seen_at=now,
            )
        )
        conn.execute(
            insert(T["source_state"]).values(
                source="acme-github", last_success_at=now - timedelta(minutes=3), last_error="401 Bad credentials"
            )
        )
        conn.execute(
            insert(T["push_targets"]).values(
                source="acme-github",
                kind="comment",
                key="acme/web#7",
                desired_hash="h",
                changed_at=now,
                attempts=3,
                last_error="403 Resource not accessible by integration",
                failed_permanently=True,
            )
        )
    engine.dispose()
    result = syncd("status", "--config", str(config), env=env)
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if " ENG-1.1 " in line]
    assert "67%" in row
    assert "2 of 3 tasks done" in row
    assert (
        "⚠ acme-github acme/web#7: label 'kr:ENG-1.9' names no key result ENG-1.9; did you mean ENG-1.1?"
        in result.stdout
    )
    assert "polled 3m ago" in result.stdout
    assert "401 Bad credentials" in result.stdout
    assert "403 Resource not accessible by integration" in result.stdout
    assert "3 (gave up)" in result.stdout


def test_status_before_upgrade_says_what_to_run(tmp_path: Path, store_url: str) -> None:
    """An unmigrated store: exit 1, one line telling the admin to run `syncd db upgrade`; no file is created."""
    config = write_config(tmp_path, "sqlite:///ignored.db", sources=True, **RUNNING)
    result = syncd("status", "--config", str(config), env={"SYNCD_DATABASE_URL": store_url})
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "run `syncd db upgrade`" in result.stderr
    assert not (tmp_path / "syncd.db").exists()


def test_unreachable_store_is_one_line(tmp_path: Path) -> None:
    """PostgreSQL on a closed port: exit 1, one line, no password, no traceback."""
    config = write_config(tmp_path, "postgresql://syncd:pa55word@127.0.0.1:1/okrs", **RUNNING)
    result = syncd("status", "--config", str(config))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach the store at postgresql://syncd:***@127.0.0.1:1/okrs: ")
    assert result.stderr.count("\n") == 1
    assert "pa55word" not in result.output
    assert "Traceback" not in result.output


def test_status_does_not_need_sources(tmp_path: Path) -> None:
    """A config without sources prints no sources table and still exits 0."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", **RUNNING)
    assert syncd("db", "upgrade", "--config", str(config)).exit_code == 0
    result = syncd("status", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "Sources" not in result.stdout
    assert "ENG-1.2" in result.stdout


def test_status_says_how_long_the_queued_writes_take(tmp_path: Path, store_url: str) -> None:
    """20 comments out of date after 10 written in the last five minutes (2 a minute): "about 10m"; a source that
    wrote nothing lately says so instead of guessing; JSON carries the same numbers."""
    config, env = migrated(tmp_path, store_url, **RUNNING)
    now = datetime.now(UTC)
    engine = create_store_engine(store_url)
    target = {"kind": "comment", "changed_at": now, "attempts": 0, "failed_permanently": False, "applied_at": None}
    with engine.begin() as conn:
        written = [
            {**target, "source": "acme-github", "key": f"acme/web#{n}", "desired_hash": "a", "applied_hash": "a",
             "applied_at": now - timedelta(minutes=4)}
            for n in range(10)
        ]  # fmt: skip
        queued = [
            {**target, "source": "acme-github", "key": f"acme/api#{n}", "desired_hash": "b", "applied_hash": "a"}
            for n in range(20)
        ]
        stalled = [
            {**target, "source": "acme-asana", "key": f"{n}", "desired_hash": "b", "applied_hash": None}
            for n in range(3)
        ]
        conn.execute(insert(T["push_targets"]), written + queued + stalled)
    engine.dispose()
    result = syncd("status", "--config", str(config), env=env)
    assert result.exit_code == 0, result.output
    (github,) = [line for line in result.stdout.splitlines() if "acme-github" in line and "github" in line]
    assert "20, about 10m at 2/min" in github
    (asana,) = [line for line in result.stdout.splitlines() if line.lstrip("│ ").startswith("acme-asana")]
    assert "3, none written in the last 5m" in asana
    document = json.loads(syncd("status", "--config", str(config), "--json", env=env).stdout)
    sources = {source["name"]: source for source in document["sources"]}
    assert sources["acme-github"]["queued_writes"] == 20
    assert sources["acme-github"]["queue_eta_seconds"] == pytest.approx(600)
    assert sources["acme-asana"]["queue_eta_seconds"] is None


class TestWithoutTrackerTokens:
    """`syncd status` reads only the store: the trackers' tokens and secrets need not be set."""

    def test_status_runs_with_every_secret_unset(self, tmp_path: Path) -> None:
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", sources=True, **RUNNING)
        assert syncd("db", "upgrade", "--config", str(config)).exit_code == 0
        unset: dict[str, str | None] = dict.fromkeys(CONTRACT_ENV)
        result = CliRunner().invoke(build_app(), ["status", "--config", str(config)], env={"COLUMNS": "250", **unset})
        assert result.exit_code == 0, result.output
        assert "ENG-1.2" in result.stdout
        assert "acme-github" in result.stdout

    def test_a_missing_store_variable_is_still_an_error(self, tmp_path: Path) -> None:
        """Only secrets are spared: the store's own `${...}` reference must still resolve."""
        config = write_config(tmp_path, "${SYNCD_TEST_UNSET_STORE_URL}", sources=True, **RUNNING)
        unset: dict[str, str | None] = dict.fromkeys(CONTRACT_ENV)
        result = CliRunner().invoke(build_app(), ["status", "--config", str(config)], env=unset)
        assert result.exit_code == 1
        assert "SYNCD_TEST_UNSET_STORE_URL is not set" in result.stderr
        assert "GITHUB_TOKEN" not in result.stderr
