"""Handles on the store's tables, bound once from the declarative models (`syncd.store.schema`).

Every query in the store names its tables through these; nothing else looks tables up by name.
"""

from __future__ import annotations

from sqlalchemy import Table

from syncd.store.schema import Base

TABLES = Base.metadata.tables
CYCLES: Table = TABLES["cycles"]
OBJECTIVES: Table = TABLES["objectives"]
KEY_RESULTS: Table = TABLES["key_results"]
TASKS: Table = TABLES["tasks"]
TASK_LINKS: Table = TABLES["task_links"]
CHECK_INS: Table = TABLES["check_ins"]
DELIVERIES: Table = TABLES["deliveries"]
REFRESH_REQUESTS: Table = TABLES["refresh_requests"]
BOOKMARKS: Table = TABLES["bookmarks"]
PUSH_TARGETS: Table = TABLES["push_targets"]
LEASES: Table = TABLES["leases"]
SOURCE_STATE: Table = TABLES["source_state"]
WEBHOOK_SECRETS: Table = TABLES["webhook_secrets"]
HANDSHAKE_WINDOWS: Table = TABLES["handshake_windows"]
