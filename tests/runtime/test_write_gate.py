"""The in-process SQLite write gate: our own writers queue for the write lock instead of failing or sleeping.

The store's busy timeout is set to zero here, so any writer that met SQLite's lock instead of the gate
would fail at once with "database is locked"."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import Engine, event, func, select, text

from syncd.runtime.ingest import DeliveryRow, DeliveryWriter, IngestOutcome
from syncd.runtime.transactions import write_transaction
from syncd.store.schema import Delivery
from tests.support.worker_env import EPOCH


def _no_busy_wait(engine: Engine) -> None:
    def pragma(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    engine.dispose()
    event.listen(engine, "connect", pragma)


def _hold_a_write_transaction(engine: Engine, entered: threading.Event, release: threading.Event) -> None:
    with write_transaction(engine) as conn:
        conn.execute(text("UPDATE deliveries SET attempts = attempts"))
        entered.set()
        release.wait(10)


def test_a_second_writer_of_this_process_waits_for_the_first(engine: Engine) -> None:
    _no_busy_wait(engine)
    entered, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_write_transaction, args=(engine, entered, release))
    holder.start()
    assert entered.wait(10)
    threading.Timer(0.2, release.set).start()
    with write_transaction(engine) as conn:  # would raise "database is locked" without the gate
        conn.execute(text("UPDATE deliveries SET attempts = attempts"))
    holder.join(10)


def test_the_webhook_writer_waits_for_the_worker_and_stores(engine: Engine) -> None:
    _no_busy_wait(engine)
    entered, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_write_transaction, args=(engine, entered, release))
    holder.start()
    assert entered.wait(10)
    threading.Timer(0.2, release.set).start()
    writer = DeliveryWriter(engine, confirm_within=5.0)
    try:
        outcome = asyncio.run(writer.submit(DeliveryRow("gh", "d-1", "issues.opened", b"{}", EPOCH)))
    finally:
        writer.close()
        holder.join(10)
    assert outcome is IngestOutcome.STORED
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Delivery.__table__)) == 1
