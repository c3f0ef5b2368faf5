"""Hostile configs: each is refused with a one-line config error, within a second of CPU time, and never echoes a secret."""

from __future__ import annotations

import contextlib
import time
import tracemalloc
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.registry import load_config
from syncd.cli.main import build_app
from syncd.config.errors import ConfigError
from tests.support.configs import MINIMAL, write_config

#: Distinctive secret values: any of them in an error message is a leak.
ASANA_TOKEN = "asana-MARKER-7f3c9e1d2b"
ENV = {"ASANA_TOKEN": ASANA_TOKEN}
#: CPU seconds a hostile file may cost (process time, not wall time: a busy machine or parallel test workers
#: must not fail the check, while a blow-up in the parser or the validator still does).
DEADLINE_SECONDS = 1.0


def refused(path: Path, environ: Mapping[str, str] = ENV) -> list[str]:
    """The problems `load_config` reports for `path`, after checking it answered within the deadline."""
    started = time.process_time()
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ)
    assert time.process_time() - started < DEADLINE_SECONDS
    problems = [str(problem) for problem in caught.value.problems]
    assert all("\n" not in problem for problem in problems), problems
    for value in environ.values():
        assert len(value) < 8 or value not in str(caught.value)  # a 1-character value is in every message
    return problems


def asana_source(**extra: str) -> str:
    """An Asana source whose token is `${ASANA_TOKEN}`, with extra `key: value` lines."""
    lines = "".join(f"    {key}: {value}\n" for key, value in extra.items())
    return (
        "sources:\n  - name: acme-asana\n    kind: asana\n    token: ${ASANA_TOKEN}\n"
        "    workspace: '1'\n    projects: ['2']\n" + lines
    )


class TestEnvironmentValuesAreNeverEchoed:
    """A value resolved from `${ENV}` appears in no validation error, whatever the key."""

    def test_a_secret_given_as_a_duration_is_not_shown(self, tmp_path: Path) -> None:
        """`poll_interval: ${ASANA_TOKEN}` is refused at its line without printing the token."""
        path = write_config(tmp_path, MINIMAL + asana_source(poll_interval="${ASANA_TOKEN}"))
        [problem] = refused(path)
        assert problem.startswith(f"{path}:9: sources[0].poll_interval: ")
        assert "${ASANA_TOKEN}" in problem


class TestEnvironmentReferencesOnlyWhereDocumented:
    """`${ENV}` gives secrets and URLs only; anywhere else, in any file, it is a config error naming file:line and key."""

    def test_a_reference_in_an_included_title_is_refused(self, tmp_path: Path) -> None:
        """An included KR title 'KR ${ASANA_TOKEN}' would publish the token in comments: refused at its line."""
        write_config(
            tmp_path,
            "objectives:\n  - id: ENG-1\n    title: Ship\n    cycle: 2026-Q4\n"
            "    key_results:\n      - {id: ENG-1.1, title: 'KR ${ASANA_TOKEN}'}\n",
            "okrs/eng.yaml",
        )
        path = write_config(tmp_path, MINIMAL + "include: [okrs/eng.yaml]\n")
        [problem] = refused(path)
        assert problem.startswith(f"{tmp_path / 'okrs' / 'eng.yaml'}:6: objectives[0].key_results[0].title: ")
        assert "${ASANA_TOKEN} is not allowed here" in problem

    def test_a_reference_in_the_main_file_is_refused_too(self, tmp_path: Path) -> None:
        """The rule is the same in the main file: a cycle title may not read the environment."""
        path = write_config(tmp_path, MINIMAL.replace("2026-12-31}", "2026-12-31, title: 'Q4 ${ASANA_TOKEN}'}"))
        assert refused(path) == [
            f"{path}:2: cycles[0].title: ${{ASANA_TOKEN}} is not allowed here; only secrets (tokens, webhook "
            "secrets, keys) and URLs (store.url, server.public_url, base_url, graphql_url) may be ${NAME} "
            "references: write the value itself (or $${NAME} for the literal text)"
        ]

    def test_a_reference_in_a_list_item_is_refused(self, tmp_path: Path) -> None:
        """`repos: [${REPO}]` is not a URL or a secret."""
        source = "sources:\n  - {name: gh, kind: github, token: '${ASANA_TOKEN}', repos: ['${ASANA_TOKEN}']}\n"
        problems = refused(write_config(tmp_path, MINIMAL + source))
        assert any(": sources[0].repos[0]: ${ASANA_TOKEN} is not allowed here" in problem for problem in problems)

    def test_secrets_and_url_keys_still_take_references(self, tmp_path: Path) -> None:
        """Tokens, webhook secrets, store.url, server.public_url, base_url and graphql_url read the environment."""
        source = (
            "store: {url: '${DB_URL}'}\nserver: {public_url: '${PUBLIC}', api_token: '${API}'}\n"
            "sources:\n  - {name: gh, kind: github, token: '${TOKEN}', webhook_secret: '${SECRET}',\n"
            "     base_url: 'https://${HOST}/api/v3', graphql_url: '${GRAPHQL}', repos: [a/b]}\n"
        )
        environ = {
            "DB_URL": "sqlite:///x.db",
            "PUBLIC": "https://syncd.example.com",
            "API": "api-token-0123456789abcdef",
            "TOKEN": "ghp_0123456789abcdef",
            "SECRET": "webhook-secret-0123456789",
            "HOST": "ghe.acme.internal",
            "GRAPHQL": "https://ghe.acme.internal/api/graphql",
        }
        config = load_config(write_config(tmp_path, MINIMAL + source), environ=environ)
        assert config.store.url == "sqlite:///x.db"
        assert config.server.public_url == "https://syncd.example.com"
        assert config.sources[0].base_url == "https://ghe.acme.internal/api/v3"

    def test_a_literal_reference_is_still_allowed_anywhere(self, tmp_path: Path) -> None:
        """`$${NAME}` reads nothing from the environment, so any key may hold it."""
        path = write_config(tmp_path, MINIMAL.replace("2026-12-31}", "2026-12-31, title: 'costs $${PRICE}'}"))
        assert load_config(path, environ={}).cycles[0].title == "costs ${PRICE}"


