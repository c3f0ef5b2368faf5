"""Has syncd caught up? Compare what the store and the trackers show with the ground truth.

Converged means: every KR's stored progress equals the ground truth (which takes every check-in people
made, the story's and any from `syncd checkin` or the API meanwhile); nothing waits anywhere (webhooks
in the simulators, deliveries, refresh requests, dirty KRs or tasks, push targets); no write failed;
and every task that should carry a syncd comment has exactly one, stating the right percentages, with
the progress field to match where the tracker has one. `Probe.check` answers with the status report it read, so the live
display and the convergence test share one read of the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.core.model import CheckIn
from syncd.sandbox.expected import ExpectedTask, GroundTruth, ground_truth
from syncd.sandbox.observed import comment_percents, progress_field, syncd_comments
from syncd.sandbox.tracker import SandboxSource
from syncd.store.key_results import metric_checkins
from syncd.store.status_query import StatusReport, read_status
from syncd.store.tables import KEY_RESULTS, TASKS

#: How many task-level differences a check lists (the count says how many more there are).
LISTED = 5


@dataclass(frozen=True)
class Check:
    """One look at the store and the trackers: the status, the ground truth, and what still differs."""

    report: StatusReport
    truth: GroundTruth
    differences: tuple[str, ...]

    @property
    def converged(self) -> bool:
        """True when nothing differs."""
        return not self.differences


class Probe:
    """Reads the store and the simulators and says how far syncd is from the ground truth."""

    def __init__(
        self,
        config: SyncdConfig,
        engine: Engine,
        sources: Sequence[SandboxSource],
        checkins: Callable[[], Sequence[CheckIn]],
    ) -> None:
        self.config = config
        self.engine = engine
        self.sources = tuple(sources)
        self._by_name = {source.name: source for source in self.sources}
        self.checkins = checkins
        self.kr_ids = tuple(build_okr(config).key_results)

    def check(self, now: datetime) -> Check:
        """Blocking (store and simulator reads): run it in a thread from async code."""
        idle = all(source.tracker.idle() for source in self.sources)
        truth = ground_truth(self.config, self.sources, self.reported_checkins(), now)
        report = read_status(self.engine, self.config, now)
        found = [] if idle else ["the simulators are still sending webhooks"]
        found += progress_differences(report, truth) + backlog(report, self.dirty_rows())
        found += self.tracker_differences(truth)
        return Check(report, truth, tuple(found))

    def reported_checkins(self) -> list[CheckIn]:
        """The story's check-ins and every metric check-in in the store (`syncd checkin` or the API from
        another terminal): people's inputs, which the truth must take as syncd does. The story's own list
        stays in, so one the store lost still shows as a difference."""
        with self.engine.connect() as conn:
            stored = metric_checkins(conn, self.kr_ids)
        found = {(c.kr_id, c.at, c.value): c for c in self.checkins()}
        for checkin in (c for checkins in stored.values() for c in checkins):
            found.setdefault((checkin.kr_id, checkin.at, checkin.value), checkin)
        return sorted(found.values(), key=lambda c: (c.kr_id, c.at))

    def dirty_rows(self) -> int:
        """KRs and tasks marked for recomputation and not yet recomputed."""
        with self.engine.connect() as conn:
            krs = conn.execute(select(func.count()).where(KEY_RESULTS.c.dirty_since.is_not(None))).scalar_one()
            tasks = conn.execute(select(func.count()).where(TASKS.c.dirty_since.is_not(None))).scalar_one()
        return int(krs) + int(tasks)

    def tracker_differences(self, truth: GroundTruth) -> list[str]:
        """Tasks whose syncd comment (or progress field) is missing, doubled or out of date."""
        wrong = [problem for task in truth.labelled() if (problem := self.task_difference(truth, task))]
        more = [f"... and {len(wrong) - LISTED} more tasks"] if len(wrong) > LISTED else []
        return wrong[:LISTED] + more

    def task_difference(self, truth: GroundTruth, task: ExpectedTask) -> str | None:
        """What is wrong with one task's comment or field, or None."""
        where = f"{task.snapshot.source}:{task.snapshot.external_id}"
        source = self._by_name[task.snapshot.source]
        comments = syncd_comments(source, task.snapshot)
        if len(comments) != 1:
            return f"{where} has {len(comments)} syncd comments"
        if comment_percents(comments[0]) != truth.comment_percents(task):
            return f"{where}: the comment says {comment_percents(comments[0])}, expected {truth.comment_percents(task)}"
        if source.tracker.writes_progress_field and task.kr_ids:
            field = progress_field(source, task.snapshot)
            if field is None or abs(field - (truth.field_fraction(task) or 0.0)) > 1e-9:
                return f"{where}: the progress field is {field}, expected {truth.field_fraction(task)}"
        return None


def progress_differences(report: StatusReport, truth: GroundTruth) -> list[str]:
    """KRs whose stored progress is not the ground truth."""
    found = []
    for objective in report.objectives:
        for kr in objective.key_results:
            expected = truth.progress[kr.id]
            if abs(kr.progress - expected) > 1e-9:
                found.append(f"{kr.id}: syncd says {kr.progress:.1%}, the trackers say {expected:.1%}")
    return found


def backlog(report: StatusReport, dirty: int) -> list[str]:
    """Work still waiting in the store, and writes that failed."""
    queues = report.queues
    waiting = {
        "pending deliveries": queues.pending_deliveries,
        "refresh requests": queues.refresh_requests,
        "push targets due": queues.due_push_targets,
        "push targets waiting": queues.waiting_push_targets,
        "KRs or tasks to recompute": dirty,
    }
    found = [f"{count} {what}" for what, count in waiting.items() if count]
    found += [f"write failed: {t.kind} {t.key}: {t.last_error}" for t in report.failing_targets]
    return found
