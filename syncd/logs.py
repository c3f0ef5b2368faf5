"""Logging: structlog events as JSON lines (not a terminal) or readable console lines, secrets redacted.

Standard-library loggers (uvicorn, alembic, SQLAlchemy, the trackers' SDKs and urllib3) go through the
same handler, once, so every line has one format and passes the same redaction; urllib3's per-attempt
retry warnings are debug lines. Call `configure_logging` once, early; importing does nothing.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"
#: Keys whose values are secrets whatever they hold (Authorization headers, tokens, passwords...).
SECRET_KEY = re.compile(r"token|secret|password|passwd|authorization|api[_-]?key|private[_-]?key|cookie", re.I)
_HANDLER_NAME = "syncd"


class SecretRedactor:
    """A structlog processor replacing configured secret values, and values of secret-named keys, anywhere."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        """Return the event with every secret replaced by `[redacted]`."""
        return {key: self._value(key, value) for key, value in event_dict.items()}

    def _value(self, key: object, value: Any) -> Any:
        if isinstance(key, str) and SECRET_KEY.search(key) and not isinstance(value, bool | int | float | None):
            return REDACTED
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, Mapping):
            return {item_key: self._value(item_key, item) for item_key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return type(value)(self._value(None, item) for item in value)
        if isinstance(value, bytes | bool | int | float | None):
            return value
        return self._text(str(value)) if self.secrets else value

    def _text(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def configure_logging(
    *, level: str = "info", json: bool | None = None, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> None:
    """Send structlog and stdlib logs to `stream` (stderr): JSON when it is not a TTY (or `json`), secrets redacted."""
    stream = stream or sys.stderr
    as_json = not _is_terminal(stream) if json is None else json
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(_formatter(as_json, SecretRedactor(secrets), colors=_is_terminal(stream)))
    _install(handler, _level(level))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


#: Libraries that install handlers of their own (uvicorn's default dictConfig stops propagation; the Asana
#: SDK adds a stderr handler to `asana` and `urllib3`), which would print around our formatter and its
#: redaction, a second time: their records are sent up to the root handler instead.
_ROUTED_TO_ROOT = ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic", "asana", "urllib3", "github")


class RetryWarningsAsDebug(logging.Filter):
    """urllib3's `Retrying (...) after connection broken` warnings, one per attempt of one request and
    naming no source, become debug records: a source's failure and recovery are logged once each by
    syncd (`poll.failed`, `poll.recovered`), not once per attempt."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote a retry warning to debug (shown only when debug is on); pass everything else."""
        if record.levelno == logging.WARNING and str(record.msg).startswith("Retrying ("):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def _install(handler: logging.Handler, level: int) -> None:
    """Make `handler` the root logger's syncd handler (replacing ours from an earlier call, keeping others)."""
    root = logging.getLogger()
    for old in [old for old in root.handlers if old.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _ROUTED_TO_ROOT:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    pool = logging.getLogger("urllib3.connectionpool")
    for old_filter in [f for f in pool.filters if isinstance(f, RetryWarningsAsDebug)]:
        pool.removeFilter(old_filter)
    pool.addFilter(RetryWarningsAsDebug())


def _formatter(as_json: bool, redactor: SecretRedactor, *, colors: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=colors)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,
            renderer,
        ],
    )


def _shared_processors() -> list[Processor]:
    """Steps both structlog events and stdlib records take before rendering."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
    ]


def _level(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning or error")
    return number


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
