"""`syncd webhooks install` through the real CLI: GitHub hooks idempotent and repaired, `--dry-run` changes
nothing, and Asana webhooks created through a handshake with a real `syncd run`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from syncd.simulators.asana import AsanaSimulator
from syncd.store.schema import WebhookSecret
from tests.admin.test_check_online import asana_source, lines_with
from tests.support.admin_world import ENV, AdminWorld
from tests.support.asana_sim import TOKEN as ASANA_TOKEN
from tests.support.asana_sim import AsanaWorld, asana_sim, asana_world
from tests.support.daemon import DaemonProcess, free_port
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET

__all__ = ["asana_sim", "asana_world"]
HOOK_URL = "https://syncd.example.com/webhooks/acme-github"
WRITES = {"POST", "PATCH", "PUT", "DELETE"}


class TestGitHub:
    """One `web` hook per repository, JSON, with the secret and syncd's events; never a second one."""

    def test_dry_run_says_what_it_would_do_and_writes_nothing(self, world: AdminWorld) -> None:
        world.sim.clear_requests()
        result = world.syncd("webhooks", "install", "--dry-run")
        assert result.exit_code == 0, result.output
        assert lines_with(result.stdout, "would create", "acme/web", HOOK_URL)
        assert "1 would be created, 0 would be updated, 0 unchanged (dry run: nothing changed)" in result.stdout
        assert world.sim.hooks("acme/web") == []
        assert [r for r in world.sim.requests if r.method in WRITES] == []

    def test_installing_twice_leaves_one_hook(self, world: AdminWorld) -> None:
        first = world.syncd("webhooks", "install")
        second = world.syncd("webhooks", "install")
        assert first.exit_code == second.exit_code == 0, first.output + second.output
        assert lines_with(first.stdout, "create", "acme/web", HOOK_URL)
        assert lines_with(second.stdout, "unchanged", "acme/web")
        assert "0 created, 0 updated, 1 unchanged" in second.stdout
        (hook,) = world.sim.hooks("acme/web")
        assert (hook.url, hook.content_type, hook.secret, hook.active) == (
            HOOK_URL,
            "json",
            GITHUB_WEBHOOK_SECRET,
            True,
        )
        assert {"issues", "label", "pull_request"} <= set(hook.events)

    def test_a_hook_that_drifted_is_updated_in_place(self, world: AdminWorld) -> None:
        assert world.syncd("webhooks", "install").exit_code == 0
        (hook,) = world.sim.hooks("acme/web")
        hook.events = ["push"]
        dry = world.syncd("webhooks", "install", "--dry-run")
        assert lines_with(dry.stdout, "would update", "acme/web", "events ['push']")
        assert world.sim.hooks("acme/web")[0].events == ["push"]
        result = world.syncd("webhooks", "install")
        assert lines_with(result.stdout, "update", "acme/web")
        (repaired,) = world.sim.hooks("acme/web")
        assert repaired.id == hook.id
        assert "issues" in repaired.events

    def test_url_option_wins_over_server_public_url(self, world: AdminWorld) -> None:
        result = world.syncd("webhooks", "install", "--url", "https://okr.acme.test/", "--source", "acme-github")
        assert result.exit_code == 0, result.output
        (hook,) = world.sim.hooks("acme/web")
        assert hook.url == "https://okr.acme.test/webhooks/acme-github"

    def test_without_any_public_url_it_says_how_to_give_one(self, world: AdminWorld) -> None:
        world.write_config(server={"api_token": "${SYNCD_API_TOKEN}"})
        result = world.syncd("webhooks", "install")
        assert result.exit_code == 1
        assert "pass --url https://syncd.example.com or set server.public_url" in result.stderr

    def test_an_unknown_source_is_named(self, world: AdminWorld) -> None:
        result = world.syncd("webhooks", "install", "--source", "acme-jira")
        assert result.exit_code == 1
        assert "no source named 'acme-jira' in the config (sources: acme-github)" in result.stderr


class TestAsana:
    """Asana webhooks need the daemon reachable for the handshake: the command says so, and works with it."""

    def test_unreachable_daemon_fails_naming_the_handshake(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        world.write_config(sources=[asana_source(asana_sim, asana_world)])
        unreachable = f"http://127.0.0.1:{free_port()}"
        result = world.syncd("webhooks", "install", "--url", unreachable, env={"ASANA_TOKEN": ASANA_TOKEN})
        assert result.exit_code == 1
        assert "must be running and reachable" in result.stdout
        assert "failed:" in result.stdout
        assert asana_sim.webhooks() == []

    def test_with_syncd_run_reachable_twice_gives_one_webhook_per_project(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld, tmp_path: Path
    ) -> None:
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        server = {"public_url": public, "api_token": "${SYNCD_API_TOKEN}"}
        world.write_config(sources=[asana_source(asana_sim, asana_world)], server=server)
        env = {**ENV, "ASANA_TOKEN": ASANA_TOKEN}
        daemon = DaemonProcess(world.config_path, port=port, env=env).start()
        try:
            daemon.wait_ready()
            first = world.syncd("webhooks", "install", env=env)
            second = world.syncd("webhooks", "install", env=env)
            online = world.syncd("check", "--online", env=env)
        finally:
            daemon.terminate()
        assert first.exit_code == 0, first.output
        assert len(lines_with(first.stdout, "create", "the daemon answered the handshake")) == 2
        assert "0 created, 0 updated, 2 unchanged" in second.stdout
        assert len(asana_sim.webhooks()) == 2
        engine = world.engine()
        try:
            with engine.connect() as conn:
                stored = set(conn.execute(select(WebhookSecret.__table__.c.resource)).scalars())
        finally:
            engine.dispose()
        assert stored == {asana_world.web, asana_world.api}
        assert lines_with(online.stdout, "webhook secrets", "ok")
        assert lines_with(online.stdout, f"webhook of {asana_world.web}", "ok")
