"""Value types the admin writes in YAML: durations (`30s`, `PT30S`, or seconds) and URLs that may read `${ENV}`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_NUMBER = r"(\d+(?:\.\d+)?)"
#: ISO 8601 durations of fixed length: weeks, days, hours, minutes, seconds (no years or months). `T` needs a time.
_ISO_DURATION = re.compile(
    rf"^P(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$", re.I
)
_ISO_UNIT_SECONDS = (604800.0, 86400.0, 3600.0, 60.0, 1.0)
_FORMS = "write 30s, 5m, 6h, 1d, 250ms, PT30S (ISO 8601 weeks, days, hours, minutes, seconds) or a number of seconds"
#: The units `format_duration` writes, largest first, in microseconds.
_PRINTED_UNITS = (("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000))


def parse_duration(value: Any) -> timedelta:
    """Read `30s`, `5m`, `6h`, `1d`, `250ms`, ISO 8601 (`PT5S`, `PT1H30M`, `P1D`) or seconds; reject the rest clearly."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a duration: {_FORMS}")
    seconds = float(value) if isinstance(value, int | float) else _text_seconds(value)
    if seconds is None:
        raise ValueError(f"{value!r} is not a duration: {_FORMS}")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return timedelta(seconds=seconds)


def _text_seconds(value: Any) -> float | None:
    """The seconds a `30s`-style or ISO 8601 text means, or None when it is neither."""
    if not isinstance(value, str):
        return None
    if match := _DURATION.match(value):
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    match = _ISO_DURATION.match(value.strip())
    parts = match.groups() if match else ()
    if not any(parts):
        return None
    return sum(float(part) * unit for part, unit in zip(parts, _ISO_UNIT_SECONDS, strict=True) if part)


def format_duration(duration: timedelta) -> str:
    """The duration the way an admin writes it: the largest exact unit (`1m`, `6h`, `2s`, `250ms`)."""
    microseconds = duration // timedelta(microseconds=1)
    for unit, size in _PRINTED_UNITS:
        if microseconds and microseconds % size == 0:
            return f"{microseconds // size}{unit}"
    return f"{duration.total_seconds():g}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"},
                {
                    "type": "string",
                    "pattern": r"^\s*[Pp](\d+(\.\d+)?[Ww])?(\d+(\.\d+)?[Dd])?"
                    r"([Tt](?=\d)(\d+(\.\d+)?[Hh])?(\d+(\.\d+)?[Mm])?(\d+(\.\d+)?[Ss])?)?\s*$",
                },
            ],
            "description": "A duration: seconds, a number with ms, s, m, h or d (30s, 5m, 6h), or ISO 8601 (PT30S).",
        }
    ),
]


@dataclass(frozen=True)
class EnvironmentAllowed:
    """Marks a non-secret field whose value may be a `${NAME}` reference (a URL that differs per deployment)."""


#: A URL the admin may give as `${NAME}` (store.url, base_url, ...); other plain keys may not read the environment.
EnvironmentUrl = Annotated[str, EnvironmentAllowed()]


def _http_url(value: str) -> str:
    """An http(s) URL with a host; the message never repeats the value (it may come from `${NAME}`)."""
    try:
        parts = urlsplit(value.strip())
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed IPv6 host or port
        usable = False
    if not usable:
        raise ValueError("must be an http:// or https:// URL with a host name (for example https://api.github.com)")
    return value


#: A web address syncd calls or hands out (a tracker's API root, the public URL); may be given as `${NAME}`.
EnvironmentHttpUrl = Annotated[str, EnvironmentAllowed(), AfterValidator(_http_url)]
