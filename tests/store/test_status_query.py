"""read_status: the config's objectives with the store's computed values, health, queues, failures — read only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, update

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.store.key_result_detail import read_key_result_status
from syncd.store.okr import sync_config
from syncd.store.schema import Base
from syncd.store.status_query import read_status, status_document

T = Base.metadata.tables
#: 2026-Q4 runs 2026-10-01 .. 2026-12-31 (92 days); on 2026-11-16 it is half over.
MIDWAY = datetime(2026, 11, 16, tzinfo=UTC)
BEFORE = datetime(2026, 9, 20, tzinfo=UTC)


def contract_config(**extra: Any) -> SyncdConfig:
    """The issue's contract config (without sources unless given)."""
    return config_model().model_validate(
        {
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "objectives": [
                {
                    "id": "ENG-1",
                    "title": "Delight new customers",
                    "cycle": "2026-Q4",
                    "key_results": [
                        {"id": "ENG-1.1", "title": "Ship self-serve onboarding", "measure": "tasks"},
                        {
                            "id": "ENG-1.2",
                            "title": "Cut time to first value from 7 to 2 days",
                            "measure": "metric",
                            "start": 7,
                            "target": 2,
                            "unit": "days",
                        },
                    ],
                }
            ],
            **extra,
        }
    )


SOURCES = [
    {
        "name": "acme-github",
        "kind": "github",
        "base_url": "https://api.github.com",
        "token": "t",
        "webhook_secret": "s",
        "repos": ["acme/web"],
    },
    {
        "name": "acme-asana",
        "kind": "asana",
        "base_url": "https://app.asana.com/api/1.0",
        "token": "t",
        "workspace": "1",
        "projects": ["2"],
    },
]


def task_row(number: int, state: str, **fields: Any) -> dict[str, Any]:
    """A mirrored GitHub task."""
    return {
        "source": "acme-github",
        "external_id": f"acme/web#{number}",
        "url": f"https://github.com/acme/web/issues/{number}",
        "title": f"Task {number}",
        "state": state,
        "labels": [],
        "numbers": [],
        "linked_krs": [],
        "unknown_krs": [],
        "deleted": False,
        "updated_at": MIDWAY,
        "seen_at": MIDWAY,
        **fields,
    }


def target_row(key: str, **fields: Any) -> dict[str, Any]:
    """A comment push target."""
    row = {
        "source": "acme-github",
        "kind": "comment",
        "key": key,
        "desired_hash": "new",
        "applied_hash": None,
        "changed_at": MIDWAY,
        "next_attempt_at": None,
        "last_error": None,
        "attempts": 0,
        "failed_permanently": False,
    }
    return {**row, **fields}


def seed(engine: Engine) -> None:
    """A store after some work: ENG-1.1 computed at 50% with 2 linked tasks (+1 dropped), warnings, queues, failures."""
    sync_config(engine, contract_config(sources=SOURCES), MIDWAY - timedelta(days=10))
    with engine.begin() as conn:
        conn.execute(
            update(T["key_results"])
            .where(T["key_results"].c.id == "ENG-1.1")
            .values(
                progress=0.5,
                current=1.0,
                total=2.0,
                status="on_track",
                computed_at=MIDWAY,
                progress_changed_at=MIDWAY - timedelta(hours=1),
            )
        )
        unknown = [{"label": "kr:ENG-1.9", "kr_id": "ENG-1.9", "suggestions": ["ENG-1.1", "ENG-1.2"]}]
        tasks = [
            task_row(1, "done"),
            task_row(2, "open"),
            task_row(3, "dropped"),
            task_row(4, "open", unknown_krs=unknown),
            task_row(5, "open", unknown_krs=unknown, deleted=True),
        ]
        conn.execute(insert(T["tasks"]), tasks)
        conn.execute(insert(T["task_links"]), [{"task_id": n, "kr_id": "ENG-1.1"} for n in (1, 2, 3)])
        conn.execute(
            insert(T["source_state"]).values(
                source="acme-github",
                last_poll_at=MIDWAY - timedelta(minutes=1),
                last_success_at=MIDWAY - timedelta(minutes=5),
                last_error="GET /repos/acme/web/issues: 502 Bad Gateway",
                failing_since=MIDWAY - timedelta(minutes=1),
                budget_remaining=4200,
                budget_limit=5000,
            )
        )
        deliveries = [
            {"source": "acme-github", "delivery_id": f"d{n}", "event": "issues", "body": b"{}", "received_at": MIDWAY}
            for n in range(3)
        ]
        conn.execute(insert(T["deliveries"]), deliveries)
        conn.execute(update(T["deliveries"]).where(T["deliveries"].c.delivery_id == "d2").values(status="failed"))
        conn.execute(
            insert(T["refresh_requests"]).values(source="acme-asana", kind="fetch", key="42", requested_at=MIDWAY)
        )
        conn.execute(
            insert(T["push_targets"]),
            [
                target_row("acme/web#1"),
                target_row(
                    "acme/web#2",
                    next_attempt_at=MIDWAY + timedelta(minutes=5),
                    last_error="502 Bad Gateway",
                    attempts=2,
                ),
                target_row("acme/web#3", applied_hash="new"),
                target_row("acme/web#4", failed_permanently=True, last_error="403 Resource not accessible", attempts=1),
            ],
        )


