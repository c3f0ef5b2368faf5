"""Push planning: desired writes are identified by their target and compared by a stable content hash."""

from __future__ import annotations

import subprocess
import sys

import pytest

from syncd.core.model import TaskRef
from syncd.core.push_plan import DesiredWrite, content_hash

COMMENT = DesiredWrite(
    "acme-github", "comment", "acme/web#1", text="67% done", task=TaskRef("acme-github", "acme/web#1")
)


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
