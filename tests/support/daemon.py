"""Start a real `syncd run` process for end-to-end tests: free port, config in tmp_path, wait for /readyz.

    with running_daemon(write_config(tmp_path, sources=[...]), env={"GITHUB_TOKEN": "ghp_0123456789abcdef"}) as daemon:
        httpx.post(f"{daemon.url}/webhooks/gh", ...)
        daemon.wait_for_event("webhook.accepted")
        daemon.kill()            # kill -9 for crash tests; daemon.restart() starts it again on the same port

Logs are JSON lines (stderr is a file), parsed by `events()`. The process runs `python -m syncd.cli.main`
from this checkout, so the tests need no installed console script.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_config(store_url: str, *, sources: Sequence[Mapping[str, Any]] = (), **extra: Any) -> dict[str, Any]:
    """A small valid config: one cycle, one objective with two KRs, the given sources."""
    return {
        "store": {"url": store_url},
        "cycles": [{"id": "2026-Q1", "start": "2026-01-01", "end": "2026-12-31"}],
        "objectives": [
            {
                "id": "ENG-1",
                "title": "Ship the daemon",
                "cycle": "2026-Q1",
                "key_results": [{"id": "ENG-1.1", "title": "Ingest"}, {"id": "ENG-1.2", "title": "Push"}],
            }
        ],
        "sources": list(sources),
        **extra,
    }


def write_config(directory: Path, config: Mapping[str, Any] | None = None, *, name: str = "syncd.yaml") -> Path:
    """Write `config` (default: `base_config` on a SQLite file in `directory`) as YAML; return its path."""
    path = directory / name
    data = config if config is not None else base_config(f"sqlite:///{directory / 'syncd.db'}")
    path.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
    return path


class DaemonProcess:
    """One `syncd run` subprocess and its log."""

    def __init__(
        self,
        config: Path,
        *,
        port: int | None = None,
        role: str = "all",
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.port = port or free_port()
        self.role = role
        self.args = list(args)
        self.env = dict(env or {})
        self.log_path = config.with_name(f"syncd-{self.port}.log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The running process id."""
        assert self.process is not None, "the daemon is not started"
        return self.process.pid

    def command(self) -> list[str]:
        """The command line this helper runs."""
        return [
            sys.executable, "-m", "syncd.cli.main", "run", "--config", str(self.config),
            "--port", str(self.port), "--role", self.role, *self.args,
        ]  # fmt: skip

    def start(self) -> DaemonProcess:
        """Start the process (appending to its log); does not wait for readiness."""
        env = {**os.environ, "PYTHONPATH": str(REPO), "SYNCD_LOG_LEVEL": "info", **self.env}
        for name in ("SYNCD_CONFIG", "SYNCD_HOST", "SYNCD_PORT"):
            env.pop(name, None)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=self.config.parent, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def ready(self) -> bool:
        """Whether /readyz answers 200 now."""
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 30.0) -> DaemonProcess:
        """Wait for /readyz to answer 200; fail with the log if the process exits or time runs out."""

        def ready_or_dead() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"syncd run exited with {self.process.returncode}:\n{self.log()}")
            return self.ready()

        try:
            wait_until(ready_or_dead, timeout=timeout, what=f"{self.url}/readyz")
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- log ---\n{self.log()[-4000:]}") from None
        return self

    def log(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def events(self) -> list[dict[str, Any]]:
        """The structured log lines (JSON objects) written so far."""
        found = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def wait_for_event(self, event: str, *, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        """The first log event named `event` whose fields include `fields`."""

        def found() -> dict[str, Any] | None:
            for entry in self.events():
                if entry.get("event") == event and all(entry.get(k) == v for k, v in fields.items()):
                    return entry
            return None

        result: dict[str, Any] = wait_until(found, timeout=timeout, what=f"log event {event} {fields}")
        return result

    def send(self, sig: signal.Signals) -> None:
        """Send a signal to the process."""
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 15.0) -> int:
        """Wait for the process to exit and return its exit code."""
        assert self.process is not None
        return self.process.wait(timeout)

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, then wait for the graceful exit; return the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.send(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """kill -9: no shutdown at all (crash tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart(self, ready_timeout: float = 30.0) -> DaemonProcess:
        """Start again on the same port with the same arguments, and wait for readiness."""
        return self.start().wait_ready(ready_timeout)


@contextmanager
def running_daemon(
    config: Path,
    *,
    role: str = "all",
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 30.0,
) -> Iterator[DaemonProcess]:
    """A started, ready daemon; stopped (SIGTERM, then kill) when the block ends."""
    daemon = DaemonProcess(config, role=role, args=args, env=env).start()
    try:
        daemon.wait_ready(ready_timeout)
        yield daemon
    finally:
        try:
            daemon.terminate(timeout=15)
        except subprocess.TimeoutExpired:
            daemon.kill()
