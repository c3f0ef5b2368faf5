"""Loading the admin config: the public contract config, the default path, secrets for redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.registry import load_config
from syncd.config.errors import ConfigError, ConfigProblem
from syncd.config.loader import config_secrets, default_config_path
from tests.support.configs import CONTRACT, CONTRACT_ENV, MINIMAL, write_config


class TestContractConfig:
    """The config in issue 2 is a public contract: it validates as is."""

    def test_contract_config_validates_with_its_three_variables(self) -> None:
        """Cycles, objectives, KRs and both sources come out as written."""
        config = load_config(CONTRACT, environ=CONTRACT_ENV)
        assert [cycle.id for cycle in config.cycles] == ["2026-Q4"]
        krs = config.objectives[0].key_results
        assert [(kr.id, kr.measure, kr.start, kr.target) for kr in krs] == [
            ("ENG-1.1", "tasks", None, None),
            ("ENG-1.2", "metric", 7, 2),
        ]
        assert [(source.name, source.kind) for source in config.sources] == [
            ("acme-github", "github"),
            ("acme-asana", "asana"),
        ]
        assert config.matching.label_prefix == "kr:"

    def test_contract_config_without_variables_names_all_three(self) -> None:
        """Each missing variable is its own problem, in file order."""
        with pytest.raises(ConfigError) as caught:
            load_config(CONTRACT, environ={})
        named = [problem.message.split()[2] for problem in caught.value.problems]
        assert named == ["GITHUB_TOKEN", "GITHUB_WEBHOOK_SECRET", "ASANA_TOKEN"]

    def test_config_secrets_lists_every_secret_value(self) -> None:
        """Redaction gets every token and webhook secret the config holds."""
        config = load_config(CONTRACT, environ=CONTRACT_ENV)
        assert sorted(config_secrets(config)) == sorted(CONTRACT_ENV.values())


class TestDefaultConfigPath:
    """--config wins, then $SYNCD_CONFIG, then ./syncd.yaml."""

    def test_option_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An explicit --config is used even when SYNCD_CONFIG is set."""
        monkeypatch.setenv("SYNCD_CONFIG", "/etc/syncd/from-env.yaml")
        assert default_config_path("given.yaml") == Path("given.yaml")

    def test_environment_variable_is_next(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without --config, SYNCD_CONFIG names the file."""
        monkeypatch.setenv("SYNCD_CONFIG", "/etc/syncd/from-env.yaml")
        assert default_config_path(None) == Path("/etc/syncd/from-env.yaml")

    def test_current_directory_is_last(self) -> None:
        """With neither, ./syncd.yaml."""
        assert default_config_path(None) == Path("syncd.yaml")


class TestFileProblems:
    """Problems reading the file itself are config problems, not tracebacks."""

    def test_missing_file_says_how_to_name_one(self, tmp_path: Path) -> None:
        """No file: the message names it and the three ways to point at one."""
        with pytest.raises(ConfigError) as caught:
            load_config(tmp_path / "absent.yaml")
        assert str(caught.value) == (
            f"{tmp_path / 'absent.yaml'}: config file not found; pass --config FILE, set SYNCD_CONFIG, "
            "or create ./syncd.yaml"
        )

    def test_file_that_is_not_utf8_is_explained(self, tmp_path: Path) -> None:
        """A Latin-1 file gets a clear message instead of a UnicodeDecodeError."""
        path = tmp_path / "syncd.yaml"
        path.write_bytes(MINIMAL.encode() + b"# caf\xe9\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert str(caught.value) == f"{path}:3: not UTF-8 text; save the file as UTF-8"

    def test_yaml_anchors_and_merge_keys_are_supported(self, tmp_path: Path) -> None:
        """Admins may share settings with `<<: *anchor`; the merged item overrides what it restates."""
        text = MINIMAL + (
            "objectives:\n  - id: A\n    title: A\n    cycle: 2026-Q4\n    key_results:\n"
            "      - &metric {id: A.1, title: Up, measure: metric, start: 0, target: 10}\n"
            "      - {<<: *metric, id: A.2, title: Also up, target: 20}\n"
        )
        second = load_config(write_config(tmp_path, text)).objectives[0].key_results[1]
        assert (second.id, second.measure, second.start, second.target) == ("A.2", "metric", 0, 20)


class TestConfigErrorText:
    """ConfigError prints one `FILE:LINE: KEY: MESSAGE` line per problem."""

    def test_problems_are_ordered_by_file_then_line(self) -> None:
        """The main file's problems come first, as found, then each included file's, each by line."""
        error = ConfigError(
            [
                ConfigProblem("syncd.yaml", 9, "b", "second"),
                ConfigProblem("okrs/a.yaml", 2, "c", "third"),
                ConfigProblem("syncd.yaml", 3, "a", "first"),
                ConfigProblem("syncd.yaml", None, "", "whole file"),
            ]
        )
        assert str(error).splitlines() == [
            "syncd.yaml: whole file",
            "syncd.yaml:3: a: first",
            "syncd.yaml:9: b: second",
            "okrs/a.yaml:2: c: third",
        ]
