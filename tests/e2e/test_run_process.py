"""`syncd run` as a real process: start-up refusals, readiness, signals, reload, one daemon per SQLite file."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, select

from syncd.store.schema import KeyResult
from tests.support.daemon import REPO, DaemonProcess, base_config, running_daemon, wait_until, write_config

pytestmark = pytest.mark.slow


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`syncd ARGS` to completion, with this checkout on the path."""
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "syncd.cli.main", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def live_kr_ids(db: Path) -> list[str]:
    """Ids of the KRs the store holds unarchived."""
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(select(KeyResult.id).where(KeyResult.archived_at.is_(None)).order_by(KeyResult.id))
            )
    finally:
        engine.dispose()


def with_kr(config: Path, kr_id: str) -> None:
    """Rewrite the config with one more KR in the first objective."""
    data = yaml.safe_load(config.read_text())
    data["objectives"][0]["key_results"].append({"id": kr_id, "title": "Added by reload"})
    config.write_text(yaml.safe_dump(data, sort_keys=False))


class TestStartup:
    """What `syncd run` refuses before it opens a port, each with exit 1 and one clear message."""

    def test_invalid_config_lists_the_problems(self, tmp_path: Path) -> None:
        """A KR without a title: exit 1 naming file, line and key."""
        config = base_config(f"sqlite:///{tmp_path / 'syncd.db'}")
        del config["objectives"][0]["key_results"][0]["title"]
        path = write_config(tmp_path, config)
        result = run_cli("run", "--config", str(path), "--port", "0", cwd=tmp_path)
        assert result.returncode == 1
        assert "syncd.yaml:" in result.stderr
        assert "key_results[0].title" in result.stderr

    def test_unreachable_store_is_one_line(self, tmp_path: Path) -> None:
        """PostgreSQL nobody listens for: exit 1, one line, no traceback, no password."""
        path = write_config(tmp_path, base_config("postgresql://syncd:hunter2@127.0.0.1:1/syncd"))
        result = run_cli("run", "--config", str(path), "--port", "0", cwd=tmp_path)
        assert result.returncode == 1
        assert "cannot reach the store" in result.stderr
        assert "Traceback" not in result.stderr
        assert "hunter2" not in result.stderr

    def test_no_migrate_refuses_an_unmigrated_store_with_the_command_to_run(self, tmp_path: Path) -> None:
        """--no-migrate on a fresh file: exit 1 telling to run `syncd db upgrade`."""
        path = write_config(tmp_path)
        result = run_cli("run", "--config", str(path), "--port", "0", "--no-migrate", cwd=tmp_path)
        assert result.returncode == 1
        assert "syncd db upgrade" in result.stderr


class TestRunning:
    """A running daemon: ready, one per SQLite file, graceful on SIGTERM, reloads on SIGHUP and file change."""

    def test_second_daemon_on_the_same_sqlite_file_is_refused(self, tmp_path: Path) -> None:
        """The second process exits 1 naming the first one's pid; the first keeps serving."""
        with running_daemon(write_config(tmp_path), role="web") as first:
            second = DaemonProcess(first.config, role="web").start()
            assert second.wait(30) == 1
            assert f"another syncd daemon (pid {first.pid}) already uses" in second.log()
            assert "use PostgreSQL for several processes" in second.log()
            assert first.ready()

    def test_sigterm_stops_gracefully_with_exit_zero(self, tmp_path: Path) -> None:
        """SIGTERM: the stop is logged in order and the process exits 0 well within the deadline."""
        with running_daemon(write_config(tmp_path), role="web") as daemon:
            assert httpx.get(f"{daemon.url}/healthz").status_code == 200
            daemon.send(signal.SIGTERM)
            assert daemon.wait(10) == 0
            names = [event["event"] for event in daemon.events()]
            assert names.index("daemon.started") < names.index("daemon.stopping") < names.index("daemon.stopped")

    def test_sighup_with_a_valid_config_swaps_it_in(self, tmp_path: Path) -> None:
        """A new KR in the file plus SIGHUP: `config.reloaded`, and the store holds the new KR."""
        path = write_config(tmp_path)
        with running_daemon(path, role="web", args=["--shutdown-timeout", "5"]) as daemon:
            assert live_kr_ids(tmp_path / "syncd.db") == ["ENG-1.1", "ENG-1.2"]
            with_kr(path, "ENG-1.3")
            daemon.send(signal.SIGHUP)
            daemon.wait_for_event("config.reloaded")
            assert live_kr_ids(tmp_path / "syncd.db") == ["ENG-1.1", "ENG-1.2", "ENG-1.3"]
            assert daemon.ready()

    def test_sighup_with_an_invalid_config_keeps_the_old_one(self, tmp_path: Path) -> None:
        """A broken file plus SIGHUP: `config.reload_rejected` lists the problem; the daemon stays ready."""
        path = write_config(tmp_path)
        with running_daemon(path, role="web") as daemon:
            path.write_text(path.read_text().replace("title: Ingest", "title: Ingest\n    mesure: tasks"))
            daemon.send(signal.SIGHUP)
            rejected = daemon.wait_for_event("config.reload_rejected")
            assert any("mesure" in problem and "measure" in problem for problem in rejected["problems"])
            assert daemon.ready()
            assert live_kr_ids(tmp_path / "syncd.db") == ["ENG-1.1", "ENG-1.2"]
            assert not any(event["event"] == "config.reloaded" for event in daemon.events())

    def test_a_changed_config_file_is_reloaded_without_a_signal(self, tmp_path: Path) -> None:
        """Editing the file is enough: the daemon notices within a few seconds."""
        path = write_config(tmp_path)
        with running_daemon(path, role="web") as daemon:
            with_kr(path, "ENG-1.9")
            daemon.wait_for_event("config.reloaded", timeout=15)
            wait_until(lambda: "ENG-1.9" in live_kr_ids(tmp_path / "syncd.db"), timeout=5, what="ENG-1.9 in the store")
