"""Logging: structlog events as JSON lines (not a terminal) or readable console lines, secrets redacted.

Standard-library loggers (uvicorn, alembic, SQLAlchemy, the trackers' SDKs and urllib3) go through the
same handler, once, so every line has one format and passes the same redaction; urllib3's per-attempt
retry warnings are debug lines. Call `configure_logging` once, early; importing does nothing.
"""

from __future__ import annotations

import functools
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

#: Characters a secret value is made of: a configured secret is replaced only where it stands whole, not
#: bordered by more of them (a one-character secret `t` must not blank every `t` of every line).
_WORD = r"A-Za-z0-9_"
#: A credential value after a header name or scheme: up to whitespace, a quote or a separator; never a
#: `<placeholder>` (our own messages say `Authorization: Bearer <server.api_token>`).
_VALUE = r"(?!<)[^\s\"',;&<>]+"
#: Text shaped like a credential, configured or not: what a tracker echoing our request may send back.
_CREDENTIAL_SHAPES = (
    # Header-like `Authorization: token ghp_...`, `"X-Hook-Secret": "..."`, `Cookie=...`: the scheme is kept.
    re.compile(
        r"\b((?:proxy-)?authorization|x-hook-secret|x-api-key|x-asana-client-secret|set-cookie|cookie)"
        r"([\"']?\s*[:=]\s*[\"']?)((?:(?:bearer|token|basic|digest)\s+)?+)" + _VALUE,
        re.I,
    ),
    # A scheme and its credential anywhere: `Bearer abc.def`, `token 0123...` (long enough not to be a word).
    re.compile(r"\b(bearer|basic)(\s+)()(?!<)[\w.~+/=:-]{8,}", re.I),
    re.compile(r"\b(token)(\s+)()(?!<)[\w.~+/=:-]{16,}", re.I),
    # Query or form parameters: `?access_token=...&`.
    re.compile(
        r"\b(access_token|refresh_token|client_secret|api_token|api_key|password|secret|token)(=)()" + _VALUE, re.I
    ),
)
#: Values recognisable by their own shape: GitHub tokens, Asana personal access tokens, JWTs.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}|[0-9]/[0-9]{6,}(?:/[0-9]+)?:[0-9a-fA-F]{16,}"
    r"|eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]+)"
)
#: Secrets of every config this process has loaded (see `remember_secrets`).
_remembered: set[str] = set()


def remember_secrets(secrets: Iterable[str]) -> None:
    """Add a loaded config's secrets to those `redact` always replaces in this process (never forgotten:
    a secret of the config before a reload is still a secret)."""
    _remembered.update(secret for secret in secrets if secret)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret replaced by `[redacted]`: those remembered for this process, `secrets`, and
    anything shaped like a credential (an `Authorization` header, `token ghp_...`, `Bearer ...`).

    The one function used before error text is stored (source_state, push targets) or shown (API, CLI)
    and by the log processor. Secrets are replaced as whole values only."""
    known = _remembered.union(secret for secret in secrets if secret)
    if known:
        text = _secret_pattern(frozenset(known)).sub(REDACTED, text)
    for shape in _CREDENTIAL_SHAPES:
        text = shape.sub(rf"\1\2\3{REDACTED}", text)
    return _TOKEN_SHAPES.sub(REDACTED, text)


@functools.lru_cache(maxsize=32)
def _secret_pattern(secrets: frozenset[str]) -> re.Pattern[str]:
    """One pattern matching any of `secrets` where it stands whole (longest first: a secret containing
    another is replaced whole)."""
    choices = "|".join(re.escape(secret) for secret in sorted(secrets, key=len, reverse=True))
    return re.compile(rf"(?<![{_WORD}])(?:{choices})(?![{_WORD}])")


class SecretRedactor:
    """A structlog processor replacing configured secret values, credential-shaped text, and values of
    secret-named keys, anywhere (through `redact`)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = frozenset(secret for secret in secrets if secret)

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        """Return the event with every secret replaced by `[redacted]`."""
        return {key: self._value(key, value) for key, value in event_dict.items()}

    def _value(self, key: object, value: Any) -> Any:
        if isinstance(key, str) and SECRET_KEY.search(key) and not isinstance(value, bool | int | float | None):
            return REDACTED
        if isinstance(value, str):
            return redact(value, self.secrets)
        if isinstance(value, Mapping):
            return {item_key: self._value(item_key, item) for item_key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return type(value)(self._value(None, item) for item in value)
        if isinstance(value, bytes | bool | int | float | None):
            return value
        return redact(str(value), self.secrets)


def configure_logging(
    *, level: str = "info", json: bool | None = None, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> None:
    """Send structlog and stdlib logs to `stream` (stderr): JSON when it is not a TTY (or `json`), secrets redacted."""
    stream = stream or sys.stderr
    secrets = list(secrets)
    remember_secrets(secrets)
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
