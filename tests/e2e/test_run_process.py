"""`syncd run` as a real process: start-up refusals, readiness, signals, reload, one daemon per SQLite file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, select

from adapters.registry import build_adapter
from syncd.core.signatures import hmac_sha256_hex
from syncd.runtime.context import utc_now
from syncd.runtime.ingest.handshakes import install_webhooks
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.github import GitHubSimulator
from syncd.store.engine import create_store_engine
from syncd.store.schema import Delivery, KeyResult
from tests.support.asana_sim import SOURCE as ASANA_SOURCE
from tests.support.asana_sim import TOKEN as ASANA_TOKEN
from tests.support.asana_sim import AsanaWorld, asana_sim, asana_world
from tests.support.asana_sim import source_config as asana_source_config
from tests.support.daemon import REPO, DaemonProcess, base_config, running_daemon, wait_until, write_config
from tests.support.github_sim import GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET, github_sim, github_source_dict

__all__ = ["asana_sim", "asana_world", "github_sim"]  # simulator fixtures, used by name below

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

    def test_repeated_roles_combine(self, tmp_path: Path) -> None:
        """`--role web --role scheduler` (as the worker Deployment passes two) runs both, and only those."""
        daemon = DaemonProcess(write_config(tmp_path), role="web", args=["--role", "scheduler"]).start()
        try:
            started = daemon.wait_ready().wait_for_event("daemon.started")
            assert started["roles"] == ["scheduler", "web"]
            assert daemon.terminate() == 0
        finally:
            daemon.kill()

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


def delivery_ids(db: Path) -> list[str]:
    """Delivery ids in the store's inbox, in arrival order."""
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(Delivery.delivery_id).order_by(Delivery.id)))
    finally:
        engine.dispose()


class TestWebhooksThroughTheProcess:
    """The whole daemon (every role) behind real HTTP, with the real GitHub adapter and simulator."""

    ENV = {"GH_TOKEN": GITHUB_TOKEN, "GH_SECRET": GITHUB_WEBHOOK_SECRET}

    def config(self, tmp_path: Path, sim: GitHubSimulator) -> Path:
        """A config with the simulator as source `acme-github` and a 4 KB body limit."""
        source = github_source_dict(sim, token="${GH_TOKEN}", webhook_secret="${GH_SECRET}")
        data = base_config(f"sqlite:///{tmp_path / 'syncd.db'}", sources=[source], server={"max_body_bytes": 4096})
        return write_config(tmp_path, data)

    def test_each_bad_input_gets_its_status_and_stores_nothing(
        self, tmp_path: Path, github_sim: GitHubSimulator
    ) -> None:
        """One signed delivery is stored once; every refused one leaves no row."""
        body = b'{"action": "opened", "issue": {"number": 1}, "repository": {"full_name": "acme/web"}}'
        url_path = "/webhooks/acme-github"

        def headers(delivery: str, secret: str = GITHUB_WEBHOOK_SECRET, **extra: str) -> dict[str, str]:
            return {
                "content-type": "application/json",
                "x-github-event": "issues",
                "x-github-delivery": delivery,
                "x-hub-signature-256": "sha256=" + hmac_sha256_hex(secret, body),
                **extra,
            }

        with running_daemon(self.config(tmp_path, github_sim), env=self.ENV) as daemon:
            http = httpx.Client(base_url=daemon.url, timeout=10)
            assert http.post(url_path, content=body, headers=headers("good")).status_code == 202
            assert http.post(url_path, content=body, headers=headers("good")).json()["status"] == "duplicate"
            assert http.post(url_path, content=body, headers=headers("forged", secret="nope")).status_code == 401
            unsigned = headers("unsigned")
            del unsigned["x-hub-signature-256"]
            assert http.post(url_path, content=body, headers=unsigned).status_code == 401
            form = headers("form", **{"content-type": "application/x-www-form-urlencoded"})
            assert http.post(url_path, content=body, headers=form).status_code == 415
            broken = b'{"action": '
            assert (
                http.post(
                    url_path,
                    content=broken,
                    headers={
                        **headers("broken"),
                        "x-hub-signature-256": "sha256=" + hmac_sha256_hex(GITHUB_WEBHOOK_SECRET, broken),
                    },
                ).status_code
                == 400
            )
            assert http.post(url_path, content=b"{" + b" " * 5000 + b"}", headers=headers("big")).status_code == 413
            ping = headers("ping", **{"x-github-event": "ping"})
            ping["x-hub-signature-256"] = "sha256=" + hmac_sha256_hex(GITHUB_WEBHOOK_SECRET, b'{"zen": "z"}')
            assert http.post(url_path, content=b'{"zen": "z"}', headers=ping).json()["status"] == "ignored"
            assert http.post("/webhooks/nobody", content=body, headers=headers("lost")).status_code == 404
            metrics = http.get("/metrics").text
        assert delivery_ids(tmp_path / "syncd.db") == ["good"]
        assert 'syncd_webhook_deliveries_total{outcome="signature_invalid",source="acme-github"} 2.0' in metrics

    def test_sigterm_mid_burst_keeps_every_acknowledged_delivery(
        self, tmp_path: Path, github_sim: GitHubSimulator
    ) -> None:
        """300 deliveries on 16 connections, SIGTERM after the first answers: exit 0, every 2xx stored."""
        body = b'{"action": "opened", "issue": {"number": 1}, "repository": {"full_name": "acme/web"}}'
        signature = "sha256=" + hmac_sha256_hex(GITHUB_WEBHOOK_SECRET, body)
        acknowledged: list[str] = []

        def post(http: httpx.Client, delivery: str) -> None:
            headers = {"content-type": "application/json", "x-github-event": "issues", "x-github-delivery": delivery}
            try:
                response = http.post(
                    "/webhooks/acme-github", content=body, headers={**headers, "x-hub-signature-256": signature}
                )
            except httpx.HTTPError:
                return
            if response.status_code in (200, 202):
                acknowledged.append(delivery)

        daemon = DaemonProcess(self.config(tmp_path, github_sim), env=self.ENV).start().wait_ready()
        try:
            limits = httpx.Limits(max_connections=16)
            with httpx.Client(base_url=daemon.url, timeout=10, limits=limits) as http, ThreadPoolExecutor(16) as pool:
                futures = [pool.submit(post, http, f"burst-{n}") for n in range(300)]
                wait_until(lambda: len(acknowledged) >= 20, timeout=30, what="the first acknowledgements")
                daemon.send(signal.SIGTERM)
                for future in futures:
                    future.result()
            assert daemon.wait(15) == 0
        finally:
            daemon.kill()
        assert acknowledged
        assert set(acknowledged) <= set(delivery_ids(tmp_path / "syncd.db"))
        assert any(event["event"] == "daemon.ingest_drained" and event["complete"] for event in daemon.events())


