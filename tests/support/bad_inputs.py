"""The bad-input matrix's view of one tracker (tests/security/test_bad_inputs.py): how it signs a delivery,
what a used and an unused delivery look like, and its source in the served config.

Each registered tracker keeps its profile in its own test folder, `tests/<kind>/bad_inputs.py` (`PROFILE`),
so a new tracker joins the matrix without editing the matrix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Tracker(ABC):
    """How one tracker signs a delivery, and what a used and an unused delivery of it look like."""

    kind: str
    source: str
    signature_header: str
    #: What the installed webhook's target carries after the path (Asana's names the project it follows).
    query: str = ""
    #: Every secret value its source holds (none may appear in any answer).
    secrets: tuple[str, ...] = ()
    #: The answer to a stored or unused delivery: one the tracker counts as delivered (Asana: 200 or 204 only).
    accepted_status: int = 202
    #: (resource, secret, webhook gid) of a handshake secret the store must hold first (Asana), or None.
    handshake_secret: tuple[str, str, str] | None = None

    @abstractmethod
    def source_config(self) -> dict[str, Any]:
        """Its `sources[]` entry (pointing at a closed port: the matrix never calls the tracker)."""

    @abstractmethod
    def signature(self, body: bytes) -> str:
        """The value of `signature_header` for `body`."""

    @abstractmethod
    def delivery(self) -> tuple[dict[str, str], bytes]:
        """A new delivery syncd stores: its headers (without signature) and body."""

    @abstractmethod
    def unused(self) -> tuple[dict[str, str], bytes]:
        """A delivery syncd acknowledges and does not store."""

    def signed(self, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """`headers` with the JSON content type and the right signature of `body`."""
        return {"content-type": "application/json", **headers, self.signature_header: self.signature(body)}
