"""`syncd check --online` through the real CLI against the GitHub and Asana simulators: one table, fixes, exit 1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from syncd.simulators.asana import AsanaSimulator
from tests.support.admin_world import AdminWorld, github_source
from tests.support.asana_sim import TOKEN as ASANA_TOKEN
from tests.support.asana_sim import AsanaWorld, asana_sim, asana_world

__all__ = ["asana_sim", "asana_world"]


def asana_source(sim: AsanaSimulator, world: AsanaWorld, **overrides: Any) -> dict[str, Any]:
    """An `acme-asana` source on the simulator's two projects, writing progress to "KR progress"."""
    source: dict[str, Any] = {
        "name": "acme-asana",
        "kind": "asana",
        "base_url": sim.base_url,
        "token": "${ASANA_TOKEN}",
        "workspace": world.workspace,
        "projects": [world.web, world.api],
        "progress_field": "KR progress",
    }
    source.update(overrides)
    return source


def lines_with(output: str, *words: str) -> list[str]:
    """Output lines holding every one of `words`."""
    return [line for line in output.splitlines() if all(word in line for word in words)]


class TestGitHub:
    """Credentials, repositories, webhooks, secret and budget of a GitHub source."""

    def test_a_fully_set_up_source_passes_every_check(self, world: AdminWorld) -> None:
        assert world.syncd("webhooks", "install").exit_code == 0
        result = world.syncd("check", "--online")
        assert result.exit_code == 0, result.output
        assert lines_with(result.stdout, "credentials", "ok", "authenticated as syncd-bot")
        assert lines_with(result.stdout, "repository acme/web", "ok", "reachable, may comment")
        assert lines_with(result.stdout, "webhook acme/web", "ok", "https://syncd.example.com/webhooks/acme-github")
        assert lines_with(result.stdout, "rate limit", "ok", "requests left this hour")
        assert lines_with(result.stdout, "webhook secret", "ok", "set")
        assert "5 of 5 checks passed" in result.stdout

    def test_a_bad_token_fails_with_what_to_do(self, world: AdminWorld) -> None:
        result = world.syncd("check", "--online", env={"GITHUB_TOKEN": "ghp_revoked-0123456789"})
        assert result.exit_code == 1
        assert lines_with(result.stdout, "credentials", "FAIL", "Bad credentials")
        assert "✗ acme-github credentials: set a valid token, or the app id, key and installation" in result.stdout
        assert "ghp_revoked-0123456789" not in result.output

    def test_a_missing_repository_fails_and_the_others_pass(self, world: AdminWorld) -> None:
        world.write_config(sources=[github_source(world.sim, repos=["acme/web", "acme/missing"])])
        result = world.syncd("check", "--online")
        assert result.exit_code == 1
        assert lines_with(result.stdout, "repository acme/missing", "FAIL")
        assert lines_with(result.stdout, "repository acme/web", "ok")
        assert (
            "✗ acme-github repository acme/missing: give the token issues write access to acme/missing" in result.stdout
        )

    def test_a_missing_project_field_fails(self, world: AdminWorld) -> None:
        project = world.sim.create_project("Roadmap", {"Estimate": "NUMBER"})
        field = {"project_id": project, "field": "KR progress"}
        world.write_config(sources=[github_source(world.sim, project_field=field)])
        result = world.syncd("check", "--online")
        assert result.exit_code == 1
        assert lines_with(result.stdout, "project field", "FAIL", "no number or text field named 'KR progress'")

    def test_no_webhook_secret_while_webhooks_are_wanted_fails(self, world: AdminWorld) -> None:
        source = github_source(world.sim)
        del source["webhook_secret"]
        world.write_config(sources=[source])
        result = world.syncd("check", "--online")
        assert result.exit_code == 1
        assert lines_with(result.stdout, "webhook secret", "FAIL", "deliveries cannot be verified")


class TestAsana:
    """Token, projects, custom field, goals, handshake secrets of an Asana source."""

    def test_a_missing_custom_field_fails_and_names_the_fix(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        sources = [asana_source(asana_sim, asana_world, progress_field="Effort left")]
        world.write_config(sources=sources, server={"api_token": "${SYNCD_API_TOKEN}"})
        result = world.syncd("check", "--online", env={"ASANA_TOKEN": ASANA_TOKEN})
        assert result.exit_code == 1, result.output
        assert lines_with(result.stdout, "token", "ok", "authenticated as")
        assert lines_with(result.stdout, f"project {asana_world.web}", "ok", "'Web' is readable")
        assert lines_with(result.stdout, "progress field", "FAIL", "Effort left")
        assert "✗ acme-asana progress field: fix progress_field or the field in Asana" in result.stdout

    def test_no_handshake_secret_stored_fails_when_webhooks_are_wanted(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        world.write_config(sources=[asana_source(asana_sim, asana_world)])
        result = world.syncd("check", "--online", env={"ASANA_TOKEN": ASANA_TOKEN})
        assert result.exit_code == 1
        assert lines_with(result.stdout, "progress field", "ok")
        assert lines_with(result.stdout, "webhook secrets", "FAIL", "no handshake secret for")
        assert "run `syncd webhooks install` while `syncd run` is reachable" in result.stdout

    def test_a_bad_token_fails(self, world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> None:
        world.write_config(sources=[asana_source(asana_sim, asana_world)])
        result = world.syncd("check", "--online", env={"ASANA_TOKEN": "wrong-token-0123456789"})
        assert result.exit_code == 1
        assert lines_with(result.stdout, "token", "FAIL")


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that takes connections and never answers (a black-holed tracker)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def unreachable_sources(world: AdminWorld, port: int) -> list[dict[str, Any]]:
    """Both sources pointed at `port` on loopback."""
    github = github_source(world.sim, base_url=f"http://127.0.0.1:{port}/api/v3")
    asana = {
        "name": "acme-asana",
        "kind": "asana",
        "base_url": f"http://127.0.0.1:{port}/api/1.0",
        "token": "${ASANA_TOKEN}",
        "workspace": "1200000000000001",
        "projects": ["1200000000000002"],
    }
    return [github, asana]


class TestUnreachableTrackers:
    """Trackers that cannot be reached are reported as a connection failure, quickly, with network advice."""

    def test_refused_connections_are_one_network_failure_per_source(self, world: AdminWorld) -> None:
        port = closed_port()
        world.write_config(sources=unreachable_sources(world, port))
        started = time.monotonic()
        result = world.syncd("check", "--online")
        assert time.monotonic() - started < 10
        assert result.exit_code == 1
        for source in ("acme-github", "acme-asana"):
            (row,) = lines_with(result.stdout, source, "reachable", "FAIL")
            assert f"cannot connect to http://127.0.0.1:{port}" in row
        assert "check the network" in result.stdout
        for advice in ("token", "webhooks install", "rate limit", "reset", "scope"):
            assert advice not in result.stdout.lower(), advice

    def test_a_tracker_that_never_answers_fails_within_the_deadline(self, world: AdminWorld, silent_port: int) -> None:
        world.write_config(sources=unreachable_sources(world, silent_port))
        started = time.monotonic()
        result = world.syncd("check", "--online")
        assert time.monotonic() - started < 10
        assert result.exit_code == 1
        assert len(lines_with(result.stdout, "reachable", "FAIL", "no answer within")) == 2
        assert "webhooks install" not in result.stdout
