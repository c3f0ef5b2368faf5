"""The secret-marker sweep: every secret gets a distinctive value (all start with `sweepmarker`), errors are
provoked everywhere, and every output is searched for the marker.

Provoked: both simulated trackers answering 500 then 401 with our Authorization header quoted in the body, a
source whose tracker is unreachable, a push refused that way, signature failures whose headers carry secrets, API
requests with another secret as their token, a config giving a secret as a duration, and a store URL with a
password that cannot be reached. Searched: `syncd run`'s log, every API and probe answer, the output of `check`,
`check --online`, `status`, `status --json`, `plan`, `webhooks install --dry-run` and `explain`, the comments the
trackers received, and every column of every store table except `webhook_secrets.secret` (the Asana handshake
secret syncd keeps on purpose, README "Stored secrets").
"""

from __future__ import annotations

import json
import socket
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, select
from typer.testing import CliRunner

from syncd.cli.main import build_app
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.github import GitHubSimulator
from syncd.store.engine import create_store_engine
from tests.support.asana_sim import AsanaWorld, seed_world
from tests.support.daemon import DaemonProcess, wait_until

MARK = "sweepmarker"
ENV = {
    "GH_TOKEN": f"{MARK}-github-token-71c4e9d2",
    "GH_SECRET": f"{MARK}-github-hook-secret-2b8d",
    "AS_TOKEN": f"{MARK}-asana-token-5e0a3f1c",
    "API_TOKEN": f"{MARK}-api-token-9d1c7b3e",
    "DOWN_TOKEN": f"{MARK}-down-token-4a6e2c8f",
}
DB_PASSWORD = f"{MARK}-db-password-8f3b1d"
#: Kept in the store on purpose, to verify Asana deliveries: the one column the sweep does not search.
DOCUMENTED_SECRET_COLUMNS = {("webhook_secrets", "secret")}
REPO = "acme/web"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _config_text(store: Path, github: GitHubSimulator, asana: AsanaSimulator, world: AsanaWorld) -> str:
    return f"""\
store: {{url: "sqlite:///{store}"}}
server: {{public_url: "https://syncd.example.com", api_token: "${{API_TOKEN}}"}}
push: {{coalesce_window: 1s}}
cycles:
  - {{id: FY2026, start: 2026-01-01, end: 2027-12-31}}
objectives:
  - id: ENG-1
    title: Delight new customers
    cycle: FY2026
    key_results:
      - {{id: ENG-1.1, title: Ship self-serve onboarding}}
      - {{id: ENG-1.2, title: Cut time to value, measure: metric, start: 7, target: 2}}
sources:
  - name: acme-github
    kind: github
    base_url: {github.api_url}
    token: ${{GH_TOKEN}}
    webhook_secret: ${{GH_SECRET}}
    repos: [{REPO}]
    poll_interval: 1s
    timeout: 2s
  - name: acme-asana
    kind: asana
    base_url: {asana.base_url}
    token: ${{AS_TOKEN}}
    workspace: "{world.workspace}"
    projects: ["{world.web}"]
    poll_interval: 1s
    timeout: 2s
  - name: down-github
    kind: github
    base_url: http://127.0.0.1:{_closed_port()}/api/v3
    token: ${{DOWN_TOKEN}}
    repos: [acme/api]
    poll_interval: 1s
    timeout: 1s
"""


@dataclass
class Sweep:
    """Everything syncd said or kept while its secrets were provoked, by where it was seen."""

    config: Path
    outputs: dict[str, str] = field(default_factory=dict)

    def leaks(self, prefix: str) -> dict[str, str]:
        """The outputs whose name starts with `prefix` that contain the marker, each with the text around it."""
        found = {}
        for where, text in self.outputs.items():
            at = text.find(MARK)
            if where.startswith(prefix) and at != -1:
                found[where] = text[max(0, at - 300) : at + 100]
        return found


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    """Run the daemon against both simulators until each source has failed with its credentials echoed, then
    run every CLI command on the same config and store; collect every output."""
    directory = tmp_path_factory.mktemp("sweep")
    github = GitHubSimulator(token=ENV["GH_TOKEN"])
    asana = AsanaSimulator(token=ENV["AS_TOKEN"])
    github.start()
    asana.start()
    try:
        github.create_repo(REPO)
        issue = github.create_issue(REPO, "Onboarding flow", labels=["kr:ENG-1.1"])
        world = seed_world(asana)
        task = asana.create_task("Onboarding emails", project=world.web, tags=["kr:ENG-1.1"]).gid
        config = directory / "syncd.yaml"
        config.write_text(_config_text(directory / "syncd.db", github, asana, world))
        result = Sweep(config)
        _run_daemon(result, github, asana, issue, task)
        _run_cli(result, github.issue(REPO, issue)["html_url"], asana.task(task)["permalink_url"])
        _run_cli_on_bad_configs(result, directory)
        result.outputs.update(_store_rows(directory / "syncd.db"))
        result.outputs["tracker: github comments"] = "\n".join(c.body for c in github.comments(REPO, issue))
        result.outputs["tracker: asana comments"] = json.dumps(asana.comments(task))
        yield result
    finally:
        github.stop()
        asana.stop()


