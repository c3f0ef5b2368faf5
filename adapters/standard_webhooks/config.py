"""`kind: webhook` OKR store config: where events go, the Standard Webhooks signing secret, which events."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from syncd.config.okr_store import OkrStoreConfig
from syncd.config.types import Duration, EnvironmentHttpUrl

EventType = Literal["key_result.progress_changed", "objective.progress_changed", "key_result.status_changed"]
EVENT_TYPES: tuple[EventType, ...] = (
    "key_result.progress_changed",
    "objective.progress_changed",
    "key_result.status_changed",
)
SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret


class WebhookStoreConfig(OkrStoreConfig):
    """A receiver of signed events (`POST {url}`, Standard Webhooks: webhook-id, -timestamp, -signature)."""

    kind: Literal["webhook"]
    url: EnvironmentHttpUrl = Field(description="Where each event is POSTed (may be ${ENV}).")
    secret: SecretStr = Field(description="Standard Webhooks signing secret, whsec_ + base64 (use ${ENV}).")
    events: list[EventType] = Field(
        default_factory=lambda: list(EVENT_TYPES), min_length=1, description="The event types to send."
    )
    give_up_after: Duration = Field(
        default=timedelta(days=1), description="How long a failing event is retried before it is shown as failed."
    )

    @field_validator("secret")
    @classmethod
    def _whsec(cls, secret: SecretStr) -> SecretStr:
        value = secret.get_secret_value()
        if not value.startswith(SECRET_PREFIX):
            raise ValueError("a Standard Webhooks secret starts with whsec_ (then base64); generate one with syncd's "
                             "README recipe or your receiver's library")  # fmt: skip
        try:
            key = _decoded(value)
        except (binascii.Error, ValueError):
            raise ValueError("the part after whsec_ must be base64") from None
        if len(key) < 24:
            raise ValueError("the secret is too short: use at least 24 random bytes (32 recommended), base64-encoded")
        return secret

    def secret_key(self) -> bytes:
        """The HMAC key: the secret's base64 part, decoded."""
        return _decoded(self.secret.get_secret_value())


def _decoded(secret: str) -> bytes:
    """The base64 part of `whsec_...`, padded or not (receivers' libraries accept both)."""
    text = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
