"""End-to-end helpers for the worker-side fault tests: a config of many KRs over the GitHub simulator,
ground truth computed from the simulator's state, and what the store and the simulator say now.

    sim = start_github_sim(writes_per_minute=None)
    config = okr_sim_config(tmp_path, sim, store_url, kr_count=20)
    with running_daemon(config, env=DAEMON_ENV) as daemon: ...
    assert store_progress(store_url) == ground_truth(sim, config)
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from adapters.registry import load_config
from syncd.config.views import build_okr
from syncd.core.matching import match_task
from syncd.core.model import TaskSnapshot
from syncd.core.progress import kr_progress
from syncd.simulators.github import GitHubSimulator
from syncd.store.engine import create_store_engine
from syncd.store.tables import DELIVERIES, KEY_RESULTS, PUSH_TARGETS
from tests.support.daemon import write_config
from tests.support.github_sim import GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET, github_source_dict

if TYPE_CHECKING:
    from adapters.github.adapter import GitHubAdapter

SOURCE = "acme-github"
DAEMON_ENV = {"GH_TOKEN": GITHUB_TOKEN, "GH_SECRET": GITHUB_WEBHOOK_SECRET}


def kr_ids(kr_count: int, per_objective: int = 10) -> list[str]:
    """`OBJ-1.1`, `OBJ-1.2`, ... for `kr_count` KRs, `per_objective` to an objective."""
    return [f"OBJ-{i // per_objective + 1}.{i % per_objective + 1}" for i in range(kr_count)]


def okr_sim_config(
    directory: Path,
    sim: GitHubSimulator,
    store_url: str,
    *,
    kr_count: int,
    repos: Sequence[str] = ("acme/web", "acme/api"),
    source: Mapping[str, Any] | None = None,
    push: Mapping[str, Any] | None = None,
) -> Path:
    """Write a config of `kr_count` task KRs and one GitHub source on the simulator; return its path."""
    ids = kr_ids(kr_count)
    objectives: dict[str, list[dict[str, str]]] = {}
    for kr_id in ids:
        objectives.setdefault(kr_id.split(".")[0], []).append({"id": kr_id, "title": f"Key result {kr_id}"})
    entry = github_source_dict(sim, token="${GH_TOKEN}", webhook_secret="${GH_SECRET}", repos=tuple(repos))
    entry.update(source or {})
    config = {
        "store": {"url": store_url},
        "cycles": [{"id": "2026-H2", "start": "2026-07-01", "end": "2026-12-31"}],
        "objectives": [
            {"id": objective, "title": f"Objective {objective}", "cycle": "2026-H2", "key_results": krs}
            for objective, krs in objectives.items()
        ],
        "sources": [entry],
        "push": dict(push or {"coalesce_window": "1s"}),
    }
    return write_config(directory, config)


@functools.cache
def github_adapter_for(config_path: Path) -> GitHubAdapter:
    """The GitHub adapter of the config's source, as the daemon builds it (cached per config file)."""
    from adapters.github.adapter import build_adapter

    config = load_config(config_path, environ=DAEMON_ENV)
    source = next(s for s in config.sources if s.name == SOURCE)
    return build_adapter(source)  # type: ignore[arg-type]


def simulator_tasks(sim: GitHubSimulator, config_path: Path) -> list[TaskSnapshot]:
    """Every task of the configured repos (of every GitHub source), normalized by the GitHub adapter from the
    simulator's state (read in-process: no request, so the simulator's request log holds only the daemon's
    traffic)."""
    from adapters.github.normalize import snapshot_from_issue

    config = load_config(config_path, environ=DAEMON_ENV)
    found: list[TaskSnapshot] = []
    for source in (s for s in config.sources if s.kind == "github"):
        for repo in source.repos:  # type: ignore[attr-defined]
            with sim.state.lock:
                issues = sim.state.repo(repo).issues
                numbers = sorted(n for n, i in issues.items() if not i.deleted and not i.transferred_to)
            for number in numbers:
                issue = sim.issue(repo, number)
                found.append(snapshot_from_issue(source, issue, repo))  # type: ignore[arg-type]
    return found


def ground_truth(sim: GitHubSimulator, config_path: Path) -> dict[str, float]:
    """Each KR's progress computed with the core from the simulator's state (the tracker's truth)."""
    okr = build_okr(load_config(config_path, environ=DAEMON_ENV))
    linked: dict[str, list[TaskSnapshot]] = {kr: [] for kr in okr.key_results}
    for snapshot in simulator_tasks(sim, config_path):
        for link in match_task(snapshot, okr.rules).links:
            linked[link.kr_id].append(snapshot)
    now = datetime.now(UTC)
    return {
        kr_id: round(kr_progress(view, linked[kr_id], [], okr.cycles[view.cycle_id], now).progress, 9)
        for kr_id, view in okr.key_results.items()
    }


def store_progress(store_url: str) -> dict[str, float]:
    """Each KR's progress as the store holds it."""
    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            return {
                row.id: round(row.progress, 9) for row in conn.execute(select(KEY_RESULTS.c.id, KEY_RESULTS.c.progress))
            }
    finally:
        engine.dispose()


def store_counts(store_url: str) -> dict[str, int]:
    """Deliveries by status, dirty KRs, and push targets not yet in sync or with a write in flight (0 everywhere
    once converged)."""
    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            counts = {
                f"deliveries_{status}": count
                for status, count in conn.execute(
                    select(DELIVERIES.c.status, func.count()).group_by(DELIVERIES.c.status)
                )
            }
            counts["dirty_krs"] = conn.execute(
                select(func.count()).where(KEY_RESULTS.c.dirty_since.is_not(None))
            ).scalar_one()
            counts["unsynced_targets"] = conn.execute(
                select(func.count()).where(
                    (PUSH_TARGETS.c.desired_hash != func.coalesce(PUSH_TARGETS.c.applied_hash, ""))
                    | PUSH_TARGETS.c.inflight_hash.is_not(None)
                )
            ).scalar_one()
            return counts
    finally:
        engine.dispose()


def applied_delivery_ids(store_url: str) -> set[str]:
    """The delivery ids the store holds as applied (`done`)."""
    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            query = select(DELIVERIES.c.delivery_id).where(DELIVERIES.c.status == "done")
            return set(conn.execute(query).scalars())
    finally:
        engine.dispose()


def comments_per_issue(sim: GitHubSimulator, issues: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """How many syncd comments each issue carries (by the hidden marker)."""
    return {
        (repo, number): sum("<!-- syncd:task=" in c.body for c in sim.comments(repo, number)) for repo, number in issues
    }


def random_change(sim: GitHubSimulator, rng: random.Random, issue: tuple[str, int], kr_choices: Sequence[str]) -> int:
    """One tracker change on `issue` (close, reopen, relabel, or a title edit); returns the webhooks it emits."""
    repo, number = issue
    state = sim.issue(repo, number)
    roll = rng.random()
    if state["state"] == "open" and roll < 0.3:
        sim.close_issue(repo, number, reason=rng.choice(("completed", "completed", "not_planned")))
        return 1
    if state["state"] == "closed" and roll < 0.5:
        sim.reopen_issue(repo, number)
        return 1
    if roll < 0.7:
        old = [label["name"] for label in state["labels"] if label["name"].startswith("kr:")]
        for label in old:
            sim.remove_label(repo, number, label)
        sim.add_label(repo, number, f"kr:{rng.choice(kr_choices)}")
        return len(old) + 1
    sim.edit_issue(repo, number, title=f"Task {number} edited {rng.random():.6f}")
    return 1
