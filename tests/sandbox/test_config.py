"""The generated files: a valid config whose secrets are `${ENV}` references, and an owner-only env file."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
import typer

from adapters.registry import load_config
from syncd.cli.sandbox import parse_speed
from syncd.sandbox.config import (
    VIEWER_TOKEN_ENV,
    SandboxPaths,
    config_header,
    new_secrets,
    sandbox_config,
    write_files,
)
from syncd.sandbox.world import SandboxError, environment, fresh_store, usable_port
from syncd.store.lock import DaemonLock
from tests.sandbox.conftest import SeededCompany, fake_endpoints


def _env_file_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            values[name] = value
    return values


class TestGeneratedFiles:
    """What `syncd sandbox` leaves in its directory for later commands."""

    def test_the_config_loads_with_the_env_file_and_points_at_the_simulators(
        self, tmp_path: Path, seeded: SeededCompany
    ) -> None:
        """`. sandbox.env && syncd status -c syncd.yaml` works: the env file holds every referenced secret."""
        paths = SandboxPaths(tmp_path / "sandbox")
        credentials = new_secrets()
        endpoints = fake_endpoints(seeded.sources)
        config_data = sandbox_config(seeded.company, seeded.sources, endpoints, paths.store)
        write_files(paths, config_data, credentials, config_header(seeded.sources, paths.env))
        config = load_config(paths.config, environ=_env_file_values(paths.env))
        tokens = {source.name: source.token.get_secret_value() for source in config.sources if source.token}
        assert sorted(tokens.values()) == sorted(
            value for name, value in credentials.items() if name.endswith("_TOKEN") and name != VIEWER_TOKEN_ENV
        )
        assert config.server.viewer_token is not None
        assert config.server.viewer_token.get_secret_value() == credentials[VIEWER_TOKEN_ENV]
        assert [source.base_url for source in config.sources] == list(endpoints.apis.values())
        assert [source.name for source in config.sources] == [source.name for source in seeded.sources]
        assert {"acme-github", "acme-asana"} <= {source.name for source in config.sources}
        assert config.server.public_url == "http://127.0.0.1:99"
        assert config.store.url == f"sqlite:///{paths.store.absolute()}"

    def test_no_secret_is_written_into_the_config_and_the_env_file_is_private(
        self, tmp_path: Path, seeded: SeededCompany
    ) -> None:
        """Secret values appear only in `sandbox.env`, which only its owner can read."""
        paths = SandboxPaths(tmp_path)
        credentials = new_secrets()
        config_data = sandbox_config(seeded.company, seeded.sources, fake_endpoints(seeded.sources), paths.store)
        write_files(paths, config_data, credentials, config_header(seeded.sources, paths.env))
        text = paths.config.read_text(encoding="utf-8")
        assert not any(value in text for value in credentials.values())
        assert "${SYNCD_SANDBOX_GITHUB_TOKEN}" in text
        assert stat.S_IMODE(paths.env.stat().st_mode) == 0o600
        assert _env_file_values(paths.env) == credentials

    def test_each_run_gets_fresh_credentials(self) -> None:
        """Tokens differ from run to run (nothing guessable is baked in)."""
        assert new_secrets() != new_secrets()


class TestDirectory:
    """The sandbox directory is reused run after run, but never under a running sandbox."""

    def test_a_fresh_store_replaces_the_previous_runs(self, tmp_path: Path) -> None:
        """The old store (tasks of simulators long gone) is deleted."""
        paths = SandboxPaths(tmp_path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{paths.store}{suffix}").write_text("old", encoding="utf-8")
        fresh_store(paths)
        assert not paths.store.exists()
        assert not Path(f"{paths.store}-wal").exists()

    def test_a_store_in_use_is_refused_and_kept(self, tmp_path: Path) -> None:
        """While another sandbox holds the store, a second one stops with a message naming --dir."""
        paths = SandboxPaths(tmp_path)
        paths.store.write_text("in use", encoding="utf-8")
        with DaemonLock(f"sqlite:///{paths.store}"), pytest.raises(SandboxError, match="--dir"):
            fresh_store(paths)
        assert paths.store.read_text(encoding="utf-8") == "in use"

    def test_the_environment_is_set_for_the_run_and_restored_after(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Secrets are set while the sandbox runs; SYNCD_DATABASE_URL cannot move its store elsewhere."""
        monkeypatch.setenv("SYNCD_DATABASE_URL", "postgresql://elsewhere/db")
        monkeypatch.delenv("SYNCD_SANDBOX_ASANA_TOKEN", raising=False)
        with environment({"SYNCD_SANDBOX_ASANA_TOKEN": "t"}):
            assert os.environ["SYNCD_SANDBOX_ASANA_TOKEN"] == "t"
            assert "SYNCD_DATABASE_URL" not in os.environ
        assert "SYNCD_SANDBOX_ASANA_TOKEN" not in os.environ
        assert os.environ["SYNCD_DATABASE_URL"] == "postgresql://elsewhere/db"


class TestSpeed:
    """`--speed` takes a positive factor or `max`."""

    @pytest.mark.parametrize(("text", "speed"), [("1", 1.0), ("2.5", 2.5), ("0.5", 0.5), ("max", None), ("MAX", None)])
    def test_factors_and_max(self, text: str, speed: float | None) -> None:
        """A number scales the pauses; max removes them."""
        assert parse_speed(text) == speed

    @pytest.mark.parametrize("text", ["0", "-1", "fast", "nan"])
    def test_anything_else_is_refused(self, text: str) -> None:
        """Zero, negatives and words are usage errors that say what to give."""
        with pytest.raises(typer.BadParameter, match="factor such as"):
            parse_speed(text)


class TestPort:
    """`--port` is checked before anything starts."""

    def test_a_busy_port_is_refused_by_number(self) -> None:
        """A port someone listens on is named in the error, with what to do."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(SandboxError, match=f"port {port} is busy.*--port"):
                usable_port(port)

    def test_zero_picks_a_free_port_and_a_free_port_is_kept(self) -> None:
        """0 means any free port; a free one given is used as is."""
        chosen = usable_port(0)
        assert chosen > 0
        assert usable_port(chosen) == chosen
