"""Logging: JSON lines off a terminal, console lines on one, secrets redacted everywhere, stdlib routed through."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from syncd.logs import REDACTED, SecretRedactor, configure_logging

TOKEN = "ghp_ThisIsTheSecretToken123"
WEBHOOK_SECRET = "whsec-very-private"


class TerminalStream(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a TTY."""
        return True


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Each test configures logging; put the process's logging back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def _json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestFormat:
    """JSON when the stream is not a terminal, readable text when it is, unless told otherwise."""

    def test_json_lines_when_not_a_terminal(self) -> None:
        """An event with bound context comes out as one JSON object with level, time and the context."""
        stream = io.StringIO()
        configure_logging(stream=stream)
        structlog.get_logger("syncd.test").bind(source="acme-github").info("poll.page_fetched", count=3)
        [line] = _json_lines(stream)
        assert line["event"] == "poll.page_fetched"
        assert (line["level"], line["source"], line["count"], line["logger"]) == (
            "info",
            "acme-github",
            3,
            "syncd.test",
        )
        assert line["timestamp"].endswith("Z")

    def test_console_lines_on_a_terminal(self) -> None:
        """On a TTY the line is text with the event name and key=value pairs, not JSON."""
        stream = TerminalStream()
        configure_logging(stream=stream)
        structlog.get_logger().warning("push.comment_updated", kr="ENG-1.2")
        text = stream.getvalue()
        assert "push.comment_updated" in text
        assert "kr" in text
        assert "ENG-1.2" in text
        assert not text.lstrip().startswith("{")

    def test_json_can_be_forced_on_a_terminal(self) -> None:
        """`json=True` wins over the terminal check."""
        stream = TerminalStream()
        configure_logging(json=True, stream=stream)
        structlog.get_logger().info("syncd.started")
        assert _json_lines(stream)[0]["event"] == "syncd.started"

    def test_level_filters_lower_events(self) -> None:
        """At level warning, info events are dropped."""
        stream = io.StringIO()
        configure_logging(level="warning", stream=stream)
        structlog.get_logger().info("quiet.event")
        structlog.get_logger().error("loud.event")
        assert [line["event"] for line in _json_lines(stream)] == ["loud.event"]

    def test_unknown_level_is_refused(self) -> None:
        """A typo in the level is an error naming the choices."""
        with pytest.raises(ValueError, match="unknown log level 'loud'"):
            configure_logging(level="loud", stream=io.StringIO())

    def test_reconfiguring_does_not_duplicate_lines(self) -> None:
        """Calling configure_logging twice (as a reload does) keeps one handler."""
        first, second = io.StringIO(), io.StringIO()
        configure_logging(stream=first)
        configure_logging(stream=second)
        structlog.get_logger().info("once")
        assert (first.getvalue(), len(_json_lines(second))) == ("", 1)


class TestRedaction:
    """Configured secrets and secret-named keys never reach a log line."""

    def test_configured_secret_is_redacted_in_values_messages_and_nested_data(self) -> None:
        """The token inside a string, a nested dict and a list all become [redacted]."""
        stream = io.StringIO()
        configure_logging(stream=stream, secrets=[TOKEN, WEBHOOK_SECRET])
        structlog.get_logger().info(
            f"request.sent with {TOKEN}",
            url=f"https://x-access-token:{TOKEN}@github.com/acme/web.git",
            headers={"X-Trace": WEBHOOK_SECRET},
            seen=[TOKEN, "harmless"],
        )
        raw = stream.getvalue()
        assert TOKEN not in raw
        assert WEBHOOK_SECRET not in raw
        [line] = _json_lines(stream)
        assert line["event"] == f"request.sent with {REDACTED}"
        assert line["url"] == f"https://x-access-token:{REDACTED}@github.com/acme/web.git"
        assert line["headers"] == {"X-Trace": REDACTED}
        assert line["seen"] == [REDACTED, "harmless"]

    def test_secret_named_keys_are_redacted_whatever_their_value(self) -> None:
        """token=, Authorization, password and api_key values are hidden even if not configured as secrets."""
        stream = io.StringIO()
        configure_logging(stream=stream)
        structlog.get_logger().info(
            "client.request",
            token="unconfigured-token",
            headers={"Authorization": "Bearer abc", "Accept": "application/json"},
            password="pw",
            api_key="k",
            retry_after=3,
        )
        [line] = _json_lines(stream)
        assert (line["token"], line["password"], line["api_key"]) == (REDACTED, REDACTED, REDACTED)
        assert line["headers"] == {"Authorization": REDACTED, "Accept": "application/json"}
        assert line["retry_after"] == 3

    def test_secret_in_an_exception_traceback_is_redacted(self) -> None:
        """An exception whose text carries the token is logged with the token replaced."""
        stream = io.StringIO()
        configure_logging(stream=stream, secrets=[TOKEN])
        try:
            raise RuntimeError(f"401 for token {TOKEN}")
        except RuntimeError:
            structlog.get_logger().exception("poll.failed")
        [line] = _json_lines(stream)
        assert f"401 for token {REDACTED}" in line["exception"]
        assert TOKEN not in stream.getvalue()

    def test_stdlib_loggers_go_through_the_same_redaction_and_format(self) -> None:
        """uvicorn and alembic log through the stdlib; their lines are JSON and redacted too."""
        stream = io.StringIO()
        configure_logging(stream=stream, secrets=[TOKEN])
        logging.getLogger("uvicorn.error").warning("bad request with %s", TOKEN)
        [line] = _json_lines(stream)
        assert (line["logger"], line["level"]) == ("uvicorn.error", "warning")
        assert line["event"] == f"bad request with {REDACTED}"

    def test_longer_secret_is_replaced_whole_when_it_contains_a_shorter_one(self) -> None:
        """Secrets `abc` and `abcdef`: `abcdef` becomes one [redacted], leaving no tail behind."""
        redactor = SecretRedactor(["abc", "abcdef", ""])
        event = redactor(None, "info", {"event": "x abcdef y abc"})
        assert event["event"] == f"x {REDACTED} y {REDACTED}"