def billion_laughs() -> str:
    """The classic alias bomb: nine levels of nine aliases, about 400 bytes that expand to 387 million nodes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def within_memory(megabytes: float) -> contextlib.AbstractContextManager[None]:
    """Fail when the block's Python allocations peak above `megabytes`."""

    @contextlib.contextmanager
    def measured() -> Iterator[None]:
        tracemalloc.start()
        try:
            yield
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < megabytes * 2**20, f"peaked at {peak / 2**20:.1f} MiB"

    return measured()


class TestAliasBombsAndHugeFiles:
    """YAML aliases may expand only within a small budget, and a config file is at most 1 MiB."""

    def test_billion_laughs_is_refused_quickly_in_bounded_memory(self, tmp_path: Path) -> None:
        """The 400-byte bomb is a one-line error naming the line that expands too far, not a MemoryError."""
        text = billion_laughs()
        assert len(text.encode()) < 410
        path = write_config(tmp_path, text)
        with within_memory(20):
            [problem] = refused(path)
        assert problem.startswith(f"{path}:")
        assert "YAML aliases" in problem
        assert "expand" in problem

    def test_merge_key_bomb_is_refused(self, tmp_path: Path) -> None:
        """`<<: [*a, *a, ...]` nests mappings the same way; the budget counts merged keys too."""
        lines = ["a0: &a0 {k0: 1, k1: 2, k2: 3, k3: 4, k4: 5, k5: 6, k6: 7, k7: 8, k8: 9, k9: 10}"]
        lines += [f"a{n}: &a{n} {{<<: [{', '.join([f'*a{n - 1}'] * 9)}], x{n}: 1}}" for n in range(1, 10)]
        path = write_config(tmp_path, "\n".join(lines) + "\n")
        with within_memory(20):
            [problem] = refused(path)
        assert "YAML aliases" in problem

    def test_aliases_within_the_budget_still_work(self, tmp_path: Path) -> None:
        """Ordinary reuse (one source's settings merged into the next) loads as before."""
        text = (
            MINIMAL + "sources:\n  - &one {name: one, kind: github, token: '${ASANA_TOKEN}', repos: [a/b]}\n"
            "  - {<<: *one, name: two}\n"
        )
        config = load_config(write_config(tmp_path, text), environ=ENV)
        assert [source.name for source in config.sources] == ["one", "two"]

    def test_a_file_over_one_mebibyte_is_refused(self, tmp_path: Path) -> None:
        """A config past 1 MiB is refused at the line where it crosses the cap, without being parsed."""
        padding = "# " + "x" * 1000 + "\n"
        path = write_config(tmp_path, MINIMAL + padding * 1100)
        [problem] = refused(path)
        assert problem == (
            f"{path}:1048: the file is larger than 1 MiB (the most a config file may be); "
            "split it with include: or remove what it does not need"
        )


