"""One `redact(text)` for every error text syncd stores or shows: configured secrets (whole values only) and
anything shaped like a credential (an `Authorization` header, `token ghp_...`, `Bearer ...`) become [redacted]."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from adapters.registry import load_config
from syncd.cli.main import build_app
from syncd.core.errors import Permanent, Retriable
from syncd.logs import REDACTED, redact
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.poll.scheduler import Scheduler
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.reload import build_adapters, close_adapters
from syncd.runtime.worker import Worker
from syncd.simulators.kit.server import BackgroundServer
from syncd.store.engine import create_store_engine
from syncd.store.migrate import upgrade
from syncd.store.tables import SOURCE_STATE
from syncd.web.app import create_app
from tests.support.configs import write_config
from tests.support.fake_adapter import task
from tests.support.leaky_tracker import leaky_tracker
from tests.support.worker_env import WorkerEnv, sqlite_bench

GITHUB_TOKEN = "ghp_RedactMarkerGithub0123456789abcd"
#: Not shaped like any known token: found only because it is configured.
ASANA_TOKEN = "asana-marker-token-7f3e9a1c5b2d"
WEBHOOK_SECRET = "webhook-marker-secret-4c8e2a"
API_TOKEN = "api-marker-token-9b1d3f5a7c"
ENV = {"GH_TOKEN": GITHUB_TOKEN, "AS_TOKEN": ASANA_TOKEN, "GH_SECRET": WEBHOOK_SECRET, "API_TOKEN": API_TOKEN}
MARKERS = (GITHUB_TOKEN, ASANA_TOKEN, WEBHOOK_SECRET, API_TOKEN)


class TestRedact:
    """The function itself: whole secret values, and credential shapes whether configured or not."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("you sent Authorization=token ghp_abcdefghijklmnop0123", f"you sent Authorization=token {REDACTED}"),
            ('{"Authorization": "Bearer abc.def-ghi"}', f'{{"Authorization": "Bearer {REDACTED}"}}'),
            ("authorization: Basic dXNlcjpwYXNz", f"authorization: Basic {REDACTED}"),
            ("X-Hook-Secret: 0f1e2d3c", f"X-Hook-Secret: {REDACTED}"),
            ("retried with Bearer s3cr3t-v4lue-here", f"retried with Bearer {REDACTED}"),
            ("token 0123456789abcdef0123456789", f"token {REDACTED}"),
            ("a ghp_0123456789abcdefABCDEF leaked", f"a {REDACTED} leaked"),
            ("asana pat 1/1203456789012:0123456789abcdef0123", f"asana pat {REDACTED}"),
            ("GET /x?access_token=abc123&page=2", f"GET /x?access_token={REDACTED}&page=2"),
        ],
    )
    def test_credential_shapes_are_redacted_unconfigured(self, text: str, expected: str) -> None:
        """Text shaped like a credential is replaced even when no secret is configured."""
        assert redact(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "the token expired; ask for a new one",
            "send a Bearer token",
            "send Authorization: Bearer <server.api_token>",
            "GitHub answered 404 to GET /repos/acme/web/issues",
        ],
    )
    def test_ordinary_words_are_left_alone(self, text: str) -> None:
        """Prose about tokens, and our own placeholder hints, are not credentials."""
        assert redact(text) == text

    def test_configured_secret_is_replaced_where_it_stands_whole(self) -> None:
        """A configured value is replaced inside URLs and punctuation, not inside a longer word."""
        secret = "s3cret-value-0123"
        text = f"https://x:{secret}@host/ '{secret}' xs3cret-value-0123y"
        assert redact(text, [secret]) == f"https://x:{REDACTED}@host/ '{REDACTED}' xs3cret-value-0123y"

    def test_a_one_character_secret_does_not_blank_every_letter(self) -> None:
        """`token: t` redacts a lone `t`, never the t of `tracker`."""
        assert redact("tracker timed out at t", ["t"]) == f"tracker timed out at {REDACTED}"

    def test_a_secret_containing_another_is_replaced_whole(self) -> None:
        """Longest first: `abcdef-123` leaves no tail when `abcdef` is a secret too."""
        assert redact("x abcdef-123 y abcdef", ["abcdef", "abcdef-123"]) == f"x {REDACTED} y {REDACTED}"

    def test_redacting_twice_changes_nothing_more(self) -> None:
        """Stored text is redacted, and redacted again when shown: the second pass is a no-op."""
        once = redact(f"Authorization: token {GITHUB_TOKEN}", [GITHUB_TOKEN])
        assert redact(once, [GITHUB_TOKEN]) == once


class TestPushErrorsAreStoredRedacted:
    """A write refused with the tracker echoing our credentials keeps the error, without them."""

    @pytest.fixture
    def env(self, tmp_path: Path) -> Iterator[WorkerEnv]:
        """A worker bench with one due comment."""
        with sqlite_bench(tmp_path) as bench:
            snapshot = bench.tracker.put(task("acme/web#1", updated_at=bench.clock(), labels=["kr:ENG-1.1"]))
            bench.deliver("task.changed", snapshot=snapshot)
            Worker(bench.runtime).drain()
            bench.clock.advance(5)
            yield bench

    @pytest.mark.parametrize("retriable", [False, True], ids=["permanent", "retriable"])
    def test_push_target_error_has_no_credential(self, env: WorkerEnv, retriable: bool) -> None:
        """`push_targets.last_error` says what happened, with the echoed token replaced."""
        echo = f"GitHub answered 401: you sent Authorization=token {GITHUB_TOKEN}"
        error = Retriable(echo, delay=1.0, status=502) if retriable else Permanent(echo, status=401)
        env.adapter.fail_next("apply", error)
        Pusher(env.runtime).run_once()
        (target,) = env.targets()
        assert "GitHub answered 401" in target["last_error"]
        assert GITHUB_TOKEN not in target["last_error"]
        assert REDACTED in target["last_error"]


