"""What is wrong with an admin config: each problem names the file, the line and the key path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from syncd.core.errors import SyncdError


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file; `key` is a dotted path like `objectives[0].key_results[1].target`."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(SyncdError):
    """A config that cannot be used; carries every problem found, in file and line order."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        listed = list(problems)
        files = list(dict.fromkeys(problem.file for problem in listed))
        self.problems: list[ConfigProblem] = sorted(
            listed, key=lambda problem: (files.index(problem.file), problem.line or 0)
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)
