"""The list of commands: one line per command module (each exposes `register(app)`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Register every command module on the app."""
    # One import + one call per command module; keep the order in which `syncd --help` lists them.
    from syncd.cli import check

    check.register(app)
    from syncd.cli import db

    db.register(app)
    from syncd.cli import status

    status.register(app)
    from syncd.cli import run

    run.register(app)
    from syncd.cli import checkin

    checkin.register(app)
    from syncd.cli import explain

    explain.register(app)
    from syncd.cli import webhooks

    webhooks.register(app)
    from syncd.cli import plan

    plan.register(app)
    from syncd.cli import sandbox

    sandbox.register(app)