class TestBeforeAnySync:
    """A migrated store with nothing in it still shows every configured KR."""

    def test_every_kr_shows_zero_and_no_tasks(self, store_engine: Engine) -> None:
        """Mid-cycle, never computed: 0% and 'no tasks', for tasks and metric KRs alike."""
        report = read_status(store_engine, contract_config(), MIDWAY)
        (objective,) = report.objectives
        assert [(kr.id, kr.percent, kr.status) for kr in objective.key_results] == [
            ("ENG-1.1", 0, "no_tasks"),
            ("ENG-1.2", 0, "no_tasks"),
        ]
        assert objective.status == "no_tasks"
        assert objective.key_results[0].status_text == "no tasks linked yet"
        assert objective.key_results[0].last_change is None

    def test_before_the_cycle_it_is_not_started(self, store_engine: Engine) -> None:
        """Before the cycle starts every KR and the objective read 'not started'."""
        (objective,) = read_status(store_engine, contract_config(), BEFORE).objectives
        assert {kr.status for kr in objective.key_results} == {"not_started"}
        assert objective.status_text == "not started (cycle starts 2026-10-01)"

    def test_queues_are_empty(self, store_engine: Engine) -> None:
        """No work waits in an empty store."""
        queues = read_status(store_engine, contract_config(), MIDWAY).queues
        assert (queues.pending_deliveries, queues.refresh_requests, queues.due_push_targets) == (0, 0, 0)


