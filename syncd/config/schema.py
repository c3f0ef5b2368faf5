"""The JSON Schema of the admin config, for editors (`python -m syncd.cli.docs schema > config/syncd.schema.json`)."""

from __future__ import annotations

import json
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


def config_schema(model: type[SyncdConfig]) -> dict[str, Any]:
    """The JSON Schema of `model` (a `config_model`), with defaults in forms the config accepts."""
    return model.model_json_schema(schema_generator=_ConfigSchema)


def config_schema_text(model: type[SyncdConfig]) -> str:
    """The JSON Schema of `model` as pretty JSON with sorted keys and a trailing newline."""
    return json.dumps(config_schema(model), indent=2, sort_keys=True) + "\n"
