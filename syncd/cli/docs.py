"""Regenerate the documents made from the config models, with every registered tracker's keys.

`python -m syncd.cli.docs schema > config/syncd.schema.json` prints the JSON Schema for editors;
`python -m syncd.cli.docs reference [--write README.md]` prints the config reference, or updates it in place
between the README's markers. Tests check that both files hold exactly what these print.
"""

from __future__ import annotations

import sys
from pathlib import Path

from adapters.registry import config_model
from syncd.config.reference import reference_markdown, replace_in
from syncd.config.schema import config_schema_text

USAGE = "usage: python -m syncd.cli.docs schema | reference [--write FILE]"


def main(argv: list[str]) -> int:
    """Print the schema or the reference; `reference --write FILE` updates FILE between its markers."""
    model = config_model()
    if argv == ["schema"]:
        sys.stdout.write(config_schema_text(model))
    elif argv == ["reference"]:
        sys.stdout.write(reference_markdown(model) + "\n")
    elif len(argv) == 3 and argv[:2] == ["reference", "--write"]:
        path = Path(argv[2])
        path.write_text(replace_in(path.read_text(), model))
    else:
        sys.stderr.write(USAGE + "\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
