"""`syncd check --online`: ask every source whether it really works, and print one table with fixes.

Per source: first one plain request to its API root, all sources at once within a few seconds (a
source that does not answer is one "reachable" failure with network advice, and nothing else is
asked of it); then the adapter's own checks (`SourceAdapter.check_online`: credentials and whose they are,
each repo or project reachable, webhooks pointing at `server.public_url`, custom fields and goals,
rate-limit budget), plus whether deliveries can be verified, as the tracker's descriptor says they are
(`WebhookAuth`): one of its signing keys is set (`signing_fields`: a shared secret such as `webhook_secret`,
or another key that verifies deliveries on its own), or a handshake secret is stored for each followed
partition (Asana). Exit 1 when any check fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from urllib.parse import urlsplit

import httpx
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from adapters.registry import registry
from syncd.cli.deadline import DeadlinePassed, run_all_within, run_within
from syncd.cli.options import EXIT_PROBLEM
from syncd.config.loader import config_secrets
from syncd.config.models import SyncdConfig
from syncd.config.source import SourceConfig
from syncd.core.errors import TrackerError
from syncd.logs import configure_logging, redact
from syncd.ports import OnlineCheck, SourceAdapter
from syncd.runtime.reload import build_adapters, build_stores, close_adapters
from syncd.store.engine import open_store
from syncd.store.errors import StoreError, first_line
from syncd.store.tables import WEBHOOK_SECRETS as SECRETS

#: How long every source together has to answer its first request before it is reported unreachable.
CONNECT_DEADLINE = 3.0
#: How long one reachable source's own checks may take in all.
CHECK_DEADLINE = 30.0
#: What to do when a tracker does not answer: nothing about tokens or webhooks can be checked yet.
NETWORK_FIX = (
    "check the network: base_url, DNS, a proxy (HTTPS_PROXY) or firewall between here and the tracker, and the "
    "tracker's status page; the other checks run once it answers"
)


def check_online_or_exit(config: SyncdConfig, console: Console) -> None:
    """Run and print every online check; exit 1 when any failed."""
    configure_logging(level="warning", secrets=config_secrets(config))
    rows = online_checks(config)
    print_online_checks(rows, console)
    if not all(row.ok for row in rows):
        raise typer.Exit(EXIT_PROBLEM)


def online_checks(config: SyncdConfig) -> list[OnlineCheck]:
    """Every enabled source's checks, in config order (trackers are only read).

    Every source is first asked one plain request, all at once within `CONNECT_DEADLINE`: a source that
    does not answer gets one row saying so, with network advice, and no checks that would only repeat it."""
    adapters = build_adapters(config)
    try:
        enabled = [source for source in config.sources if source.name in adapters]
        unreachable = dict(zip((s.name for s in enabled), reachability(enabled), strict=True))
        rows: list[OnlineCheck] = []
        for source in config.sources:
            adapter = adapters.get(source.name)
            if adapter is None:
                rows.append(OnlineCheck(source.name, "enabled", True, "disabled in the config: not checked"))
            elif (failure := unreachable[source.name]) is not None:
                rows.append(OnlineCheck(source.name, "reachable", False, failure, NETWORK_FIX))
            else:
                rows.extend(_adapter_checks(adapter, config.server.public_url))
                rows.extend(secret_checks(source, adapter, config))
        return rows + store_checks(config)
    finally:
        close_adapters(adapters)


def store_checks(config: SyncdConfig) -> list[OnlineCheck]:
    """Each enabled OKR store's checks (each configured metric exists and the token may read it)."""
    stores = build_stores(config)
    try:
        rows: list[OnlineCheck] = []
        for item in config.okr_stores:
            store = stores.get(item.name)
            if store is None:
                rows.append(OnlineCheck(item.name, "enabled", True, "disabled in the config: not checked"))
                continue
            try:
                rows.extend(run_within(CHECK_DEADLINE, store.check_online))
            except DeadlinePassed:
                detail = f"the checks did not finish within {CHECK_DEADLINE:g}s"
                rows.append(OnlineCheck(item.name, "reachable", False, detail, NETWORK_FIX))
        return rows
    finally:
        close_adapters(stores)


def reachability(sources: Sequence[SourceConfig]) -> list[str | None]:
    """Per source, why its `base_url` did not answer one request within `CONNECT_DEADLINE`, or None when
    it answered (any HTTP status: a 401 or 404 is an answer). All sources are asked at once."""
    outcomes = run_all_within(CONNECT_DEADLINE + 0.5, [partial(_answers, source.base_url) for source in sources])
    return [
        None if outcome is None else _unreachable(source.base_url, outcome)
        for source, outcome in zip(sources, outcomes, strict=True)
    ]


