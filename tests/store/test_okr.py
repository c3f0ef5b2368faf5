"""sync_config: the config's cycles, objectives and KRs land in the store; removed ones are archived, never deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.store.okr import CYCLES, KEY_RESULTS, OBJECTIVES, sync_config
from syncd.store.schema import Base

CHECK_INS = Base.metadata.tables["check_ins"]
T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)


def config(*objectives: dict[str, Any]) -> SyncdConfig:
    """A config with one Q4 cycle and the given objectives."""
    return config_model().model_validate(
        {"cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}], "objectives": list(objectives)}
    )


def onboarding(*krs: dict[str, Any]) -> dict[str, Any]:
    """Objective ENG-1 with the given KRs."""
    return {"id": "ENG-1", "title": "Delight new customers", "cycle": "2026-Q4", "key_results": list(krs)}


SELF_SERVE = {"id": "ENG-1.1", "title": "Ship self-serve onboarding", "measure": "tasks"}
TIME_TO_VALUE = {
    "id": "ENG-1.2",
    "title": "Cut time to first value from 7 to 2 days",
    "measure": "metric",
    "start": 7,
    "target": 2,
    "unit": "days",
}


def rows(engine: Engine, table: Any) -> dict[str, Any]:
    """Every row of `table` by id."""
    with engine.connect() as conn:
        return {row.id: row for row in conn.execute(select(table))}


class TestFirstLoad:
    """Loading a config into an empty store."""

    def test_everything_is_added_in_config_order(self, store_engine: Engine) -> None:
        """Cycle, objective and both KRs are stored with their positions; the report lists them as added."""
        report = sync_config(store_engine, config(onboarding(SELF_SERVE, TIME_TO_VALUE)), T0)
        assert report.cycles.added == ("2026-Q4",)
        assert report.objectives.added == ("ENG-1",)
        assert report.key_results.added == ("ENG-1.1", "ENG-1.2")
        krs = rows(store_engine, KEY_RESULTS)
        assert [krs["ENG-1.1"].position, krs["ENG-1.2"].position] == [0, 1]
        assert krs["ENG-1.2"].objective_id == "ENG-1"
        assert rows(store_engine, CYCLES)["2026-Q4"].end.isoformat() == "2026-12-31"
        assert rows(store_engine, OBJECTIVES)["ENG-1"].cycle_id == "2026-Q4"

    def test_kr_spec_is_its_config_as_json(self, store_engine: Engine) -> None:
        """The engine reads start, target and unit of a metric KR from `spec`."""
        sync_config(store_engine, config(onboarding(TIME_TO_VALUE)), T0)
        spec = rows(store_engine, KEY_RESULTS)["ENG-1.2"].spec
        assert spec["start"] == 7
        assert spec["target"] == 2
        assert spec["unit"] == "days"
        assert spec["measure"] == "metric"

    def test_new_krs_are_marked_for_recompute(self, store_engine: Engine) -> None:
        """A new KR is dirty so the recompute step gives it a progress and status."""
        sync_config(store_engine, config(onboarding(SELF_SERVE)), T0)
        assert rows(store_engine, KEY_RESULTS)["ENG-1.1"].dirty_since is not None


class TestReload:
    """Loading a changed config over an earlier one."""

    def test_same_config_changes_nothing(self, store_engine: Engine) -> None:
        """Reloading an unchanged config reports no change."""
        sync_config(store_engine, config(onboarding(SELF_SERVE)), T0)
        assert not sync_config(store_engine, config(onboarding(SELF_SERVE)), T1).changed

    def test_changed_title_is_updated(self, store_engine: Engine) -> None:
        """A renamed KR keeps its id and row, with the new title."""
        sync_config(store_engine, config(onboarding(SELF_SERVE)), T0)
        renamed = {**SELF_SERVE, "title": "Ship self-serve onboarding v2"}
        report = sync_config(store_engine, config(onboarding(renamed)), T1)
        assert report.key_results.updated == ("ENG-1.1",)
        assert rows(store_engine, KEY_RESULTS)["ENG-1.1"].title == "Ship self-serve onboarding v2"

    def test_removed_kr_is_archived_with_its_history(self, store_engine: Engine) -> None:
        """A KR dropped from the config keeps its row, progress and check-ins, with archived_at set."""
        sync_config(store_engine, config(onboarding(SELF_SERVE, TIME_TO_VALUE)), T0)
        with store_engine.begin() as conn:
            conn.execute(KEY_RESULTS.update().where(KEY_RESULTS.c.id == "ENG-1.2").values(progress=0.4))
            conn.execute(insert(CHECK_INS).values(kr_id="ENG-1.2", at=T0, kind="metric", value=5.0, cause="cli"))
        report = sync_config(store_engine, config(onboarding(SELF_SERVE)), T1)
        assert report.key_results.archived == ("ENG-1.2",)
        archived = rows(store_engine, KEY_RESULTS)["ENG-1.2"]
        assert archived.archived_at is not None
        assert archived.progress == 0.4
        assert len(rows(store_engine, CHECK_INS)) == 1
        assert rows(store_engine, KEY_RESULTS)["ENG-1.1"].archived_at is None

    def test_archiving_keeps_first_archive_time(self, store_engine: Engine) -> None:
        """Reloading without the KR again neither re-archives it nor reports it."""
        sync_config(store_engine, config(onboarding(SELF_SERVE, TIME_TO_VALUE)), T0)
        sync_config(store_engine, config(onboarding(SELF_SERVE)), T1)
        first = rows(store_engine, KEY_RESULTS)["ENG-1.2"].archived_at
        assert sync_config(store_engine, config(onboarding(SELF_SERVE)), T2).key_results.archived == ()
        assert rows(store_engine, KEY_RESULTS)["ENG-1.2"].archived_at == first

    def test_readded_kr_is_restored(self, store_engine: Engine) -> None:
        """A KR that comes back is un-archived, keeps its history and is marked for recompute."""
        sync_config(store_engine, config(onboarding(SELF_SERVE, TIME_TO_VALUE)), T0)
        sync_config(store_engine, config(onboarding(SELF_SERVE)), T1)
        with store_engine.begin() as conn:
            conn.execute(KEY_RESULTS.update().values(dirty_since=None))
        report = sync_config(store_engine, config(onboarding(SELF_SERVE, TIME_TO_VALUE)), T2)
        assert report.key_results.restored == ("ENG-1.2",)
        restored = rows(store_engine, KEY_RESULTS)["ENG-1.2"]
        assert restored.archived_at is None
        assert restored.dirty_since is not None

    def test_removed_objective_archives_it_and_its_krs(self, store_engine: Engine) -> None:
        """Dropping a whole objective archives the objective and its KRs; nothing is deleted."""
        growth = {"id": "GRO-1", "title": "Grow", "cycle": "2026-Q4", "key_results": [{"id": "GRO-1.1", "title": "x"}]}
        sync_config(store_engine, config(onboarding(SELF_SERVE), growth), T0)
        report = sync_config(store_engine, config(onboarding(SELF_SERVE)), T1)
        assert report.objectives.archived == ("GRO-1",)
        assert report.key_results.archived == ("GRO-1.1",)
        assert rows(store_engine, OBJECTIVES)["GRO-1"].archived_at is not None

    def test_kr_moved_to_another_objective(self, store_engine: Engine) -> None:
        """A KR listed under a different objective is re-parented, not duplicated."""
        growth = {"id": "GRO-1", "title": "Grow", "cycle": "2026-Q4", "key_results": [SELF_SERVE]}
        sync_config(store_engine, config(onboarding(SELF_SERVE)), T0)
        report = sync_config(store_engine, config(onboarding(), growth), T1)
        assert report.key_results.updated == ("ENG-1.1",)
        assert rows(store_engine, KEY_RESULTS)["ENG-1.1"].objective_id == "GRO-1"


TASKS = Base.metadata.tables["tasks"]
TASK_LINKS = Base.metadata.tables["task_links"]


def with_sources(base: SyncdConfig, *names: str) -> SyncdConfig:
    """`base` with GitHub sources of these names."""
    sources = [{"name": n, "kind": "github", "token": "t", "repos": ["acme/web"]} for n in names]
    return config_model().model_validate({**base.model_dump(mode="json"), "sources": sources})


def mirror_task(engine: Engine, source: str, external_id: str, kr_id: str) -> None:
    """One mirrored, linked task, as a poll would have left it."""
    with engine.begin() as conn:
        task_id = conn.execute(
            insert(TASKS)
            .values(source=source, external_id=external_id, state="done", updated_at=T0, seen_at=T0, deleted=False)
            .returning(TASKS.c.id)
        ).scalar_one()
        conn.execute(insert(TASK_LINKS).values(task_id=task_id, kr_id=kr_id, rule="label"))


class TestRemovedSource:
    """Tasks of a source taken out of the config stop counting; those of the others are untouched."""

    def test_its_tasks_leave_their_krs(self, store_engine: Engine) -> None:
        """They are marked deleted (kept, not removed), their KR is dirty, and the report counts them."""
        both = with_sources(config(onboarding(SELF_SERVE, TIME_TO_VALUE)), "old-github", "acme-github")
        sync_config(store_engine, both, T0)
        mirror_task(store_engine, "old-github", "acme/web#1", "ENG-1.1")
        mirror_task(store_engine, "acme-github", "acme/web#2", "ENG-1.2")
        with store_engine.begin() as conn:
            conn.execute(KEY_RESULTS.update().values(dirty_since=None))
        report = sync_config(store_engine, with_sources(both, "acme-github"), T1)
        assert report.retired_tasks == 1
        assert report.changed
        with store_engine.connect() as conn:
            deleted = {row[0]: row[1] for row in conn.execute(select(TASKS.c.external_id, TASKS.c.deleted))}
        assert deleted == {"acme/web#1": True, "acme/web#2": False}
        dirty = {kr: row.dirty_since is not None for kr, row in rows(store_engine, KEY_RESULTS).items()}
        assert dirty == {"ENG-1.1": True, "ENG-1.2": False}

    def test_same_sources_retire_nothing(self, store_engine: Engine) -> None:
        """Reloading with every source still there changes nothing."""
        loaded = with_sources(config(onboarding(SELF_SERVE)), "acme-github")
        sync_config(store_engine, loaded, T0)
        mirror_task(store_engine, "acme-github", "acme/web#2", "ENG-1.1")
        assert sync_config(store_engine, loaded, T1).retired_tasks == 0
