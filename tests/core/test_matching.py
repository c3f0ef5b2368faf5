"""Matching: which KRs a task's labels link it to, and which unknown KR ids they name."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syncd.core.matching import Link, MatchRules, Rule, UnknownKr, match_task, task_points
from syncd.core.model import TaskState
from tests.support.core_builders import rules, task


class TestDefaultRule:
    """A `<prefix><KR id>` label links the KR, case-insensitive on both parts."""

    @pytest.mark.parametrize(
        ("label", "linked"),
        [
            ("kr:ENG-1.2", ("ENG-1.2",)),
            ("KR:eng-1.2", ("ENG-1.2",)),
            ("Kr:Eng-1.2", ("ENG-1.2",)),
            ("kr: ENG-1.2 ", ("ENG-1.2",)),
            ("ENG-1.2", ()),
            ("kr-ENG-1.2", ()),
            ("bug", ()),
        ],
    )
    def test_label_links_the_canonical_kr_id(self, label: str, linked: tuple[str, ...]) -> None:
        """The link names the KR id as configured, whatever case the label uses."""
        result = match_task(task(1, TaskState.OPEN, label), rules())
        assert result.kr_ids == linked

    def test_link_says_which_label_caused_it(self) -> None:
        """The rule text names the label, so `syncd explain` can show why."""
        result = match_task(task(1, TaskState.OPEN, "KR:eng-1.2"), rules())
        assert result.links == (Link("ENG-1.2", "label KR:eng-1.2"),)

    def test_task_labelled_for_two_krs_links_both_in_id_order(self) -> None:
        """One task may move several KRs."""
        result = match_task(task(1, TaskState.OPEN, "kr:OPS-2.1", "kr:ENG-1.2"), rules())
        assert result.kr_ids == ("ENG-1.2", "OPS-2.1")

    def test_same_kr_twice_links_once(self) -> None:
        """Two spellings of one KR id make one link, with the first reason."""
        result = match_task(task(1, TaskState.OPEN, "kr:ENG-1.2", "KR:eng-1.2"), rules())
        assert result.links == (Link("ENG-1.2", "label kr:ENG-1.2"),)

    def test_custom_prefix_is_case_insensitive(self) -> None:
        """The prefix comes from config; `OKR/` matches `okr/`."""
        result = match_task(task(1, TaskState.OPEN, "okr/eng-1.3"), rules(prefix="OKR/"))
        assert result.kr_ids == ("ENG-1.3",)

    def test_deleted_task_matches_nothing(self) -> None:
        """A deleted task links no KR and reports nothing."""
        result = match_task(task(1, TaskState.DONE, "kr:ENG-1.2", "kr:NOPE", deleted=True), rules())
        assert result.links == ()
        assert result.unknown == ()


class TestUnknownKr:
    """A prefixed label whose id is not configured is reported with close ids, never ignored."""

    def test_unknown_id_is_reported_with_close_suggestions(self) -> None:
        """`kr:ENG-1.4` is unknown; the close ids are suggested, closest first."""
        result = match_task(task(1, TaskState.OPEN, "kr:ENG-1.4"), rules())
        assert result.links == ()
        assert result.unknown == (UnknownKr("kr:ENG-1.4", "ENG-1.4", ("ENG-1.2", "ENG-1.3")),)

    def test_at_most_three_suggestions(self) -> None:
        """Only the three closest ids are suggested."""
        known = rules("A-1", "A-2", "A-3", "A-4", "A-5")
        result = match_task(task(1, TaskState.OPEN, "kr:A-9"), known)
        assert len(result.unknown[0].suggestions) == 3

    def test_far_away_id_gets_no_suggestion(self) -> None:
        """Nothing close, nothing suggested."""
        result = match_task(task(1, TaskState.OPEN, "kr:completely-different"), rules())
        assert result.unknown == (UnknownKr("kr:completely-different", "completely-different", ()),)

    def test_prefix_without_id_is_reported(self) -> None:
        """A bare `kr:` label is reported as naming no id."""
        result = match_task(task(1, TaskState.OPEN, "kr:"), rules())
        assert [item.kr_id for item in result.unknown] == [""]

    def test_unknown_and_known_labels_on_one_task(self) -> None:
        """A task can link one KR and still report another label's unknown id."""
        result = match_task(task(1, TaskState.OPEN, "kr:ENG-1.2", "kr:ENG-9"), rules())
        assert result.kr_ids == ("ENG-1.2",)
        assert [item.kr_id for item in result.unknown] == ["ENG-9"]


