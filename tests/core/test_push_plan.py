"""Push planning: write only what differs from what was last applied."""

from __future__ import annotations

import subprocess
import sys

import pytest

from syncd.core.model import TaskRef
from syncd.core.push_plan import DesiredWrite, content_hash, plan_writes

COMMENT = DesiredWrite(
    "acme-github", "comment", "acme/web#1", text="67% done", task=TaskRef("acme-github", "acme/web#1")
)
FIELD = DesiredWrite("acme-asana", "field", "1204", number=67.0)


class TestContentHash:
    """A stable SHA-256 of text and number."""

    def test_is_sha256_hex(self) -> None:
        """64 lowercase hex characters."""
        digest = content_hash("x", None)
        assert len(digest) == 64
        assert int(digest, 16) >= 0

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (("a", None), ("b", None)),
            (("", None), (None, None)),
            ((None, 0.0), (None, None)),
            ((None, 1.0), (None, 1.5)),
            (("1", None), (None, 1.0)),
            (("a", 1.0), ("a", None)),
        ],
    )
    def test_different_content_hashes_differently(
        self, first: tuple[str | None, float | None], second: tuple[str | None, float | None]
    ) -> None:
        """Text, empty text, no text, numbers and their absence are all told apart."""
        assert content_hash(*first) != content_hash(*second)

    @pytest.mark.parametrize(("first", "second"), [(1, 1.0), (-0.0, 0.0), (67, 67.0)])
    def test_equal_numbers_hash_alike(self, first: float, second: float) -> None:
        """1 and 1.0 (or -0.0 and 0.0) are the same field value and cost no write."""
        assert content_hash(None, first) == content_hash(None, second)

    def test_stable_across_processes(self) -> None:
        """Another interpreter (with its own hash seed) computes the same digest."""
        code = "from syncd.core.push_plan import content_hash; print(content_hash('é 67%', 0.25))"
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == content_hash("é 67%", 0.25)

    def test_desired_write_hash_is_its_content_hash(self) -> None:
        """The property and the function agree."""
        assert COMMENT.hash == content_hash("67% done", None)
        assert COMMENT.target == ("acme-github", "comment", "acme/web#1")


class TestPlanWrites:
    """Desired minus applied."""

    def test_nothing_applied_yet_writes_everything(self) -> None:
        """New targets are all written, in the given order."""
        assert plan_writes([COMMENT, FIELD], {}) == [COMMENT, FIELD]

    def test_nothing_changed_plans_nothing(self) -> None:
        """Applied hashes equal to desired ones: no write."""
        applied = {COMMENT.target: COMMENT.hash, FIELD.target: FIELD.hash}
        assert plan_writes([COMMENT, FIELD], applied) == []

    def test_only_changed_targets_are_written(self) -> None:
        """A changed comment is written; the unchanged field is not."""
        applied = {COMMENT.target: content_hash("50% done", None), FIELD.target: FIELD.hash}
        assert plan_writes([COMMENT, FIELD], applied) == [COMMENT]

    def test_never_applied_target_is_written(self) -> None:
        """A target known but never applied (hash None) is written."""
        assert plan_writes([FIELD], {FIELD.target: None}) == [FIELD]

    def test_a_burst_on_one_target_makes_one_write(self) -> None:
        """Ten desired states for one target coalesce to the newest, at its first position."""
        burst = [DesiredWrite("s", "comment", "k", text=f"{n}%") for n in range(10)]
        assert plan_writes([*burst, FIELD], {}) == [burst[-1], FIELD]

    def test_burst_ending_where_it_began_writes_nothing(self) -> None:
        """If the newest desired state equals what was applied, nothing is written."""
        burst = [DesiredWrite("s", "comment", "k", text=t) for t in ("a", "b", "a")]
        assert plan_writes(burst, {("s", "comment", "k"): content_hash("a", None)}) == []