def _run_daemon(sweep: Sweep, github: GitHubSimulator, asana: AsanaSimulator, issue: int, task: str) -> None:
    """Serve, push the first comments, then make every tracker request fail echoing its credentials."""
    daemon = DaemonProcess(sweep.config, env=ENV).start()
    try:
        daemon.wait_ready()
        wait_until(lambda: github.comments(REPO, issue), timeout=30, what="the GitHub comment")
        wait_until(lambda: asana.comments(task), timeout=30, what="the Asana comment")
        github.add_webhook_target(f"{daemon.url}/webhooks/acme-github", ENV["GH_SECRET"])
        github.faults.refuse_echoing_credentials(2, status=500)
        github.faults.refuse_echoing_credentials(None, status=401)
        asana.faults.refuse_echoing_credentials(2, status=500)
        asana.faults.refuse_echoing_credentials(10**6, status=401)
        github.close_issue(REPO, issue)  # delivered by webhook: its comment's edit is refused, echoing
        for source in ("acme-github", "acme-asana", "down-github"):
            daemon.wait_for_event("poll.failed", timeout=30, source=source)
        wait_until(
            lambda: any(e["event"].startswith("push.") and e.get("level") != "info" for e in daemon.events()),
            timeout=30,
            what="a refused push",
        )
        sweep.outputs.update(_web_answers(daemon.url))
    finally:
        daemon.terminate()
        sweep.outputs["daemon log"] = daemon.log()


def _web_answers(url: str) -> dict[str, str]:
    """Every API and probe answer, and the answers to requests whose headers carry secrets."""
    right = {"authorization": f"Bearer {ENV['API_TOKEN']}"}
    wrong = {"authorization": f"Bearer {ENV['GH_TOKEN']}"}
    requests: dict[str, tuple[str, str, Mapping[str, str], bytes]] = {
        "objectives": ("GET", "/api/v1/objectives", right, b""),
        "sources": ("GET", "/api/v1/sources", right, b""),
        "key result": ("GET", "/api/v1/key-results/ENG-1.1", right, b""),
        "metric key result": ("GET", "/api/v1/key-results/ENG-1.2", right, b""),
        "check-in": ("POST", "/api/v1/key-results/ENG-1.2/check-ins", right, b'{"value": 5}'),
        "bad check-in": ("POST", "/api/v1/key-results/ENG-1.2/check-ins", right, b'{"value": "x"}'),
        "another secret as token": ("GET", "/api/v1/sources", wrong, b""),
        "openapi": ("GET", "/api/v1/openapi.json", {}, b""),
        "metrics": ("GET", "/metrics", {}, b""),
        "readyz": ("GET", "/readyz", {}, b""),
        "healthz": ("GET", "/healthz", {}, b""),
        "github signature is the secret": (
            "POST",
            "/webhooks/acme-github",
            {"x-hub-signature-256": f"sha256={ENV['GH_SECRET']}", "x-github-event": "issues"},
            b"{}",
        ),
        "github signature is a token": (
            "POST",
            "/webhooks/acme-github",
            {"x-hub-signature-256": ENV["GH_TOKEN"], "x-github-event": "issues"},
            b'{"token": "' + ENV["AS_TOKEN"].encode() + b'"}',
        ),
        "asana signature is a token": ("POST", "/webhooks/acme-asana", {"x-hook-signature": ENV["AS_TOKEN"]}, b"{}"),
    }
    answers = {}
    for name, (method, path, headers, body) in requests.items():
        answer = httpx.request(
            method, url + path, headers={"content-type": "application/json", **headers}, content=body
        )
        answers[f"web: {name} ({answer.status_code})"] = f"{answer.headers}\n{answer.text}"
    return answers


def _cli(config: Path, *args: str, env: Mapping[str, str] = ENV) -> str:
    """Everything a command printed (and its traceback, if it crashed)."""
    result = CliRunner().invoke(build_app(), [*args, "--config", str(config)], env={"COLUMNS": "300", **env})
    crash = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        crash = "".join(traceback.format_exception(result.exception))
    return f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}\n{crash}"


COMMANDS: list[tuple[str, ...]] = [
    ("check",),
    ("check", "--online"),
    ("status",),
    ("status", "--json"),
    ("plan",),
    ("webhooks", "install", "--dry-run"),
]


def _run_cli(sweep: Sweep, issue_url: str, task_url: str) -> None:
    """Each command on the daemon's config and store, the trackers still refusing and echoing."""
    for args in COMMANDS:
        sweep.outputs[f"cli: {' '.join(args)}"] = _cli(sweep.config, *args)
    sweep.outputs["cli: explain github issue"] = _cli(sweep.config, "explain", issue_url)
    sweep.outputs["cli: explain asana task"] = _cli(sweep.config, "explain", task_url)
    sweep.outputs["cli: explain unknown"] = _cli(sweep.config, "explain", f"acme-github:{REPO}#999")


