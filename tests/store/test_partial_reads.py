"""Reading one part of the status (one KR, the sources) gives read_status's values and reads only that part."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event

from syncd.config.views import build_okr
from syncd.store.key_result_detail import read_key_result_detail, read_key_result_status
from syncd.store.status_query import read_source_health, read_status
from tests.store.test_status_query import BEFORE, MIDWAY, SOURCES, contract_config, seed

LATE = datetime(2026, 12, 30, tzinfo=UTC)


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (and its parameters) the engine sends inside the block."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


class TestOneKeyResult:
    """A KR read alone equals its entry in read_status, and only its own rows are read."""

    @pytest.mark.parametrize("seeded", [True, False], ids=["after-work", "empty-store"])
    @pytest.mark.parametrize("now", [BEFORE, MIDWAY, LATE], ids=["before", "midway", "late"])
    def test_every_kr_equals_its_status_entry(self, store_engine: Engine, seeded: bool, now: datetime) -> None:
        """Computed or never computed, before, during and late in the cycle: the same values to the field."""
        config = contract_config(sources=SOURCES)
        if seeded:
            seed(store_engine)
        okr = build_okr(config)
        report = read_status(store_engine, config, now)
        for objective in report.objectives:
            for status in objective.key_results:
                assert read_key_result_status(store_engine, okr, status.id, now) == status
                detail = read_key_result_detail(store_engine, okr, status.id, now)
                assert (detail.key_result, detail.objective) == (status, objective.id)

    def test_the_detail_reads_only_the_krs_rows(self, store_engine: Engine) -> None:
        """Every statement of one KR's detail is a SELECT bound to that KR's id."""
        seed(store_engine)
        okr = build_okr(contract_config(sources=SOURCES))
        with recorded_statements(store_engine) as statements:
            detail = read_key_result_detail(store_engine, okr, "ENG-1.1", MIDWAY)
        assert [task.external_id for task in detail.tasks] == ["acme/web#1", "acme/web#2", "acme/web#3"]
        assert statements
        for statement, parameters in statements:
            assert statement.lstrip().upper().startswith("SELECT")
            values = parameters.values() if isinstance(parameters, dict) else parameters
            assert "ENG-1.1" in values, statement

    def test_an_unconfigured_kr_is_a_key_error(self, store_engine: Engine) -> None:
        """The caller resolves the id against the config first; the store is not asked about others."""
        okr = build_okr(contract_config())
        with pytest.raises(KeyError):
            read_key_result_detail(store_engine, okr, "ENG-1.9", MIDWAY)


class TestSources:
    """The sources read alone equal read_status's, and nothing but `source_state` is read."""

    def test_sources_equal_the_status_sources(self, store_engine: Engine) -> None:
        """Same time stamp, same rows, in config order."""
        seed(store_engine)
        config = contract_config(sources=SOURCES)
        report = read_status(store_engine, config, MIDWAY)
        sources = read_source_health(store_engine, config, MIDWAY)
        assert (sources.generated_at, sources.sources) == (report.generated_at, report.sources)
        assert [source.name for source in sources.sources] == ["acme-github", "acme-asana"]

    def test_only_source_state_and_the_write_queue_are_read(self, store_engine: Engine) -> None:
        """One SELECT of `source_state` and one count of the write queue per source: no KR, task or delivery table."""
        seed(store_engine)
        with recorded_statements(store_engine) as statements:
            read_source_health(store_engine, contract_config(sources=SOURCES), MIDWAY)
        selects = [statement for statement, _ in statements if statement.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 2
        assert "FROM source_state" in selects[0]
        assert "FROM push_targets GROUP BY push_targets.source" in selects[1]
        for select_ in selects:
            assert not any(table in select_ for table in ("key_results", "tasks", "deliveries"))
