"""Third-party logging (the Asana SDK, urllib3, PyGithub) comes out once, through syncd's own handler."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from adapters.asana.client import AsanaClient
from syncd.logs import configure_logging

LIBRARIES = ("asana", "urllib3", "urllib3.connectionpool", "github")
RETRY_WARNING = "Retrying (%r) after connection broken by '%r': %s"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Each test configures logging; put the process's logging back afterwards (libraries' loggers too)."""
    root = logging.getLogger()
    saved = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).level) for name in LIBRARIES}
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (library_handlers, library_level) in saved.items():
        logging.getLogger(name).handlers[:] = library_handlers
        logging.getLogger(name).setLevel(library_level)
    structlog.reset_defaults()


def _json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _asana_client() -> AsanaClient:
    return AsanaClient(base_url="http://127.0.0.1:9/api/1.0", token="t", timeout=1.0, requests_per_minute=150)


class TestOncePerRecord:
    """A library record is one JSON line on our stream, never a second plain line beside it."""

    @pytest.mark.parametrize("clients", [1, 3])
    def test_urllib3_records_after_building_asana_clients_print_once(
        self, capsys: pytest.CaptureFixture[str], clients: int
    ) -> None:
        stream = io.StringIO()
        configure_logging(stream=stream)
        for _ in range(clients):
            _asana_client()  # the SDK's Configuration adds a stderr handler to `asana` and `urllib3`
        logging.getLogger("urllib3.connectionpool").error("pool is full, discarding connection: %s", "x")
        logging.getLogger("asana").error("sdk said %s", "y")
        lines = _json_lines(stream)
        assert [(line["logger"], line["event"]) for line in lines] == [
            ("urllib3.connectionpool", "pool is full, discarding connection: x"),
            ("asana", "sdk said y"),
        ]
        assert capsys.readouterr().err == ""

    def test_handlers_a_library_installed_before_configuring_are_removed(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        for name in ("urllib3", "github"):
            logging.getLogger(name).addHandler(logging.StreamHandler())
        stream = io.StringIO()
        configure_logging(stream=stream)
        logging.getLogger("github.Requester").error("from PyGithub")
        logging.getLogger("urllib3").error("from urllib3")
        assert [line["event"] for line in _json_lines(stream)] == ["from PyGithub", "from urllib3"]
        assert capsys.readouterr().err == ""


class TestRetryWarnings:
    """urllib3's per-attempt retry warnings name no source and repeat per request: they are debug lines
    (the source's failure and recovery are logged once each, as `poll.failed` and `poll.recovered`)."""

    def test_a_retry_warning_is_not_shown_at_info(self) -> None:
        stream = io.StringIO()
        configure_logging(stream=stream, level="info")
        logging.getLogger("urllib3.connectionpool").warning(RETRY_WARNING, "Retry(total=1)", "refused", "/users/me")
        assert stream.getvalue() == ""

    def test_a_retry_warning_is_a_debug_line_at_debug(self) -> None:
        stream = io.StringIO()
        configure_logging(stream=stream, level="debug")
        logging.getLogger("urllib3.connectionpool").warning(RETRY_WARNING, "Retry(total=1)", "refused", "/users/me")
        (line,) = _json_lines(stream)
        assert (line["level"], line["logger"]) == ("debug", "urllib3.connectionpool")
        assert line["event"].startswith("Retrying (")

    def test_other_urllib3_warnings_stay_warnings(self) -> None:
        stream = io.StringIO()
        configure_logging(stream=stream, level="info")
        logging.getLogger("urllib3.connectionpool").warning("Connection pool is full, discarding connection: %s", "h")
        (line,) = _json_lines(stream)
        assert line["level"] == "warning"