class TestAsanaHandshakeThroughTheProcess:
    """Asana's webhook handshake against a real daemon: the secret is kept durably and verifies later deliveries."""

    def test_handshake_secret_survives_a_restart_and_verifies_deliveries(
        self, tmp_path: Path, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """Install webhooks (the simulator shakes hands), restart the daemon, then a change is delivered and stored."""
        source = {
            "name": ASANA_SOURCE,
            "kind": "asana",
            "base_url": asana_sim.base_url,
            "token": "${ASANA_TOKEN}",
            "workspace": asana_world.workspace,
            "projects": [asana_world.web],
        }
        config = write_config(tmp_path, base_config(f"sqlite:///{tmp_path / 'syncd.db'}", sources=[source]))
        adapter = build_adapter(asana_source_config(asana_sim, asana_world, projects=[asana_world.web]))
        db = tmp_path / "syncd.db"
        try:
            with running_daemon(config, role="web", env={"ASANA_TOKEN": ASANA_TOKEN}) as daemon:
                store = create_store_engine(f"sqlite:///{db}")
                try:
                    actions = install_webhooks(store, adapter, daemon.url, dry_run=False, clock=utc_now)
                finally:
                    store.dispose()
                assert [action.action for action in actions] == ["create"]
                daemon.wait_for_event("webhook.handshake_stored", source=ASANA_SOURCE)
                daemon.terminate()
                daemon.restart()
                task = asana_sim.create_task("Signed after a restart", project=asana_world.web)
                wait_until(asana_sim.pending_events, timeout=5, what="an event queued on the webhook")
                asana_sim.deliver_webhooks()
                wait_until(lambda: delivery_ids(db), timeout=5, what="the delivery in the store")
        finally:
            adapter.close()
        assert [d.status for d in asana_sim.deliveries if not d.dropped] == [200] * len(asana_sim.deliveries)
        assert task.gid in json.dumps([d.events for d in asana_sim.deliveries])
