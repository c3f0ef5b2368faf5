"""Options every command shares (`--config/-c`) and loading the config the way every command does it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from adapters.registry import config_model, load_config
from syncd.config.errors import ConfigError
from syncd.config.fields import secret_paths
from syncd.config.includes import read_config_file
from syncd.config.loader import default_config_path
from syncd.config.models import SyncdConfig
from syncd.config.positions import value_at

#: Exit code of a command that ran and found a problem (see syncd.cli.main).
EXIT_PROBLEM = 1
#: What an unset secret's `${NAME}` stands for in commands that only read the store (long enough to validate).
UNSET_SECRET = "unset-secret-not-needed-to-read-the-store"  # noqa: S105 - a placeholder, not a secret
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

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


def load_config_for_store_reads_or_exit(option: str | Path | None) -> SyncdConfig:
    """The config for a command that reads only the store (`syncd status`): the trackers' tokens and
    secrets are not needed, so a secret whose environment variable is unset (or empty) gets a placeholder.
    Every other reference (the store's URL) must resolve as usual; on problems print them and exit 1."""
    path = default_config_path(option)
    try:
        return load_config(path, {**os.environ, **_placeholders(path)})
    except ConfigError as error:
        print_config_error(error)
        raise typer.Exit(EXIT_PROBLEM) from None


def _placeholders(path: Path) -> dict[str, str]:
    """`UNSET_SECRET` for each variable a secret field refers to that is unset or empty."""
    try:
        data = read_config_file(path).data
    except ConfigError:
        return {}  # `load_config` reports the same problem with its position
    names = set()
    for secret in secret_paths(config_model(), data):
        value = value_at(data, secret)
        if isinstance(value, str):
            names.update(_REFERENCE.findall(value))
    return {name: UNSET_SECRET for name in names if not os.environ.get(name)}


def print_config_error(error: ConfigError, console: Console | None = None) -> None:
    """Every problem of `error`, one per line, then how many there were (on stderr by default)."""
    console = console or Console(stderr=True, highlight=False, soft_wrap=True)
    for problem in error.problems:
        console.print(Text(str(problem), style="red"))
    count = len(error.problems)
    console.print(Text(f"config invalid: {count} problem{'s' if count != 1 else ''}", style="bold red"))