def _answers(base_url: str) -> None:
    """One GET of the API root (proxies from the environment apply, as they do for the trackers' SDKs)."""
    with httpx.Client(timeout=CONNECT_DEADLINE, follow_redirects=False) as client:
        client.get(base_url)


def _unreachable(base_url: str, failure: BaseException) -> str:
    """What went wrong reaching `base_url`, in words (the origin only: a URL's path or query may carry more)."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    if isinstance(failure, (httpx.TimeoutException, DeadlinePassed)):
        return f"no answer within {CONNECT_DEADLINE:g}s from {origin}: the tracker or the network to it is down"
    if isinstance(failure, (httpx.HTTPError, httpx.InvalidURL)):
        reason = str(failure).strip() or type(failure).__name__
        return f"cannot connect to {origin}: {reason}"
    raise failure


def _adapter_checks(adapter: SourceAdapter, public_url: str | None) -> Sequence[OnlineCheck]:
    try:
        return run_within(CHECK_DEADLINE, lambda: adapter.check_online(public_url))
    except DeadlinePassed:
        detail = f"answered at first, then the checks did not finish within {CHECK_DEADLINE:g}s"
        return [OnlineCheck(adapter.name, "reachable", False, detail, NETWORK_FIX)]
    except TrackerError as error:  # an adapter that could not even start its checks
        return [OnlineCheck(adapter.name, "reachable", False, str(error), "check base_url, the network and the token")]


def secret_checks(source: SourceConfig, adapter: SourceAdapter, config: SyncdConfig) -> list[OnlineCheck]:
    """Whether webhook deliveries of `source` can be verified (only when `server.public_url` asks for webhooks)."""
    if not config.server.public_url:
        return [
            OnlineCheck(source.name, "webhook secret", True, "not needed: server.public_url is unset (polling only)")
        ]
    descriptor = registry().get(adapter.kind)
    auth = descriptor.webhooks if descriptor is not None else None
    if auth is not None and auth.handshake:  # the same test `syncd webhooks install` uses
        return _handshake_secrets(source, adapter, config)
    if auth is not None and auth.signing_fields:
        present = [name for name in auth.signing_fields if getattr(source, name, None) is not None]
        if present:
            detail = f"set ({', '.join(present)}): deliveries are verified"
            return [OnlineCheck(source.name, "webhook secret", True, detail)]
        fix = auth.unsigned_fix or f"set {' or '.join(auth.signing_fields)}, then `syncd webhooks install`"
        return [OnlineCheck(source.name, "webhook secret", False, "not set: deliveries cannot be verified", fix)]
    return [OnlineCheck(source.name, "webhook secret", False, f"{adapter.kind} webhooks cannot be verified yet")]


def _handshake_secrets(source: SourceConfig, adapter: SourceAdapter, config: SyncdConfig) -> list[OnlineCheck]:
    """Sources whose tracker hands a secret over in a handshake (Asana): one stored per followed partition."""
    try:
        engine = open_store(config.store.url, create=False)
    except StoreError as error:
        return [OnlineCheck(source.name, "webhook secrets", False, f"not checked: {error}", "run `syncd db upgrade`")]
    try:
        with engine.connect() as conn:
            stored = set(conn.execute(select(SECRETS.c.resource).where(SECRETS.c.source == source.name)).scalars())
        missing = [partition for partition in adapter.partitions() if partition not in stored]
    except (SQLAlchemyError, TrackerError) as error:
        return [OnlineCheck(source.name, "webhook secrets", False, f"not checked: {first_line(error)}")]
    finally:
        engine.dispose()
    if missing:
        fix = "run `syncd webhooks install` while `syncd run` is reachable at server.public_url"
        return [
            OnlineCheck(source.name, "webhook secrets", False, f"no handshake secret for {', '.join(missing)}", fix)
        ]
    followed = len(adapter.partitions())
    detail = f"a handshake secret is stored for each followed project ({followed})"
    return [OnlineCheck(source.name, "webhook secrets", True, detail)]


def print_online_checks(rows: Sequence[OnlineCheck], console: Console) -> None:
    """The table of checks, then what to do for each failure."""
    table = Table(title="Online checks", title_justify="left")
    for header in ("Source", "Check", "Result", "Detail"):
        table.add_column(header)
    for row in rows:
        result = Text("ok", style="green") if row.ok else Text("FAIL", style="bold red")
        table.add_row(row.source, row.check, result, Text(redact(row.detail)))
    console.print(table)
    failed = [row for row in rows if not row.ok]
    for row in failed:
        console.print(Text(redact(f"✗ {row.source} {row.check}: {row.fix or 'see the detail above'}"), style="red"))
    summary = f"{len(rows) - len(failed)} of {len(rows)} checks passed"
    console.print(Text(summary, style="bold red" if failed else "bold green"))
