"""Expiring leases: one holder at a time for a singleton job (`poll:<source>`, `push:<source>`).

A lease row names its holder and an expiry. Taking it is one atomic upsert that succeeds only when
the row is free, expired, already ours, or held by a process on this host that has died; the holder
renews it while working and releases it when done. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Connection, Engine, delete, select

from syncd.store.claims import holder_is_gone
from syncd.store.tables import LEASES
from syncd.store.transactions import run_in_transaction
from syncd.store.upsert import dialect_insert
from syncd.store.utc import as_utc, to_utc

#: How long a lease lasts without renewal; holders renew every third of it.
LEASE_TTL = timedelta(seconds=30)

log = structlog.get_logger("syncd.runtime.leases")


def try_take(conn: Connection, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew lease `name` for `holder` until now + ttl; False while someone else holds it."""
    return take(conn, name, holder, now, ttl)[0]


def take(conn: Connection, name: str, holder: str, now: datetime, ttl: timedelta) -> tuple[bool, str | None]:
    """`try_take`, also returning who held the lease row before (None: nobody)."""
    current = conn.execute(select(LEASES.c.holder).where(LEASES.c.name == name)).scalar_one_or_none()
    stale_holder = current is not None and current != holder and holder_is_gone(current)
    stmt = dialect_insert(conn, LEASES).values(name=name, holder=holder, expires_at=to_utc(now + ttl))
    condition = (LEASES.c.holder == holder) | (LEASES.c.expires_at < to_utc(now))
    if stale_holder:
        condition = condition | (LEASES.c.holder == current)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[LEASES.c.name],
            set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
            where=condition,
        )
    )
    taken: bool = conn.execute(select(LEASES.c.holder).where(LEASES.c.name == name)).scalar_one() == holder
    if taken and current not in (None, holder):
        log.info("lease.taken_over", lease=name, holder=holder, previous=current, previous_gone=stale_holder)
    return taken, current


def give_up(conn: Connection, name: str, holder: str) -> None:
    """Release lease `name` if `holder` has it, so another replica may take it at once."""
    conn.execute(delete(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder))


def expires_at(conn: Connection, name: str) -> datetime | None:
    """When lease `name` lapses, or None when nobody holds it."""
    return as_utc(conn.execute(select(LEASES.c.expires_at).where(LEASES.c.name == name)).scalar_one_or_none())


class Lease:
    """One named lease as seen by one holder: take/renew it, know whether it is held, release it."""

    def __init__(
        self, engine: Engine, name: str, holder: str, clock: Callable[[], datetime], ttl: timedelta = LEASE_TTL
    ) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._clock = clock
        self._valid_until: datetime | None = None
        self._taken_at: datetime | None = None
        #: Whether the last take found the lease free or another's: work a predecessor began may be under way.
        self.taken_afresh = False

    @property
    def renew_every(self) -> timedelta:
        """How often a holder renews (a third of the TTL, so two missed renewals still keep it)."""
        return self.ttl / 3

    def held(self) -> bool:
        """True while our last successful take/renew has not lapsed (by our clock)."""
        return self._valid_until is not None and self._clock() < self._valid_until

    def acquire(self) -> bool:
        """Take or renew the lease; log when it is won or lost. Returns whether we hold it now."""
        now = self._clock()
        had = self.held()
        taken, previous = run_in_transaction(
            self.engine, lambda conn: take(conn, self.name, self.holder, now, self.ttl), what=f"lease {self.name}"
        )
        self.taken_afresh = taken and previous != self.holder
        self._valid_until = now + self.ttl if taken else None
        self._taken_at = now if taken else None
        if taken and not had:
            log.info("lease.acquired", lease=self.name, holder=self.holder)
        elif had and not taken:
            log.warning("lease.lost", lease=self.name, holder=self.holder)
        return taken

    def keep(self) -> bool:
        """Hold the lease: take it if free, renew it once a third of its TTL has passed. True while held."""
        if self.held() and self._taken_at is not None and self._clock() - self._taken_at < self.renew_every:
            return True
        return self.acquire()

    def release(self) -> None:
        """Give the lease up (on shutdown), so another replica need not wait for it to expire."""
        if self._valid_until is None:
            return
        run_in_transaction(
            self.engine, lambda conn: give_up(conn, self.name, self.holder), what=f"lease {self.name} release"
        )
        self._valid_until = None
        log.info("lease.released", lease=self.name, holder=self.holder)

    def mark_lost(self) -> None:
        """Forget the lease locally (the store became unreachable: we cannot prove we still hold it)."""
        self._valid_until = None
