"""The writes of a plan, in words: each target's old content -> new content as a diff, and what the
write budget of each source needs to make them all.

A target is a write when its desired content differs from what was applied, or a write of it was
interrupted (its outcome unknown: the daemon re-writes it), and it has not been given up on. "Old" is
what the store says was applied (`applied_text`; for numbers, the desired value that was applied), else
nothing: syncd has not written the target yet; after an interrupted write it is unknown.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.core.pacing import RateLimit, WritePacer
from syncd.core.render import format_number
from syncd.ports import OkrStore, SourceAdapter

#: Above this many writes the pacing is extrapolated from the last simulated window instead of simulated.
SIMULATED_WRITES = 20_000


@dataclass(frozen=True)
class PlannedWrite:
    """One write the daemon would make: where, what it replaces (and where that was read), and with what."""

    source: str
    kind: str
    key: str
    url: str | None
    old_text: str | None
    old_number: float | None
    old_known: bool
    new_text: str | None
    new_number: float | None
    diff: str


@dataclass
class SourceRead:
    """What listing one source in full cost and found; `problem` when it could not be listed."""

    partitions: int = 0
    tasks: int = 0
    requests: int = 0
    problem: str | None = None


@dataclass(frozen=True)
class SourcePlan:
    """One source: what the plan read from it, the writes it would get, and the time its write budget needs."""

    source: str
    kind: str
    partitions: int
    tasks: int
    requests: int
    writes: int
    by_kind: dict[str, int]
    limits: tuple[str, ...]
    budget_seconds: float
    problem: str | None


def planned_writes(
    after: Mapping[tuple[str, str, str], Any],
    before: Mapping[tuple[str, str, str], Any],
    urls: Mapping[tuple[str, str], str],
) -> list[PlannedWrite]:
    """The targets of `after` that would be written, by source, kind and key, each compared with `before`."""
    writes = []
    for target in sorted(after):
        row = after[target]
        interrupted = row.inflight_hash is not None
        if row.failed_permanently or (row.desired_hash == row.applied_hash and not interrupted):
            continue
        source, kind, key = target
        old_text, old_number, known = _old(before.get(target)) if not interrupted else (None, None, False)
        writes.append(
            PlannedWrite(
                source=source,
                kind=kind,
                key=key,
                url=urls.get((source, key)),
                old_text=old_text,
                old_number=old_number,
                old_known=known,
                new_text=row.desired_text,
                new_number=row.desired_number,
                diff=write_diff(
                    target,
                    old_text,
                    old_number,
                    row.desired_text,
                    row.desired_number,
                    known=known,
                    interrupted=interrupted,
                ),
            )
        )
    return writes


def _old(row: Any) -> tuple[str | None, float | None, bool]:
    """(text, number, known) that the target holds now according to the store."""
    if row is None or row.applied_hash is None:
        return None, None, False
    if row.applied_text is not None:
        return row.applied_text, None, True
    if row.desired_hash == row.applied_hash:  # the desired number was the one applied
        return row.desired_text, row.desired_number, True
    return None, None, False


def write_diff(
    target: tuple[str, str, str],
    old_text: str | None,
    old_number: float | None,
    new_text: str | None,
    new_number: float | None,
    *,
    known: bool,
    interrupted: bool = False,
) -> str:
    """A unified diff for text (`old` empty when not written yet or unknown after an interrupted write);
    `old -> new` for numbers."""
    name = " ".join(target)
    if new_text is None and old_text is None:
        unset = "unknown (a write was interrupted)" if interrupted else "not set by syncd"
        old = format_number(old_number) if old_number is not None else ("unknown" if known else unset)
        new = format_number(new_number) if new_number is not None else "empty"
        return f"{name}: {old} -> {new}"
    before = (old_text or "").splitlines(keepends=True)
    after = (new_text or "").splitlines(keepends=True)
    label = "(applied)" if known else "(not written by syncd yet)"
    if interrupted:
        label = "(unknown: a write was interrupted)"
    lines = difflib.unified_diff(before, after, fromfile=f"{name} {label}", tofile=f"{name} (planned)")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def source_plan(
    name: str, adapter: SourceAdapter | OkrStore, writes: Sequence[PlannedWrite], read: SourceRead
) -> SourcePlan:
    """Totals of one source (or OKR store: nothing read) and the seconds its write limits need for `writes`."""
    limits = pace_words(adapter.write_limits)
    return SourcePlan(
        source=name,
        kind=adapter.kind,
        partitions=read.partitions,
        tasks=read.tasks,
        requests=read.requests,
        writes=len(writes),
        by_kind=dict(sorted(Counter(write.kind for write in writes).items())),
        limits=limits,
        budget_seconds=budget_seconds(adapter.write_limits, len(writes)),
        problem=read.problem,
    )


def pace_words(limits: Sequence[RateLimit]) -> tuple[str, ...]:
    """Each limit as `syncd plan` and `syncd sync` print it: `80 per min`, `500 per h`."""
    return tuple(f"{limit.count} per {_span(limit.period)}" for limit in limits)


def budget_seconds(limits: Sequence[RateLimit], writes: int) -> float:
    """How long `writes` writes take when paced to `limits` by the pusher's own pacer (the first one at 0s)."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    pacer = WritePacer(limits)
    moment = start
    simulated = min(writes, SIMULATED_WRITES)
    for _ in range(simulated):
        moment = pacer.next_allowed(moment)
        pacer.record(moment)
    seconds = (moment - start).total_seconds()
    if writes > simulated and simulated:
        seconds *= writes / simulated  # the rate over a long run is the steady one
    return seconds


def _span(period: timedelta) -> str:
    seconds = period.total_seconds()
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return unit if count == 1 else f"{count} {unit}"
    return f"{seconds:g} s"
