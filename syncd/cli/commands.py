"""The list of commands: one module per command, each exposing `register(app)`."""

from __future__ import annotations

import importlib

import typer

#: In the order `syncd --help` lists them: first run, set-up, the daemon, then the admin tools.
COMMAND_MODULES = (
    "sandbox",
    "check",
    "db",
    "run",
    "sync",
    "status",
    "explain",
    "plan",
    "checkin",
    "webhooks",
)


def register(app: typer.Typer) -> None:
    """Register every command module on the app (imported here, so `import syncd.cli.main` stays cheap)."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"syncd.cli.{name}").register(app)
