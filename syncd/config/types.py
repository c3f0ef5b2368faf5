"""Value types the admin writes in YAML: durations (`30s`, `5m`, `6h`, or seconds) and URLs that may read `${ENV}`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: Any) -> timedelta:
    """Read `30s`, `5m`, `6h`, `1d`, `250ms` or a number of seconds; reject anything else clearly."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m or 6h, or a number of seconds")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration: write 30s, 5m, 6h, 1d, 250ms or a number of seconds")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return timedelta(seconds=seconds)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda td: f"{td.total_seconds():g}s", return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"},
            ],
            "description": "A duration: seconds, or a number with ms, s, m, h or d (30s, 5m, 6h).",
        }
    ),
]


@dataclass(frozen=True)
class EnvironmentAllowed:
    """Marks a non-secret field whose value may be a `${NAME}` reference (a URL that differs per deployment)."""


#: A URL the admin may give as `${NAME}` (store.url, base_url, ...); other plain keys may not read the environment.
EnvironmentUrl = Annotated[str, EnvironmentAllowed()]
