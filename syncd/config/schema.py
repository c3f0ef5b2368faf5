"""The JSON Schema of the admin config, for editors: `python -m syncd.config.schema > config/syncd.schema.json`."""

from __future__ import annotations

import json
import sys

from syncd.config.models import SyncdConfig


def config_schema_text() -> str:
    """`SyncdConfig`'s JSON Schema as pretty JSON with sorted keys and a trailing newline."""
    return json.dumps(SyncdConfig.model_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(config_schema_text())
