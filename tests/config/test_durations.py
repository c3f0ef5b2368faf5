"""Durations: `30s`, `5m`, `6h`, `1d`, `250ms`, seconds, and ISO 8601 (`PT5S`, `PT1M`, `PT6H`) wherever one is read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from adapters.registry import config_model, load_config
from syncd.config.errors import ConfigError
from syncd.config.reference import reference_markdown
from syncd.config.schema import config_schema
from syncd.config.types import format_duration, parse_duration
from tests.support.configs import MINIMAL, write_config


class TestParsing:
    """Every accepted form gives the same timedelta; anything else is refused, saying which forms exist."""

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("PT5S", 5),
            ("PT1M", 60),
            ("PT6H", 21_600),
            ("PT2S", 2),
            ("PT0.25S", 0.25),
            ("PT1H30M", 5_400),
            ("P1D", 86_400),
            ("P1DT12H", 129_600),
            ("P2W", 1_209_600),
            ("pt30s", 30),
            (" PT30S ", 30),
            ("30s", 30),
            ("5m", 300),
            ("250ms", 0.25),
            ("1d", 86_400),
            (45, 45),
        ],
    )
    def test_accepted_forms(self, text: str | int, seconds: float) -> None:
        """ISO 8601 durations (weeks, days, hours, minutes, seconds) and the short forms both read."""
        assert parse_duration(text) == timedelta(seconds=seconds)

    @pytest.mark.parametrize("text", ["P", "PT", "P1Y", "P1M", "PT1H1H", "-PT5S", "P1DT", "PT0S", "5 minutes"])
    def test_refused_forms(self, text: str) -> None:
        """Years and months (no fixed length), empty, negative or zero durations are refused with the forms to use."""
        with pytest.raises(ValueError, match=r"write 30s, 5m, 6h, 1d, 250ms, PT30S|must be positive"):
            parse_duration(text)

    @pytest.mark.parametrize("key", ["poll_interval", "reconcile_interval", "poll_overlap", "timeout"])
    def test_every_source_duration_reads_iso(self, tmp_path: Path, key: str) -> None:
        """Each duration key of a source takes `PT5S` from a config file."""
        source = f"sources:\n  - {{name: gh, kind: github, token: '${{T}}', repos: [a/b], {key}: PT5S}}\n"
        config = load_config(write_config(tmp_path, MINIMAL + source), environ={"T": "ghp_0123456789abcdef"})
        assert getattr(config.sources[0], key) == timedelta(seconds=5)

    def test_the_push_coalesce_window_reads_iso(self, tmp_path: Path) -> None:
        """`push.coalesce_window: PT0.5S` is half a second."""
        config = load_config(write_config(tmp_path, MINIMAL + "push: {coalesce_window: PT0.5S}\n"), environ={})
        assert config.push.coalesce_window == timedelta(milliseconds=500)

    def test_a_bad_duration_names_its_line_and_the_forms(self, tmp_path: Path) -> None:
        """`P1M` (a month) is refused at its key, saying what to write instead."""
        path = write_config(tmp_path, MINIMAL + "push: {coalesce_window: P1M}\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={})
        assert str(caught.value) == (
            f"{path}:3: push.coalesce_window: 'P1M' is not a duration: write 30s, 5m, 6h, 1d, 250ms, "
            "PT30S (ISO 8601 weeks, days, hours, minutes, seconds) or a number of seconds"
        )


class TestPrinting:
    """Defaults are printed in a form an admin may write back into the file."""

    @pytest.mark.parametrize(
        ("seconds", "text"),
        [(2, "2s"), (30, "30s"), (60, "1m"), (90, "90s"), (21_600, "6h"), (86_400, "1d"), (0.25, "250ms")],
    )
    def test_format_duration_uses_the_largest_exact_unit(self, seconds: float, text: str) -> None:
        """`format_duration` picks d, h, m, s or ms so the value stays exact, and parses back to itself."""
        assert format_duration(timedelta(seconds=seconds)) == text
        assert parse_duration(text) == timedelta(seconds=seconds)

    def test_schema_and_reference_print_defaults_that_parse(self) -> None:
        """The schema's and README reference's defaults are `1m`, `6h`, `2s`: forms the config accepts."""
        schema = config_schema(config_model())
        source = schema["$defs"]["GitHubSourceConfig"]["properties"]
        assert source["poll_interval"]["default"] == "1m"
        assert source["reconcile_interval"]["default"] == "6h"
        assert schema["$defs"]["PushConfig"]["properties"]["coalesce_window"]["default"] == "2s"
        table = reference_markdown(config_model())
        assert "| `poll_interval` | duration | `1m` |" in table
        assert "PT1M" not in table

    def test_a_dumped_config_validates_again(self) -> None:
        """A config written out in JSON mode (durations as text) reads back equal."""
        config = config_model().model_validate(
            {"cycles": [{"id": "Q", "start": "2026-01-01", "end": "2026-03-31"}], "push": {"coalesce_window": "PT90S"}}
        )
        dumped = config.model_dump(mode="json")
        assert dumped["push"]["coalesce_window"] == "90s"
        assert config_model().model_validate(dumped) == config
