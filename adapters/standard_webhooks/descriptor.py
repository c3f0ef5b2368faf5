"""Outbound Standard Webhooks declared as an OKR store (see `adapters.okr_store`)."""

from __future__ import annotations

from adapters.okr_store import OkrStoreDescriptor
from adapters.standard_webhooks.config import WebhookStoreConfig
from adapters.standard_webhooks.store import build_store

STANDARD_WEBHOOKS = OkrStoreDescriptor(
    kind="webhook", title="Standard Webhooks receiver", config_model=WebhookStoreConfig, build_store=build_store
)
