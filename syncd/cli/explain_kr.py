"""`syncd explain KR`: where a key result's progress goes: tracker goals and OKR stores, each with what it should
hold, whether it does, and the store's last answer. Reads the config and the store; writes nothing."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from syncd.config.models import SyncdConfig
from syncd.core.status import as_utc
from syncd.store.connection import Engine
from syncd.store.status_query import read_kr_targets
from syncd.store.status_rows import KrTarget


def kr_ids(config: SyncdConfig) -> set[str]:
    """Every KR id the config declares."""
    return {kr.id for objective in config.objectives for kr in objective.key_results}


def configured_feeds(config: SyncdConfig, kr_id: str) -> list[tuple[str, str, str]]:
    """(store, kind, what it takes) for every enabled OKR store this KR feeds, per the config."""
    feeds = []
    for store in config.okr_stores:
        if not store.enabled:
            continue
        if not store.kr_ids():  # an outbound webhook takes every KR
            feeds.append((store.name, store.kind, "every KR's events"))
        elif kr_id in store.kr_ids():
            metric = getattr(store, "metrics", {}).get(kr_id, "")
            feeds.append((store.name, store.kind, f"metric {metric}"))
    return feeds


def explain_kr(engine: Engine, config: SyncdConfig, kr_id: str, *, as_json: bool) -> None:
    """Print where `kr_id` is pushed (as JSON with `as_json`)."""
    targets = read_kr_targets(engine, config, kr_id)
    feeds = configured_feeds(config, kr_id)
    if as_json:
        document: dict[str, Any] = {
            "key_result": kr_id,
            "stores": [{"store": s, "kind": k, "takes": t} for s, k, t in feeds],
            "targets": [_jsonable(dataclasses.asdict(t)) for t in targets],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(Text(f"{kr_id} feeds:", style="bold"))
    if not feeds and not targets:
        console.print("no tracker goal and no OKR store (add it to an okr_stores[] item's metrics: to feed one)")
    for store, kind, takes in feeds:
        console.print(f"  {store} ({kind}): {takes}")
    if targets:
        console.print(_table(targets))


def _table(targets: tuple[KrTarget, ...]) -> Table:
    table = Table(title="Targets", title_justify="left")
    for header in ("Destination", "Target", "Value", "State", "Written at", "Last error"):
        table.add_column(header)
    for t in targets:
        written = as_utc(t.applied_at).strftime("%Y-%m-%d %H:%M UTC") if t.applied_at else "never"
        table.add_row(t.destination, f"{t.kind} {t.key}", t.value, t.state, written, t.last_error or "")
    return table


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (as_utc(v).isoformat().replace("+00:00", "Z") if hasattr(v, "isoformat") else v) for k, v in row.items()}
