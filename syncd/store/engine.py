"""Engine factory: SQLite (WAL, foreign keys, busy timeout) by default, PostgreSQL by URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from syncd.store.errors import StoreError, StoreNotMigrated, display_url, first_line
from syncd.store.files import prepare_sqlite_file

DATABASE_URL_ENV = "SYNCD_DATABASE_URL"


def resolve_url(configured: str) -> str:
    """The store URL in force: `SYNCD_DATABASE_URL` wins over the config's `store.url`."""
    return os.environ.get(DATABASE_URL_ENV) or configured


def normalize_url(url: str) -> str:
    """Map `postgresql://` and `postgres://` to the psycopg 3 driver; leave other URLs alone."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_store_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Build the engine for `url` (already resolved). No connection is opened here."""
    url = normalize_url(url)
    json = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **json)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **json)


def _json_dumps(value: Any) -> str:
    """JSON columns go through orjson: a recompute reads four of them per linked task (json is ~3x slower)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def open_store(url: str, *, pool_size: int = 5, create: bool = True) -> Engine:
    """The engine for the store in force (`SYNCD_DATABASE_URL` wins over `url`), checked to answer once.

    Raises `StoreError` with one line naming the URL (password hidden) for a bad URL, an unknown
    driver, a missing SQLite directory or an unreachable server. With `create=False` a missing SQLite
    file is not created (read-only commands) but reported as `StoreNotMigrated`.
    """
    resolved = resolve_url(url)
    engine = _build_engine(resolved, pool_size=pool_size, create=create)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (DBAPIError, SQLAlchemyError) as error:
        engine.dispose()
        raise StoreError(f"cannot reach the store at {display_url(resolved)}: {_redacted(error, resolved)}") from None
    return engine


def _build_engine(url: str, *, pool_size: int, create: bool) -> Engine:
    """`create_store_engine` with its failures turned into one clear line."""
    where = display_url(url)
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError:
        raise StoreError(
            f"the store URL {where} is not a database URL; write sqlite:///FILE or postgresql://USER@HOST:PORT/DB"
        ) from None
    _check_sqlite_file(parsed, where, create=create)
    try:
        return create_store_engine(url, pool_size=pool_size)
    except NoSuchModuleError:
        raise StoreError(
            f"the store URL {where} names an unknown database driver {parsed.drivername!r}; use sqlite:/// or postgresql://"
        ) from None
    except (ArgumentError, ImportError) as error:
        raise StoreError(f"cannot open the store at {where}: {_redacted(error, url)}") from None


def sqlite_file(url: URL) -> Path | None:
    """The absolute path of the file a SQLite URL names; None for PostgreSQL, in-memory SQLite and `file:` URIs."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


def _check_sqlite_file(url: URL, where: str, *, create: bool) -> None:
    """A SQLite file's directory must exist (SQLite would only say 'unable to open database file'), and a
    read-only command (`create=False`) must not create an empty file where the store should be, nor change
    its mode. A writer (`syncd db upgrade`, the daemon) creates the file 0600 or tightens it to 0600."""
    file = sqlite_file(url)
    if file is None:
        return
    if not file.parent.is_dir():
        raise StoreError(
            f"cannot open the store at {where}: the directory {file.parent} does not exist; create it first"
        )
    if create:
        prepare_sqlite_file(file)
    elif not file.exists():
        raise StoreNotMigrated(f"there is no store at {where} yet ({file}); run `syncd db upgrade` to create it")


def _redacted(error: BaseException, url: str) -> str:
    """The driver's first line with the URL's password, if any, blanked out."""
    message = first_line(error)
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    return message.replace(password, "***") if password else message