def _run_cli_on_bad_configs(sweep: Sweep, directory: Path) -> None:
    """A secret given where a duration or a URL belongs, and a store URL whose password leads nowhere."""
    text = sweep.config.read_text()
    as_duration = directory / "secret-as-duration.yaml"
    as_duration.write_text(text.replace("poll_interval: 1s", "poll_interval: ${GH_TOKEN}", 1))
    as_url = directory / "secret-as-url.yaml"
    lines = text.splitlines()
    lines[0] = 'store: {url: "${AS_TOKEN}"}'
    first_base_url = next(n for n, line in enumerate(lines) if line.startswith("    base_url: "))
    lines[first_base_url] = "    base_url: ${GH_TOKEN}"
    as_url.write_text("\n".join(lines) + "\n")
    unreachable = directory / "unreachable-store.yaml"
    unreachable.write_text(text.replace(text.splitlines()[0], 'store: {url: "${DB_URL}"}'))
    env = {**ENV, "DB_URL": f"postgresql://syncd:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/syncd"}
    for args in [*COMMANDS, ("explain", f"acme-github:{REPO}#1"), ("db", "upgrade")]:
        sweep.outputs[f"cli bad config: secret as duration: {' '.join(args)}"] = _cli(as_duration, *args)
        sweep.outputs[f"cli bad config: secret as URL: {' '.join(args)}"] = _cli(as_url, *args)
        sweep.outputs[f"cli bad config: unreachable store: {' '.join(args)}"] = _cli(unreachable, *args, env=env)


def _store_rows(store: Path) -> dict[str, str]:
    """Every column of every table, as text, by table (the documented secret column left out)."""
    engine = create_store_engine(f"sqlite:///{store}")
    tables: dict[str, str] = {}
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                columns = [c for c in table.columns if (table.name, c.name) not in DOCUMENTED_SECRET_COLUMNS]
                rows = conn.execute(select(*columns)).all()
                tables[f"store: {table.name}"] = "\n".join(_text(row) for row in rows)
    finally:
        engine.dispose()
    return tables


def _text(row: object) -> str:
    values = row if isinstance(row, tuple) else (row,)
    return " | ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values)


class TestTheErrorsWereProvoked:
    """The sweep means something only if the secrets were in play: the trackers did echo them at syncd."""

    def test_each_source_failed_with_its_credentials_echoed(self, sweep: Sweep) -> None:
        """`source_state` holds an error for each source; the two simulated ones quote the Authorization sent."""
        state = sweep.outputs["store: source_state"]
        assert state.count("you sent Authorization") >= 2, state
        assert "down-github" in state

    def test_a_push_was_refused(self, sweep: Sweep) -> None:
        """The edit of the closed issue's comment was refused with the echo: `push_targets.last_error` says so."""
        assert "you sent Authorization" in sweep.outputs["store: push_targets"]

    def test_every_command_and_answer_ran(self, sweep: Sweep) -> None:
        """Every command, probe and API answer is in the sweep."""
        assert sum(where.startswith("cli: ") for where in sweep.outputs) == len(COMMANDS) + 3
        assert sum(where.startswith("web: ") for where in sweep.outputs) == 14
        assert "exit 1" in sweep.outputs["cli: check --online"]


class TestNoOutputHoldsASecret:
    """Search every output for the marker every secret value starts with."""

    def test_the_daemon_log(self, sweep: Sweep) -> None:
        """`syncd run`'s log, from start to shutdown, through every failure."""
        assert sweep.leaks("daemon log") == {}

    def test_the_api_and_probe_answers(self, sweep: Sweep) -> None:
        """`/api/v1/*`, `/metrics`, `/readyz`, `/healthz` and the webhook refusals, headers and bodies."""
        assert sweep.leaks("web: ") == {}

    def test_the_cli(self, sweep: Sweep) -> None:
        """check, check --online, status, status --json, plan, webhooks install --dry-run, explain."""
        assert sweep.leaks("cli: ") == {}

    def test_the_cli_on_bad_configs(self, sweep: Sweep) -> None:
        """A secret as a duration or as URLs, and a store URL whose password leads to a closed port."""
        assert sweep.leaks("cli bad config: ") == {}

    def test_the_comments_the_trackers_received(self, sweep: Sweep) -> None:
        """What teams read in GitHub and Asana."""
        assert sweep.outputs["tracker: github comments"]
        assert sweep.leaks("tracker: ") == {}

    def test_the_store(self, sweep: Sweep) -> None:
        """Every column of every table but the documented `webhook_secrets.secret`."""
        assert "store: deliveries" in sweep.outputs
        assert sweep.leaks("store: ") == {}
