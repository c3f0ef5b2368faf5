"""Push planning (DESIGN.md principle 4): compare desired renderings with what was last applied.

Each target is identified by (source, kind, key); its content is hashed with `content_hash`, and only
targets whose desired hash differs from the applied one are written. Nothing changed, nothing planned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
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


def plan_writes(desired: Sequence[DesiredWrite], applied: Mapping[TargetKey, str | None]) -> list[DesiredWrite]:
    """The desired writes whose content differs from what was last applied, in the given order.

    A target named twice keeps its last desired state (the newest), at its first position."""
    latest: dict[TargetKey, DesiredWrite] = {}
    for write in desired:
        latest[write.target] = write
    return [write for target, write in latest.items() if applied.get(target) != write.hash]