def _config_text(tracker: str, store: Path) -> str:
    return f"""\
        store: {{url: "sqlite:///{store}"}}
        server: {{public_url: "https://syncd.example.com", api_token: "${{API_TOKEN}}"}}
        cycles:
          - {{id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}}
        objectives:
          - id: ENG-1
            title: Delight new customers
            cycle: 2026-Q4
            key_results:
              - {{id: ENG-1.1, title: Ship self-serve onboarding}}
        sources:
          - name: acme-github
            kind: github
            base_url: {tracker}
            token: ${{GH_TOKEN}}
            webhook_secret: ${{GH_SECRET}}
            repos: [acme/web]
          - name: acme-asana
            kind: asana
            base_url: {tracker}/api/1.0
            token: ${{AS_TOKEN}}
            workspace: "1200000000000001"
            projects: ["1200000000000002"]
        """


@pytest.fixture(scope="module")
def leaky_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config whose two sources point at a tracker echoing Authorization in its 401s, polled once."""
    directory = tmp_path_factory.mktemp("leaky")
    with leaky_tracker() as url:
        path = write_config(directory, _config_text(url, directory / "syncd.db"))
        engine = create_store_engine(f"sqlite:///{directory / 'syncd.db'}")
        config = load_config(path, ENV)
        adapters = build_adapters(config)
        try:
            upgrade(engine)
            runtime = Runtime(loaded=LoadedConfig(config, path, adapters), engine=engine)
            Scheduler(runtime).run_once()
            runtime.executor.shutdown(wait=True)
        finally:
            close_adapters(adapters)
            engine.dispose()
        yield path


def _cli(path: Path, *args: str) -> Result:
    return CliRunner().invoke(build_app(), [*args, "--config", str(path)], env={"COLUMNS": "300", **ENV})


def _assert_no_marker(text: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{where} shows a secret: {text[:2000]}"


class TestTrackerEchoingAuthorization:
    """The tracker's 401 body quotes our Authorization header; nothing syncd keeps or prints quotes it on."""

    def test_source_state_last_error_is_stored_redacted(self, leaky_world: Path) -> None:
        """`source_state.last_error` keeps the tracker's words, not the token."""
        engine = create_store_engine(f"sqlite:///{leaky_world.parent / 'syncd.db'}")
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(SOURCE_STATE.c.source, SOURCE_STATE.c.last_error))
                errors = {row.source: row.last_error for row in rows}
        finally:
            engine.dispose()
        assert set(errors) == {"acme-github", "acme-asana"}
        for source, error in errors.items():
            assert error is not None, source
            assert "you sent Authorization=" in error, (source, error)
            _assert_no_marker(error, f"source_state.last_error of {source}")
            assert REDACTED in error

    @pytest.mark.parametrize(
        "args",
        [("status",), ("status", "--json"), ("plan",), ("webhooks", "install", "--dry-run"), ("check", "--online")],
        ids=" ".join,
    )
    def test_cli_output_has_no_secret(self, leaky_world: Path, args: tuple[str, ...]) -> None:
        """Each command that shows tracker errors shows them redacted (they do fail: the tracker says 401)."""
        with leaky_tracker() as url:
            write_config(leaky_world.parent, _config_text(url, leaky_world.parent / "syncd.db"))
            result = _cli(leaky_world, *args)
        _assert_no_marker(result.output, " ".join(args))
        if args[0] != "status":
            assert REDACTED in result.output, result.output

    def test_status_json_shows_the_error_redacted(self, leaky_world: Path) -> None:
        """The error is there for the admin, only without the credential."""
        document = json.loads(_cli(leaky_world, "status", "--json").stdout)
        errors = [source["last_error"] for source in document["sources"]]
        assert all(error and REDACTED in error for error in errors), errors

    def test_api_sources_has_no_secret(self, leaky_world: Path) -> None:
        """`GET /api/v1/sources` shows the stored error without the credential."""
        config = load_config(leaky_world, ENV)
        engine = create_store_engine(config.store.url)
        runtime = Runtime(loaded=LoadedConfig(config, leaky_world, {}), engine=engine)
        app = create_app(runtime)
        try:
            with BackgroundServer(app) as server:
                answer = httpx.get(f"{server.url}/api/v1/sources", headers={"Authorization": f"Bearer {API_TOKEN}"})
        finally:
            app.state.writer.close()
            runtime.executor.shutdown(wait=True)
            engine.dispose()
        assert answer.status_code == 200
        _assert_no_marker(answer.text, "/api/v1/sources")
        document: dict[str, Any] = answer.json()
        assert all(REDACTED in (source["last_error"] or "") for source in document["sources"]), document