class TestExplicitRules:
    """Explicit label and regex rules, optionally scoped to a source or a container."""

    @pytest.mark.parametrize(
        ("rule", "labels", "linked"),
        [
            (Rule(("ENG-1.2",), label="frontend"), ("Frontend",), ("ENG-1.2",)),
            (Rule(("ENG-1.2",), label="frontend"), ("frontend-old",), ()),
            (Rule(("ENG-1.2", "OPS-2.1"), label="infra"), ("infra",), ("ENG-1.2", "OPS-2.1")),
            (Rule(("OPS-2.1",), regex=r"^perf"), ("PERF: db",), ("OPS-2.1",)),
            (Rule(("OPS-2.1",), regex=r"latency"), ("api-latency-p99",), ("OPS-2.1",)),
            (Rule(("OPS-2.1",), regex=r"^perf$"), ("perf-db",), ()),
            (Rule(("ENG-1.2",), label="ui", source="acme-github"), ("ui",), ("ENG-1.2",)),
            (Rule(("ENG-1.2",), label="ui", source="other"), ("ui",), ()),
            (Rule(("ENG-1.2",), label="ui", container="ACME/web"), ("ui",), ("ENG-1.2",)),
            (Rule(("ENG-1.2",), label="ui", container="acme/api"), ("ui",), ()),
        ],
    )
    def test_rule_links_when_it_fires_in_scope(
        self, rule: Rule, labels: tuple[str, ...], linked: tuple[str, ...]
    ) -> None:
        """Labels match exactly (any case), regexes search (any case), scopes restrict."""
        result = match_task(task(1, TaskState.OPEN, *labels), rules(explicit=(rule,)))
        assert result.kr_ids == linked

    def test_rule_text_says_which_rule_fired(self) -> None:
        """The reason names the rule kind, its pattern and its scope."""
        rule = Rule(("OPS-2.1",), regex="^perf", container="acme/web")
        result = match_task(task(1, TaskState.OPEN, "perf-db"), rules(explicit=(rule,)))
        assert result.links == (Link("OPS-2.1", "rule regex '^perf' on 'perf-db' in acme/web"),)

    def test_prefixed_label_consumed_by_a_rule_is_not_unknown(self) -> None:
        """An explicit rule for `kr:legacy` links it; the default rule does not also report it."""
        rule = Rule(("ENG-1.3",), label="kr:legacy")
        result = match_task(task(1, TaskState.OPEN, "kr:legacy"), rules(explicit=(rule,)))
        assert result.kr_ids == ("ENG-1.3",)
        assert result.unknown == ()

    def test_rule_naming_an_unknown_kr_is_reported(self) -> None:
        """A rule pointing at a KR that is not configured is reported, not silently linked."""
        rule = Rule(("ENG-7",), label="frontend")
        result = match_task(task(1, TaskState.OPEN, "frontend"), rules(explicit=(rule,)))
        assert result.links == ()
        assert result.unknown[0].label == "frontend"
        assert result.unknown[0].kr_id == "ENG-7"

    def test_rule_kr_ids_resolve_case_insensitively(self) -> None:
        """A rule may spell the KR id in any case; the link uses the configured spelling."""
        rule = Rule(("eng-1.2",), label="frontend")
        assert match_task(task(1, TaskState.OPEN, "frontend"), rules(explicit=(rule,))).kr_ids == ("ENG-1.2",)


