"""Push planning (DESIGN.md principle 4): what a push target should say, and the hash it is compared by.

Each target is identified by (source, kind, key); its content is hashed with `content_hash`. The store
keeps a target's desired and applied hashes (`syncd.store.push_targets.save_desired`), and the pusher
writes only targets whose desired hash differs from the applied one. Nothing changed, nothing written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from syncd.core.model import TaskRef

TargetKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class DesiredWrite:
    """What one push target should say now: a text (comment, text field) or a number (field, goal)."""

    source: str
    kind: str
    key: str
    text: str | None = None
    number: float | None = None
    task: TaskRef | None = None
    #: What decides whether the content changed, when not all of it does (an outbound event's text carries
    #: its send-worthy facts and the moment they were rendered; only the facts are hashed).
    basis: str | None = None

    @property
    def target(self) -> TargetKey:
        """The target's identity: (source, kind, key)."""
        return (self.source, self.kind, self.key)

    @property
    def hash(self) -> str:
        """The content hash of this desired state (see `content_hash`)."""
        return content_hash(self.text if self.basis is None else self.basis, self.number)


def content_hash(text: str | None, number: float | None) -> str:
    """SHA-256 hex of the content, stable across processes and platforms; 1 and 1.0 hash alike."""
    value = None if number is None else float(number) + 0.0  # + 0.0 turns -0.0 into 0.0
    canonical = json.dumps([text, value], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
