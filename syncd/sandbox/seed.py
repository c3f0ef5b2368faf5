"""Deal the seeded company out over the sandbox's trackers and seed each share, before any webhook is wired.

`spread` is deterministic: the tasks of each KR (and the unlabelled ones) go round the trackers in
registry order, so every tracker gets a share of every KR it can hold; a task with number fields goes
only to trackers that hold numbers. Each tracker then seeds its share in its own terms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from syncd.sandbox.company import Company
from syncd.sandbox.tracker import SandboxSource
from syncd.simulators.sandbox import SandboxTracker, SeedItem


def spread(items: Sequence[SeedItem], trackers: Sequence[SandboxTracker]) -> list[list[SeedItem]]:
    """Each tracker's share of `items`, in the order of `trackers` (an item no tracker can hold is left out)."""
    shares: list[list[SeedItem]] = [[] for _ in trackers]
    dealt: Counter[str] = Counter()
    for item in items:
        able = [index for index, tracker in enumerate(trackers) if tracker.holds_numbers or not item.numbers]
        if not able:
            continue
        group = next((label for label in item.labels if label.startswith("kr:")), "")
        shares[able[dealt[group] % len(able)]].append(item)
        dealt[group] += 1
    return shares


def seed(company: Company, sources: Sequence[SandboxSource]) -> None:
    """Seed every tracker's share of the company."""
    trackers = [source.tracker for source in sources]
    for tracker, share in zip(trackers, spread(company.items, trackers), strict=True):
        tracker.seed(company.seed, share)
