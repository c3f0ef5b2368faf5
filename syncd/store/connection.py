"""The store's handles as the runtime names them in type hints and `except` clauses.

The runtime runs no SQL of its own (import-linter keeps it so): it holds an `Engine`, passes a
`Connection` (one unit of work) to store functions, and catches `StoreFailure`.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError as DriverFailure
from sqlalchemy.exc import SQLAlchemyError as StoreFailure

__all__ = ["Connection", "DriverFailure", "Engine", "StoreFailure"]
