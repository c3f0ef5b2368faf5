"""The `syncd` entry point: `--version`, `-h` as well as `--help` on the app and on every command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import syncd
from syncd.cli.main import build_app

ROOT = Path(__file__).resolve().parents[2]


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(build_app(), ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"syncd {syncd.__version__}\n"


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help_on_the_app(flag: str) -> None:
    result = CliRunner().invoke(build_app(), [flag])
    assert result.exit_code == 0, result.output
    assert "Keep OKR progress in step" in result.stdout
    assert "status" in result.stdout
    assert "--version" in result.stdout


def _commands() -> list[list[str]]:
    """Every command and subcommand of the app, as the argv that names it (groups have `commands`)."""
    found: list[list[str]] = []

    def walk(group: Any, prefix: list[str]) -> None:
        for name, command in sorted(group.commands.items()):
            found.append([*prefix, name])
            if hasattr(command, "commands"):
                walk(command, [*prefix, name])

    walk(typer.main.get_command(build_app()), [])
    assert ["status"] in found
    return found


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_short_help_on_every_command(command: list[str]) -> None:
    result = CliRunner().invoke(build_app(), [*command, "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


def test_the_sandbox_directory_is_ignored_by_git() -> None:
    """`syncd sandbox` writes its config, env file, store and log under ./syncd-sandbox/."""
    assert "syncd-sandbox/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
