"""The JSON Schema of the admin config, for editors: `python -m syncd.config.schema > config/syncd.schema.json`."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from syncd.config.models import SyncdConfig
from syncd.config.types import format_duration


class _ConfigSchema(GenerateJsonSchema):
    """Writes duration defaults the way an admin writes them (`1m`, not pydantic's ISO `PT1M`)."""

    def encode_default(self, dft: Any) -> Any:
        """The default as JSON; a timedelta as `format_duration` prints it."""
        return format_duration(dft) if isinstance(dft, timedelta) else super().encode_default(dft)


def config_schema() -> dict[str, Any]:
    """`SyncdConfig`'s JSON Schema, with defaults in forms the config accepts."""
    return SyncdConfig.model_json_schema(schema_generator=_ConfigSchema)


def config_schema_text() -> str:
    """`SyncdConfig`'s JSON Schema as pretty JSON with sorted keys and a trailing newline."""
    return json.dumps(config_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(config_schema_text())
