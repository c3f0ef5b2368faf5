"""`syncd` entry point: builds the Typer app and registers each command from its own module.

Exit codes (documented in the README): 0 success; 1 the command ran and found a problem (invalid
config, failed online check, unreachable store); 2 usage error; 130 interrupted.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="syncd",
    help="Keep OKR progress in step with GitHub, Asana and other trackers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Attach every command; imports stay inside so `syncd --help` is fast and import has no side effects."""
    from syncd.cli import commands

    commands.register(app)


def main() -> None:
    """Console-script entry point."""
    _register()
    app()


if __name__ == "__main__":
    main()
