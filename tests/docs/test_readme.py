"""The README says what the code does: its quick start runs as written, the log events it names exist, and
the limits it states are the code's.

A newcomer copies the quick start's `export` line and config; `syncd check` must pass with exactly the variables
that line sets. The Operations section's event names are what an operator greps for and alerts on.
"""

from __future__ import annotations

import ast
import re
import resource
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncd.cli.main import build_app
from syncd.config.includes import MAX_FILE_BYTES, MAX_INCLUDE_DEPTH
from syncd.config.models import ServerConfig
from syncd.config.positions import ALIAS_BUDGET, MAX_NESTING
from syncd.config.source import SourceConfig
from syncd.ports import WriteKind
from syncd.web.limits import ServerLimits

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def _section(title: str) -> str:
    """The README's text from the `## title` heading to the next `## ` heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def _quick_start() -> tuple[set[str], str]:
    """The variables the quick start's `export` line sets, and its YAML config."""
    section = _section("Quick start with real trackers")
    (export,) = [line.strip() for line in section.splitlines() if line.strip().startswith("export ")]
    names = {word.split("=", 1)[0] for word in shlex.split(export.removeprefix("export ")) if "=" in word}
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the quick start has no YAML config"
    config = "\n".join(line.removeprefix("   ") for line in block.group(1).splitlines())
    return names, config


class TestQuickStart:
    """The quick start, run as a newcomer runs it."""

    def test_the_export_line_sets_every_variable_the_config_needs(self) -> None:
        """No `${VAR}` in the config is missing from the `export` line (SYNCD_API_TOKEN was)."""
        exported, config = _quick_start()
        assert set(re.findall(r"\$\{(\w+)\}", config)) <= exported

    def test_the_config_passes_syncd_check_with_those_variables(self, tmp_path: Path) -> None:
        """`syncd check` exits 0 on the README's config with only the exported variables set."""
        exported, config = _quick_start()
        path = tmp_path / "syncd.yaml"
        path.write_text(config)
        env = {name: f"readme-{name.lower()}-0123456789abcdef" for name in exported}
        result = CliRunner().invoke(build_app(), ["check", "--config", str(path)], env=env)
        assert result.exit_code == 0, result.output


def _documented_events() -> set[str]:
    """The event names the Operations section's "Logs" item lists."""
    logs = next(item for item in _section("Operations").split("\n- ") if item.startswith("**Logs:**"))
    return set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", logs))


def _emitted_events() -> set[str]:
    """Every event name the code logs: the literal first argument of a logger call, plus the pusher's
    `push.<kind>_written`, whose name is built from the write kind."""
    methods = {"debug", "info", "warning", "error", "exception", "critical"}
    names = {f"push.{kind.value}_written" for kind in WriteKind}
    for path in [*(REPO / "syncd").rglob("*.py"), *(REPO / "adapters").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        names.add(arg.value)
                    if isinstance(arg, ast.IfExp):
                        names.update(v.value for v in (arg.body, arg.orelse) if isinstance(v, ast.Constant))
        # `event = "a" if duplicate else "b"; log.debug(event, ...)`: the names are assigned just before the call.
        for chosen in re.findall(r'event = "([a-z_.]+)" if [^\n]+ else "([a-z_.]+)"', path.read_text()):
            names.update(chosen)
    return names


class TestDocumentedLogEvents:
    """Operators alert on event names: each one the README names is one the code logs."""

    def test_every_documented_event_is_logged_by_the_code(self) -> None:
        """`poll.page_fetched` and `push.comment_updated` were documented and never logged."""
        documented = _documented_events()
        assert len(documented) >= 10
        assert documented - _emitted_events() == set()


def _limits() -> dict[str, str]:
    """The Operations section's "Limits" list: each sub-item's text by its label (`Keep-alive: ...`)."""
    operations = _section("Operations")
    assert "\n- **Limits**" in operations, "the Operations section has no Limits list"
    start = operations.index("\n- **Limits**")
    end = operations.index("\n- **", start + 1)
    items = re.split(r"\n  - ", operations[start:end])[1:]
    return {item.split(":", 1)[0]: " ".join(item.split()) for item in items}


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _mebibytes(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def _kibibytes(size: int) -> str:
    return f"{size / 2**10:g} KiB"


def _stated_limits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(Limits item, the text it must contain), each number read from the code's defaults."""
    # Without an open-file limit the cap is the code's own number, not half of this machine's `ulimit -n`.
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    server = ServerLimits()
    body_cap = ServerConfig.model_fields["max_body_bytes"].default
    tracker_timeout = SourceConfig.model_fields["timeout"].default.total_seconds()
    return [
        ("Webhook body", f"{body_cap:,} bytes ({_mebibytes(body_cap)})"),
        ("Header read timeout", f"within {_seconds(server.header_timeout)} of its connection"),
        ("Header read timeout", f"at most {_kibibytes(server.max_header_bytes)}"),
        ("Body read timeout", f"within {_seconds(server.body_timeout)} of its headers"),
        ("Keep-alive", f"closed after {_seconds(server.keep_alive)}"),
        ("Connection cap", f"at most {server.max_connections} connections"),
        ("Config file size", f"at most {_mebibytes(MAX_FILE_BYTES)}"),
        ("YAML alias budget", f"at most {ALIAS_BUDGET:,} repeated values"),
        ("YAML alias budget", f"at most {MAX_NESTING} levels"),
        ("Include depth", f"at most {MAX_INCLUDE_DEPTH} files deep"),
        ("Requests to trackers", f"`timeout`, {_seconds(tracker_timeout)} by default"),
    ]


class TestDocumentedLimits:
    """Operators size proxies and alerts by the README's limits: each number there is the code's default."""

    def test_each_limit_states_the_number_the_code_uses(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Body cap, read timeouts, keep-alive, connection cap, config size, alias budget, include depth and
        tracker timeout: the Limits list states each with the value of the constant that enforces it."""
        limits = _limits()
        wrong = [
            f"{label}: expected {text!r} in {limits.get(label)!r}"
            for label, text in _stated_limits(monkeypatch)
            if text not in limits.get(label, "")
        ]
        assert wrong == []
