"""`syncd check`: a valid config prints a summary and exits 0; an invalid one lists every problem and exits 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncd.cli.main import build_app
from tests.support.configs import CONTRACT, CONTRACT_ENV, EXAMPLE, KNOWN_KINDS, MINIMAL, REPO, write_config

BAD = (
    MINIMAL
    + """\
objectives:
  - id: ENG-1
    title: A
    cycle: 2026-Q3
    key_results:
      - {id: ENG-1.1, title: B, mesure: tasks}
sources:
  - {name: gh, kind: bugzilla}
"""
)


def _check(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), ["check", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


class TestValidConfig:
    """A valid config: exit 0 and a summary of what it declares."""

    def test_contract_config_is_summarized(self) -> None:
        """Cycles, objectives, KRs by measure, sources with their repos/projects, and rules are listed."""
        code, out, err = _check("--config", str(CONTRACT), env=CONTRACT_ENV)
        assert (code, err) == (0, "")
        assert out.splitlines() == [
            f"{CONTRACT}: config is valid",
            "store: sqlite:///syncd.db",
            "cycles (1):",
            "  2026-Q4  2026-10-01 .. 2026-12-31",
            "objectives (1):",
            "  ENG-1  Delight new customers  [2026-Q4; 2 key results]",
            "key results (2): metric 1, tasks 1",
            "sources (2):",
            "  acme-github  github  repos: acme/web, acme/api",
            "  acme-asana  asana  workspace: 1200000000000001; projects: 1200000000000002",
            'matching: label prefix "kr:", 0 rules',
        ]

    def test_rules_and_database_override_are_shown(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The example's rules are listed, and a store URL from SYNCD_DATABASE_URL is shown without its password."""
        monkeypatch.setenv("SYNCD_DATABASE_URL", "postgresql://syncd:pw-hidden@db:5432/okr")
        env = {**CONTRACT_ENV, "SYNCD_API_TOKEN": "api-token-0123456789"}
        code, out, _err = _check("-c", str(EXAMPLE), env=env)
        assert code == 0
        assert "store: postgresql://syncd:***@db:5432/okr (from SYNCD_DATABASE_URL)" in out.splitlines()
        assert '  label "onboarding" in acme-github in acme/web -> ENG-1.1' in out.splitlines()
        assert "pw-hidden" not in out

    def test_config_path_defaults_to_syncd_config_variable(self, tmp_path: Path) -> None:
        """Without --config, $SYNCD_CONFIG names the file."""
        path = write_config(tmp_path, MINIMAL)
        code, out, _err = _check(env={"SYNCD_CONFIG": str(path)})
        assert code == 0
        assert out.startswith(f"{path}: config is valid\n")


class TestInvalidConfig:
    """An invalid config: exit 1 and every problem on stderr, one per line."""

    def test_every_problem_is_listed_with_file_and_line(self, tmp_path: Path) -> None:
        """Three problems, three lines, then the count; nothing on stdout."""
        path = write_config(tmp_path, BAD)
        code, out, err = _check("--config", str(path))
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            f'{path}:6: objectives[0].cycle: unknown cycle "2026-Q3"; did you mean "2026-Q4"? (known: 2026-Q4)',
            f'{path}:8: objectives[0].key_results[0].mesure: unknown key; did you mean "measure"?',
            f'{path}:10: sources[0].kind: unknown source kind "bugzilla"; known kinds: {KNOWN_KINDS}',
            "config invalid: 3 problems",
        ]

    def test_missing_default_file_says_how_to_name_one(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """With no --config, no SYNCD_CONFIG and no ./syncd.yaml, the message says what to do."""
        monkeypatch.chdir(tmp_path)
        code, _out, err = _check()
        assert code == 1
        assert err.splitlines()[0] == (
            "syncd.yaml: config file not found; pass --config FILE, set SYNCD_CONFIG, or create ./syncd.yaml"
        )

    def test_secret_values_never_reach_the_output(self, tmp_path: Path) -> None:
        """A literal token is refused without being printed."""
        source = "sources:\n  - {name: gh, kind: github, token: ghp_LEAKED_VALUE, repos: [a/b]}\n"
        code, out, err = _check("-c", str(write_config(tmp_path, MINIMAL + source)))
        assert code == 1
        assert "ghp_LEAKED_VALUE" not in out + err
        assert "sources[0].token: a secret must not be written in the config file" in err


def test_check_runs_as_a_process_with_exit_code_one(tmp_path: Path) -> None:
    """The real entry point, in its own process, prints the problems on stderr and exits 1."""
    path = write_config(tmp_path, BAD)
    env = {key: value for key, value in os.environ.items() if key != "SYNCD_CONFIG"}
    done = subprocess.run(
        [sys.executable, "-m", "syncd.cli.main", "check", "--config", str(path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"{path}:8: objectives[0].key_results[0].mesure: unknown key" in done.stderr
    assert "Traceback" not in done.stderr
