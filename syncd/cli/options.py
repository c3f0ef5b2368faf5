"""Options every command shares (`--config/-c`) and loading the config the way every command does it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from syncd.config.errors import ConfigError
from syncd.config.loader import default_config_path, load_config
from syncd.config.models import SyncdConfig

#: Exit code of a command that ran and found a problem (see syncd.cli.main).
EXIT_PROBLEM = 1

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file. Default: $SYNCD_CONFIG, else ./syncd.yaml.",
        show_default=False,
        dir_okay=False,
    ),
]


def load_config_or_exit(option: str | Path | None) -> SyncdConfig:
    """Load the config named by `--config` (or the default); on problems print all of them to stderr and exit 1."""
    path = default_config_path(option)
    try:
        return load_config(path)
    except ConfigError as error:
        print_config_error(error)
        raise typer.Exit(EXIT_PROBLEM) from None


def print_config_error(error: ConfigError, console: Console | None = None) -> None:
    """Every problem of `error`, one per line, then how many there were (on stderr by default)."""
    console = console or Console(stderr=True, highlight=False, soft_wrap=True)
    for problem in error.problems:
        console.print(Text(str(problem), style="red"))
    count = len(error.problems)
    console.print(Text(f"config invalid: {count} problem{'s' if count != 1 else ''}", style="bold red"))
