"""`syncd` entry point: builds the Typer app and registers each command from its own module.

Exit codes (documented in the README): 0 success; 1 the command ran and found a problem (invalid
config, failed online check, unreachable store); 2 usage error; 130 interrupted.
"""

from __future__ import annotations

from typing import Annotated

import typer

import syncd

app = typer.Typer(
    name="syncd",
    help="Keep OKR progress in step with GitHub, Asana and other trackers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Inherited by every command's context: `syncd status -h` as well as `syncd -h`.
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"syncd {syncd.__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Keep OKR progress in step with GitHub, Asana and other trackers."""


_built = False


def build_app() -> typer.Typer:
    """Attach every command once; imports stay inside so importing this module has no side effects."""
    global _built  # noqa: PLW0603 - registration is a one-time, idempotent step of the process
    if not _built:
        from syncd.cli import commands

        commands.register(app)
        _built = True
    return app


def main() -> None:
    """Console-script entry point."""
    build_app()()


if __name__ == "__main__":
    main()
