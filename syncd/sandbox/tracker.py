"""The trackers the sandbox runs: every registered one whose descriptor names a sandbox part.

`sandbox_sources` reads `registry().descriptors` and builds each tracker's `SandboxTracker` (its
simulator side, `syncd.simulators.sandbox`); a tracker without a sandbox part is left out, with one
line saying so. Nothing else in `syncd.sandbox` names a tracker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adapters.descriptor import SandboxPart, TrackerDescriptor
from adapters.registry import registry
from syncd.simulators.sandbox import SandboxTracker


@dataclass(frozen=True)
class SandboxSource:
    """One tracker in the sandbox: its descriptor's sandbox part, its running simulator side, its source name."""

    part: SandboxPart
    tracker: SandboxTracker
    #: The config's source name (`acme-github`).
    name: str

    @property
    def title(self) -> str:
        """The tracker's name for people."""
        return self.tracker.title


@dataclass(frozen=True)
class SandboxTrackers:
    """The trackers the sandbox runs, in registry order, and a line for each one it leaves out."""

    sources: tuple[SandboxSource, ...]
    left_out: tuple[str, ...]


def sandbox_sources(company: str, descriptors: Iterable[TrackerDescriptor] | None = None) -> SandboxTrackers:
    """A fresh, unstarted sandbox tracker for each of `descriptors` (default: the registry's) that has a
    sandbox part, its source named `<company>-<kind>`."""
    sources, left_out = [], []
    for descriptor in registry().descriptors if descriptors is None else descriptors:
        if descriptor.sandbox is None:
            left_out.append(f"{descriptor.title} is left out of the sandbox: its tracker names no sandbox part")
            continue
        tracker: SandboxTracker = descriptor.sandbox.load_tracker()()
        sources.append(SandboxSource(descriptor.sandbox, tracker, f"{company.lower()}-{descriptor.kind}"))
    return SandboxTrackers(tuple(sources), tuple(left_out))


def secret_names(sources: Iterable[SandboxSource]) -> tuple[str, ...]:
    """Every environment variable the sources' config entries refer to, in order."""
    return tuple(name for source in sources for name in source.tracker.secret_names())
