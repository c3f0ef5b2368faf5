"""Config reload in process: a valid file is swapped in and re-matches everything; anything else keeps the old."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select
from structlog.testing import capture_logs

from adapters.registry import load_config
from syncd.runtime import reload as reload_module
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.reload import ConfigReloader
from syncd.store.okr import sync_config
from syncd.store.schema import KeyResult, Task
from tests.support.daemon import base_config, write_config
from tests.support.waiting import wait_until_async


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A valid config file: two KRs and the GitHub source `gh` the mirrored task belongs to."""
    monkeypatch.setenv("RELOAD_TEST_TOKEN", "reload-test-token")
    source = {"name": "gh", "kind": "github", "token": "${RELOAD_TEST_TOKEN}", "repos": ["o/r"]}
    return write_config(tmp_path, base_config(f"sqlite:///{tmp_path / 'syncd.db'}", sources=[source]))


@pytest.fixture
def runtime(engine: Engine, config_path: Path) -> Runtime:
    """A runtime with the config loaded and synced, plus one mirrored task."""
    config = load_config(config_path)
    runtime = Runtime(loaded=LoadedConfig(config, config_path, {}), engine=engine)
    sync_config(engine, config, runtime.clock())
    with engine.begin() as conn:
        conn.execute(KeyResult.__table__.update().values(dirty_since=None))
        conn.execute(
            Task.__table__.insert().values(
                source="gh", external_id="o/r#1", state="open", updated_at=runtime.clock(), seen_at=runtime.clock()
            )
        )
    return runtime


def add_kr(path: Path, kr_id: str) -> None:
    """Append a KR to the first objective of the file."""
    data = yaml.safe_load(path.read_text())
    data["objectives"][0]["key_results"].append({"id": kr_id, "title": "New"})
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def dirty(engine: Engine) -> tuple[list[str], int]:
    """Ids of dirty KRs, and how many tasks are dirty."""
    with engine.connect() as conn:
        krs = list(conn.scalars(select(KeyResult.id).where(KeyResult.dirty_since.is_not(None)).order_by(KeyResult.id)))
        tasks = len(list(conn.scalars(select(Task.id).where(Task.dirty_since.is_not(None)))))
    return krs, tasks


class TestReload:
    """What `ConfigReloader.reload` does with a valid and an invalid file."""

    def test_valid_file_is_swapped_in_and_everything_is_re_matched(
        self, runtime: Runtime, engine: Engine, config_path: Path
    ) -> None:
        """New KR stored, every KR and task marked dirty, the callback told, `config.reloaded` logged."""
        seen = []
        add_kr(config_path, "ENG-1.3")
        reloader = ConfigReloader(runtime, config_path, on_reloaded=seen.append)
        with capture_logs() as logs:
            assert reloader.reload()
        krs = [kr.id for objective in runtime.config.objectives for kr in objective.key_results]
        assert krs == ["ENG-1.1", "ENG-1.2", "ENG-1.3"]
        assert dirty(engine) == (["ENG-1.1", "ENG-1.2", "ENG-1.3"], 1)
        assert seen == [runtime.config]
        assert [entry["event"] for entry in logs][-1] == "config.reloaded"

    def test_invalid_file_is_refused_and_the_old_config_kept(
        self, runtime: Runtime, engine: Engine, config_path: Path
    ) -> None:
        """A typo: False, `config.reload_rejected` naming the key, nothing changed in memory or store."""
        before = runtime.loaded
        config_path.write_text(config_path.read_text().replace("title: Ingest", "title: Ingest\n    weigth: 2"))
        with capture_logs() as logs:
            assert not ConfigReloader(runtime, config_path).reload()
        assert runtime.loaded is before
        assert dirty(engine) == ([], 0)
        rejected = [entry for entry in logs if entry["event"] == "config.reload_rejected"]
        assert any("weigth" in problem for problem in rejected[0]["problems"])


class TestWatch:
    """The watch loop reloads on request and on a file change, and survives a failing reload."""

    def test_file_change_and_request_each_reload_once(self, runtime: Runtime, config_path: Path) -> None:
        """Editing the file reloads; an explicit request (SIGHUP) reloads again."""
        reloader = ConfigReloader(runtime, config_path, interval=0.05)
        reloads: list[datetime] = []
        reloader.on_reloaded = lambda _config: reloads.append(datetime.now(UTC))

        async def scenario() -> None:
            stop = asyncio.Event()
            watching = asyncio.create_task(reloader.watch(stop))
            add_kr(config_path, "ENG-1.7")
            await _until(lambda: len(reloads) == 1)
            reloader.request()
            await _until(lambda: len(reloads) == 2)
            stop.set()
            await watching

        asyncio.run(scenario())
        assert len(reloads) == 2

    def test_an_unexpected_failure_is_logged_and_watching_goes_on(
        self, runtime: Runtime, config_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bug while building adapters: `config.reload_failed`, the old config kept, the loop still runs."""

        def broken(_config: object) -> dict[str, object]:
            raise RuntimeError("adapter factory bug")

        monkeypatch.setattr(reload_module, "build_adapters", broken)
        before = runtime.loaded
        reloader = ConfigReloader(runtime, config_path, interval=0.05)

        async def scenario() -> bool:
            stop = asyncio.Event()
            watching = asyncio.create_task(reloader.watch(stop))
            reloader.request()
            await _until(lambda: any(e["event"] == "config.reload_failed" for e in logs))
            still_running = not watching.done()
            stop.set()
            await watching
            return still_running

        with capture_logs() as logs:
            assert asyncio.run(scenario())
        assert runtime.loaded is before


async def _until(condition: Callable[[], bool]) -> None:
    """Poll `condition()` (the loop keeps running between polls) until it holds; fail after 5 seconds."""
    await wait_until_async(condition, within=5, what="the reload")