class TestAfterWork:
    """A store with computed KRs, mirrored tasks, health and queues."""

    def test_computed_progress_and_amount(self, store_engine: Engine) -> None:
        """ENG-1.1 shows its stored 50%, '1 of 2 tasks done', 2 counted tasks (the dropped one excluded)."""
        seed(store_engine)
        kr = read_status(store_engine, contract_config(sources=SOURCES), MIDWAY).objectives[0].key_results[0]
        assert (kr.percent, kr.amount, kr.task_count) == (50, "1 of 2 tasks done", 2)
        assert kr.status == "on_track"
        assert kr.last_change == MIDWAY - timedelta(hours=1)

    def test_dropped_and_deleted_links_are_not_counted_even_when_they_are_all_a_kr_has(
        self, store_engine: Engine
    ) -> None:
        """Counts are every link less those of dropped or deleted tasks: ENG-1.1 keeps 2 with a deleted task linked
        too, ENG-1.2 linked only to a dropped and a deleted task counts 0, and one KR read alone agrees."""
        seed(store_engine)
        with store_engine.begin() as conn:
            links = [("ENG-1.1", 5), ("ENG-1.2", 3), ("ENG-1.2", 5)]
            conn.execute(insert(T["task_links"]), [{"task_id": n, "kr_id": kr} for kr, n in links])
        config = contract_config(sources=SOURCES)
        (objective,) = read_status(store_engine, config, MIDWAY).objectives
        assert [(kr.id, kr.task_count) for kr in objective.key_results] == [("ENG-1.1", 2), ("ENG-1.2", 0)]
        okr = build_okr(config)
        assert [read_key_result_status(store_engine, okr, kr.id, MIDWAY) for kr in objective.key_results] == list(
            objective.key_results
        )

    def test_the_counts_read_the_uncounted_tasks_index_not_every_task(self, sqlite_engine: Engine) -> None:
        """On SQLite the overview's count statement finds uncounted tasks by the partial index and scans no tasks
        table (the join it replaced read all 100,000 tasks of issue 21's benchmark)."""
        seed(sqlite_engine)
        statements: list[str] = []
        record = lambda *args: statements.append(args[2])  # noqa: E731 (an event hook of one line)
        event.listen(sqlite_engine, "before_cursor_execute", record)
        try:
            read_status(sqlite_engine, contract_config(sources=SOURCES), MIDWAY)
        finally:
            event.remove(sqlite_engine, "before_cursor_execute", record)
        [counts] = [statement for statement in statements if "UNION ALL" in statement]
        with sqlite_engine.connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {counts}")]
        assert any("ix_tasks_uncounted" in step for step in plan), plan
        assert not [step for step in plan if step.startswith("SCAN tasks") and "INDEX" not in step], plan

    def test_status_is_judged_at_now(self, store_engine: Engine) -> None:
        """The same stored 50% is off track late in the cycle: status follows the clock, not a stale column."""
        seed(store_engine)
        late = datetime(2026, 12, 30, tzinfo=UTC)
        kr = read_status(store_engine, contract_config(sources=SOURCES), late).objectives[0].key_results[0]
        assert kr.status == "off_track"

    def test_unknown_kr_labels_are_warnings(self, store_engine: Engine) -> None:
        """The live task naming ENG-1.9 is listed with suggestions; the deleted one is not."""
        seed(store_engine)
        warnings = read_status(store_engine, contract_config(sources=SOURCES), MIDWAY).unknown_kr_tasks
        assert [(w.external_id, w.unknown[0].kr_id, w.unknown[0].suggestions) for w in warnings] == [
            ("acme/web#4", "ENG-1.9", ("ENG-1.1", "ENG-1.2"))
        ]

    def test_sources_show_freshness_error_and_budget(self, store_engine: Engine) -> None:
        """GitHub was last polled successfully 5 minutes ago, has an error and 4200/5000 left; Asana never polled."""
        seed(store_engine)
        github, asana = read_status(store_engine, contract_config(sources=SOURCES), MIDWAY).sources
        assert (github.age_seconds, github.last_error) == (300.0, "GET /repos/acme/web/issues: 502 Bad Gateway")
        assert (github.budget_remaining, github.budget_limit) == (4200, 5000)
        assert (asana.name, asana.last_success_at, asana.age_seconds) == ("acme-asana", None, None)

    def test_queue_depths(self, store_engine: Engine) -> None:
        """2 pending and 1 failed delivery, 1 refresh request, 1 target due, 1 waiting for its retry time."""
        seed(store_engine)
        queues = read_status(store_engine, contract_config(sources=SOURCES), MIDWAY).queues
        assert (queues.pending_deliveries, queues.failed_deliveries, queues.refresh_requests) == (2, 1, 1)
        assert (queues.due_push_targets, queues.waiting_push_targets) == (1, 1)

    def test_failing_targets(self, store_engine: Engine) -> None:
        """Targets with an error are listed with it; the given-up one says so."""
        seed(store_engine)
        failing = read_status(store_engine, contract_config(sources=SOURCES), MIDWAY).failing_targets
        assert {(f.key, f.last_error, f.failed_permanently) for f in failing} == {
            ("acme/web#2", "502 Bad Gateway", False),
            ("acme/web#4", "403 Resource not accessible", True),
        }


def test_reading_status_writes_nothing(store_engine: Engine) -> None:
    """Every statement read_status sends is a SELECT."""
    seed(store_engine)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(store_engine, "before_cursor_execute", record)
    try:
        read_status(store_engine, contract_config(sources=SOURCES), MIDWAY)
    finally:
        event.remove(store_engine, "before_cursor_execute", record)
    assert statements
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in statements)


def test_json_document_has_stable_keys(store_engine: Engine) -> None:
    """The document serializes to JSON with the read API's keys and ISO UTC times."""
    seed(store_engine)
    document = json.loads(
        json.dumps(status_document(read_status(store_engine, contract_config(sources=SOURCES), MIDWAY)))
    )
    assert list(document) == [
        "generated_at",
        "store",
        "objectives",
        "unknown_kr_tasks",
        "sources",
        "queues",
        "failing_targets",
        "kr_targets",  # goals and OKR stores' targets (issue 22), added last
    ]
    assert document["generated_at"] == "2026-11-16T00:00:00Z"
    kr = document["objectives"][0]["key_results"][0]
    assert set(kr) >= {"id", "title", "progress", "percent", "status", "status_text", "amount", "last_change"}
    assert kr["last_change"] == "2026-11-15T23:00:00Z"


@pytest.mark.parametrize("now", [MIDWAY, BEFORE])
def test_without_objectives(store_engine: Engine, now: datetime) -> None:
    """A config with only a cycle gives an empty objective list, not an error."""
    config = config_model().model_validate({"cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}]})
    assert read_status(store_engine, config, now).objectives == ()