class TestDeepAndBinaryInput:
    """Deep nesting, long include chains and binary bytes are one-line errors, never a traceback."""

    @pytest.mark.parametrize(
        ("opening", "closing"), [("[", "]"), ("{a: ", "}"), ("[{a: ", "}]")], ids=["seqs", "maps", "mixed"]
    )
    def test_deeply_nested_flow_collections_are_refused(self, tmp_path: Path, opening: str, closing: str) -> None:
        """Ten thousand nested flow collections hit the nesting cap, at the line where they start."""
        path = write_config(tmp_path, MINIMAL + "x: " + opening * 10_000 + closing * 10_000 + "\n")
        [problem] = refused(path)
        assert problem == (
            f"{path}:3: values are nested more than 50 levels deep; a config needs a few levels, so flatten this value"
        )

    def test_deeply_nested_block_mappings_are_refused(self, tmp_path: Path) -> None:
        """Indentation nesting counts the same as flow nesting."""
        text = MINIMAL + "".join(" " * level + f"k{level}:\n" for level in range(200)) + " " * 200 + "v: 1\n"
        [problem] = refused(write_config(tmp_path, text))
        assert "nested more than 50 levels deep" in problem

    def test_a_thousand_chained_includes_stop_at_the_include_depth(self, tmp_path: Path) -> None:
        """f0 includes f1 ... includes f999: refused where the chain passes the include depth, naming that file."""
        for number in range(1000):
            write_config(tmp_path, f"include: [f{number + 1}.yaml]\n", f"f{number}.yaml")
        write_config(tmp_path, "cycles: []\n", "f1000.yaml")
        path = write_config(tmp_path, MINIMAL + "include: [f0.yaml]\n")
        [problem] = refused(path)
        assert problem == (
            f"{tmp_path / 'f15.yaml'}:1: include[0]: includes are nested more than 16 files deep; "
            "include the files from fewer levels"
        )

    def test_a_nul_byte_is_refused_at_its_line(self, tmp_path: Path) -> None:
        """A NUL (or another control character) is named by code point and line, not by a PyYAML traceback."""
        path = write_config(tmp_path, MINIMAL + "objectives: []\nx: 'a\0b'\n")
        assert refused(path) == [
            f"{path}:4: the file contains the control character U+0000, which YAML does not allow; "
            "remove it (is this a binary file?)"
        ]

    def test_including_proc_self_environ_is_refused_without_showing_it(self, tmp_path: Path) -> None:
        """`include: ["/proc/self/environ"]` is a one-line error that shows none of the environment."""
        if not Path("/proc/self/environ").exists():
            pytest.skip("no /proc/self/environ on this system")
        for allow in ("", "include_outside: true\n"):
            path = write_config(tmp_path, MINIMAL + allow + 'include: ["/proc/self/environ"]\n')
            [problem] = refused(path, {"MARKER": "environ-MARKER-5d1e"})
            assert "PATH=" not in problem


OUTSIDE = (
    "is outside the main config's directory {root}; move it there, or set include_outside: true "
    "at the top of the main config"
)


class TestIncludesStayInTheConfigDirectory:
    """Included files resolve (after symlinks) inside the main config's directory unless `include_outside: true`."""

    def _outside_file(self, tmp_path: Path) -> Path:
        return write_config(tmp_path, "cycles:\n  - {id: X, start: 2026-01-01, end: 2026-03-31}\n", "elsewhere/x.yaml")

    @pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
    def test_a_file_outside_is_refused(self, tmp_path: Path, how: str) -> None:
        """`../`, an absolute path and a symlink pointing out are each refused at the include line, saying why."""
        outside = self._outside_file(tmp_path)
        config_dir = tmp_path / "config"
        entry = {"dotdot": "../elsewhere/x.yaml", "absolute": str(outside), "symlink": "link.yaml"}[how]
        if how == "symlink":
            config_dir.mkdir()
            (config_dir / "link.yaml").symlink_to(outside)
        path = write_config(config_dir, MINIMAL + f"include: ['{entry}']\n")
        [problem] = refused(path)
        assert problem.startswith(f"{path}:3: include[0]: included file ")
        assert problem.endswith(OUTSIDE.format(root=config_dir))

    def test_a_nested_include_is_held_to_the_main_config_directory(self, tmp_path: Path) -> None:
        """A file in a subfolder may include a sibling, but not climb above the main config's folder."""
        self._outside_file(tmp_path)
        config_dir = tmp_path / "config"
        write_config(config_dir, "cycles: []\n", "okrs/b.yaml")
        write_config(config_dir, "include: [b.yaml, ../../elsewhere/x.yaml]\n", "okrs/a.yaml")
        path = write_config(config_dir, MINIMAL + "include: [okrs/a.yaml]\n")
        [problem] = refused(path)
        assert problem.startswith(f"{config_dir / 'okrs' / 'a.yaml'}:1: include[1]: included file ")
        assert problem.endswith(OUTSIDE.format(root=config_dir))

    def test_include_outside_true_allows_it(self, tmp_path: Path) -> None:
        """The main config's `include_outside: true` lets an admin share files across folders on purpose."""
        self._outside_file(tmp_path)
        path = write_config(tmp_path / "config", MINIMAL + "include_outside: true\ninclude: [../elsewhere/x.yaml]\n")
        config = load_config(path, environ={})
        assert [cycle.id for cycle in config.cycles] == ["2026-Q4", "X"]
        assert config.include_outside is True

    def test_an_included_file_cannot_allow_itself_out(self, tmp_path: Path) -> None:
        """Only the main config decides: `include_outside` in an included file is refused like any other key."""
        write_config(tmp_path, "include_outside: true\n", "okrs/a.yaml")
        path = write_config(tmp_path, MINIMAL + "include: [okrs/a.yaml]\n")
        [problem] = refused(path)
        assert ": include_outside: an included file may only add" in problem


