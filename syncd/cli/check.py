"""`syncd check`: validate the config and summarize what it declares; exit 1 listing every problem."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adapters.registry import registry
from syncd.cli.online import check_online_or_exit
from syncd.cli.options import ConfigOption, load_config_or_exit
from syncd.config.loader import default_config_path
from syncd.config.models import MatchRule, SyncdConfig
from syncd.config.source import SourceConfig
from syncd.store.engine import DATABASE_URL_ENV, resolve_url
from syncd.store.errors import display_url


def register(app: typer.Typer) -> None:
    """Add `syncd check` to the app."""
    app.command("check")(check)


def check(
    config: ConfigOption = None,
    online: Annotated[
        bool,
        typer.Option("--online", help="Also ask each source: credentials, repos/projects, webhooks, fields, budget."),
    ] = False,
) -> None:
    """Validate the config file and print what it declares.

    Exit 0 when the config is valid; 1 with every problem listed (file:line: key: message) when not.
    With --online, exit 1 too when any online check fails (each failure says what to do).
    """
    path = default_config_path(config)
    loaded = load_config_or_exit(path)
    console = Console(highlight=False, soft_wrap=True)
    for line in summary_lines(loaded, path):
        console.print(line, markup=False)
    if online:
        check_online_or_exit(loaded, console)


def summary_lines(config: SyncdConfig, path: Path) -> Iterator[str]:
    """The summary `syncd check` prints: store, cycles, objectives, KRs by measure, sources and rules."""
    yield f"{path}: config is valid"
    yield f"store: {_store(config.store.url)}"
    yield f"cycles ({len(config.cycles)}):"
    for cycle in config.cycles:
        yield f"  {cycle.id}  {cycle.start} .. {cycle.end}" + (f"  {cycle.title}" if cycle.title else "")
    yield from _objective_lines(config)
    yield f"sources ({len(config.sources)}):"
    for source in config.sources:
        disabled = "" if source.enabled else "  (disabled)"
        yield f"  {source.name}  {source.kind}  {_scope(source)}{disabled}"
    if config.okr_stores:
        yield f"okr stores ({len(config.okr_stores)}):"
    for store in config.okr_stores:
        disabled = "" if store.enabled else "  (disabled)"
        feeds = f"KRs {', '.join(store.kr_ids())}" if store.kr_ids() else "every KR and objective"
        yield f"  {store.name}  {store.kind}  {feeds}{disabled}"
    yield f'matching: label prefix "{config.matching.label_prefix}", {_plural(len(config.matching.rules), "rule")}'
    for rule in config.matching.rules:
        yield f"  {_rule(rule)}"


def _objective_lines(config: SyncdConfig) -> Iterator[str]:
    yield f"objectives ({len(config.objectives)}):"
    for objective in config.objectives:
        parent = f", aligns to {objective.parent}" if objective.parent else ""
        krs = _plural(len(objective.key_results), "key result")
        yield f"  {objective.id}  {objective.title}  [{objective.cycle}{parent}; {krs}]"
    yield f"key results ({sum(len(o.key_results) for o in config.objectives)}): {_measures(config)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _store(url: str) -> str:
    resolved = resolve_url(url)
    overridden = f" (from {DATABASE_URL_ENV})" if resolved != url else ""
    return display_url(resolved) + overridden


def _measures(config: SyncdConfig) -> str:
    counts = Counter(kr.measure for objective in config.objectives for kr in objective.key_results)
    return ", ".join(f"{measure} {count}" for measure, count in sorted(counts.items())) or "none"


def _scope(source: SourceConfig) -> str:
    """What the source follows, by the keys its tracker's descriptor names (`repos: acme/web`)."""
    descriptor = registry().get(source.kind)
    parts = []
    for key in descriptor.scope_keys if descriptor is not None else ():
        value = getattr(source, key, None)
        if isinstance(value, list) and value:
            parts.append(f"{key}: {', '.join(str(item) for item in value)}")
        elif isinstance(value, str) and value:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _rule(rule: MatchRule) -> str:
    selector = f'label "{rule.label}"' if rule.label is not None else f"regex /{rule.regex}/"
    scope = "".join(f" in {where}" for where in (rule.source, rule.container) if where)
    return f"{selector}{scope} -> {', '.join(rule.key_results)}"
