"""What an adapter says about its source: the port's five descriptive properties, declared once.

`syncd.ports.SourceAdapter` asks every adapter for `name`, `kind`, `comment_renderer`, `write_limits` and
`max_concurrent_writes`. They follow from the (frozen) source config alone, so an adapter builds one
`SourceProfile` when it is built and inherits the properties from `ProfiledAdapter`, with the default
`container_names` of trackers whose container ids are names already.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncd.core.pacing import RateLimit
from syncd.core.render import CommentRenderer


@dataclass(frozen=True, slots=True)
class SourceProfile:
    """One source's name, tracker kind, comment markup and write pacing."""

    name: str
    kind: str
    comment_renderer: CommentRenderer
    write_limits: tuple[RateLimit, ...]
    max_concurrent_writes: int


class ProfiledAdapter:
    """The port's descriptive properties, answered from `self.profile` (set by the adapter's `__init__`)."""

    profile: SourceProfile

    @property
    def name(self) -> str:
        """The source's configured name."""
        return self.profile.name

    @property
    def kind(self) -> str:
        """The tracker kind (`github`, `asana`, ...), as in the config's `kind`."""
        return self.profile.kind

    @property
    def comment_renderer(self) -> CommentRenderer:
        """How the tracker's comments are written."""
        return self.profile.comment_renderer

    @property
    def write_limits(self) -> tuple[RateLimit, ...]:
        """Every rate limit writes to this source must respect."""
        return self.profile.write_limits

    @property
    def max_concurrent_writes(self) -> int:
        """How many writes to this source may be in flight at once."""
        return self.profile.max_concurrent_writes

    def container_names(self, containers: Sequence[str]) -> Mapping[str, str]:
        """None to look up: by default a tracker's container ids are its names (`owner/name`)."""
        return {}