class TestToySecretsAreRefused:
    """Tokens and secrets shorter than 16 characters are refused, naming the key and never the value."""

    @pytest.mark.parametrize(
        ("config", "key"),
        [
            ("server: {api_token: '${SHORT}'}\n", "server.api_token"),
            ("sources:\n  - {name: gh, kind: github, token: '${SHORT}', repos: [a/b]}\n", "sources[0].token"),
            (
                "sources:\n  - {name: gh, kind: github, token: '${ASANA_TOKEN}', webhook_secret: '${SHORT}', "
                "repos: [a/b]}\n",
                "sources[0].webhook_secret",
            ),
            (asana_source().replace("${ASANA_TOKEN}", "${SHORT}"), "sources[0].token"),
        ],
        ids=["api_token", "github token", "webhook_secret", "asana token"],
    )
    def test_a_short_secret_is_refused_naming_the_key(self, tmp_path: Path, config: str, key: str) -> None:
        """A one-character secret (it would open the API, and make the redactor rewrite every `t`) is refused."""
        path = write_config(tmp_path, MINIMAL + config)
        [problem] = refused(path, {**ENV, "SHORT": "t"})
        assert problem.endswith(
            f": {key}: this secret (from ${{SHORT}}) is shorter than 16 characters, too short to be real; "
            "use the credential the tracker issued, or a random one (openssl rand -hex 32)"
        )

    def test_sixteen_characters_are_enough(self, tmp_path: Path) -> None:
        """The floor is 16: a value of exactly that length is accepted."""
        path = write_config(tmp_path, MINIMAL + "server: {api_token: '${API}'}\n")
        token = load_config(path, environ={"API": "x" * 16}).server.api_token
        assert token is not None
        assert token.get_secret_value() == "x" * 16


@pytest.fixture(scope="module")
def warm_cli(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Run `syncd check` once on a valid config, so the timed runs measure the config, not first imports."""
    path = write_config(tmp_path_factory.mktemp("warm"), MINIMAL)
    assert CliRunner().invoke(build_app(), ["check", "--config", str(path)]).exit_code == 0


@pytest.mark.usefixtures("warm_cli")
class TestSyncdCheckOnHostileConfigs:
    """`syncd check` itself: exit 1, one problem line and the count, no traceback, within a second of CPU time."""

    @pytest.mark.parametrize("hostile", ["bomb", "included title", "deep", "nul"])
    def test_check_prints_one_line_and_exits_one(self, tmp_path: Path, hostile: str) -> None:
        """Each hostile file gives `file:line: ...` then `config invalid: 1 problem`, nothing else."""
        if hostile == "included title":
            write_config(
                tmp_path,
                "cycles:\n  - {id: X, start: 2026-01-01, end: 2026-03-31, title: 'KR ${ASANA_TOKEN}'}\n",
                "x.yaml",
            )
        text = {
            "bomb": billion_laughs(),
            "included title": MINIMAL + "include: [x.yaml]\n",
            "deep": "x: " + "[" * 5000 + "]" * 5000 + "\n",
            "nul": MINIMAL + "x: '\0'\n",
        }[hostile]
        path = write_config(tmp_path, text)
        started = time.process_time()
        result = CliRunner().invoke(build_app(), ["check", "--config", str(path)], env=ENV)
        assert time.process_time() - started < DEADLINE_SECONDS
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert len(lines) == 2, lines
        assert lines[0].startswith(str(tmp_path))
        assert lines[1] == "config invalid: 1 problem"
        assert ASANA_TOKEN not in result.output