class TestTrackerLinks:
    """KR ids the tracker sets itself (an Asana enum field) link too."""

    def test_linked_krs_link_with_their_reason(self) -> None:
        """The link says the tracker set it."""
        result = match_task(task(1, TaskState.OPEN, linked_krs=("eng-1.3",)), rules())
        assert result.links == (Link("ENG-1.3", "set in the tracker (acme-github)"),)

    def test_unknown_linked_kr_is_reported(self) -> None:
        """A tracker-set id that is not configured is reported like a label."""
        result = match_task(task(1, TaskState.OPEN, linked_krs=("ENG-1.5",)), rules())
        assert [item.kr_id for item in result.unknown] == ["ENG-1.5"]


class TestTaskPoints:
    """A task's points: a `points:N` label wins over the tracker's number, invalid labels are skipped."""

    @pytest.mark.parametrize(
        ("labels", "points", "expected"),
        [
            (("points:3",), None, 3.0),
            (("Points: 2.5",), None, 2.5),
            (("points:5",), 8.0, 5.0),
            ((), 8.0, 8.0),
            ((), None, None),
            (("points:many",), 2.0, 2.0),
            (("points:-1",), None, None),
            (("points:nan",), None, None),
            (("points:inf",), 1.0, 1.0),
            (("points:x", "points:4"), None, 4.0),
            (("points:0",), 3.0, 0.0),
        ],
    )
    def test_points(self, labels: tuple[str, ...], points: float | None, expected: float | None) -> None:
        """Label first (first valid one), then the task's own points, else None."""
        assert task_points(task(1, TaskState.OPEN, *labels, points=points), "points:") == expected


class TestMatchRules:
    """The rules object itself."""

    def test_rules_are_comparable_and_hashable(self) -> None:
        """Two rule sets built from the same config are equal, and usable as cache keys."""
        first = MatchRules("kr:", frozenset({"A-1"}))
        second = MatchRules("kr:", frozenset({"A-1"}))
        assert first == second
        assert hash(first) == hash(second)


IDS = st.text(alphabet="ENGOPS-.123", min_size=1, max_size=8)


def _plain_ratio(candidate: str, wanted: str) -> float:
    """difflib's ratio in `get_close_matches`' argument order: the candidate first, the wanted word second.

    The order matters (`ratio('322', '231212')` is 0.67, the other way round 0.44)."""
    return difflib.SequenceMatcher(None, candidate, wanted).ratio()


@settings(max_examples=150)
@given(known=st.frozensets(IDS, min_size=1, max_size=25), wanted=IDS)
@example(known=frozenset({"322"}), wanted="231212")
def test_suggestions_equal_a_plain_difflib_ranking(known: frozenset[str], wanted: str) -> None:
    """The quick search suggests exactly the three best difflib ratios (>= 0.6), ties to the smaller id."""
    spelled = {kr_id.casefold(): kr_id for kr_id in sorted(known)}
    scored = sorted(
        (-_plain_ratio(key, wanted.casefold()), kr_id)
        for key, kr_id in spelled.items()
        if _plain_ratio(key, wanted.casefold()) >= 0.6
    )
    assert MatchRules("kr:", known).suggestions(wanted) == tuple(kr_id for _, kr_id in scored[:3])


@settings(max_examples=150)
@given(known=st.frozensets(IDS, min_size=1, max_size=25), wanted=IDS)
@example(known=frozenset({"322"}), wanted="231212")
def test_suggestions_score_like_difflib_get_close_matches(known: frozenset[str], wanted: str) -> None:
    """Every suggestion is one `difflib.get_close_matches` finds too: both score in the same argument order."""
    spelled = {kr_id.casefold(): kr_id for kr_id in known}
    close = difflib.get_close_matches(wanted.casefold(), list(spelled), n=len(spelled), cutoff=0.6)
    suggested = MatchRules("kr:", known).suggestions(wanted)
    assert {kr_id.casefold() for kr_id in suggested} <= set(close)
    assert len(suggested) == min(3, len(close))
