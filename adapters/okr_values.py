"""What the metric stores (Quantive, WorkBoard) are sent for a KR: its number and a comment saying where the
number came from. Pure, and free of anything that moves by itself (expected progress, the date): a KR whose
progress did not change renders the same write, so it is never written again."""

from __future__ import annotations

from syncd.ports import OkrState, PushWrite, WriteKind


def metric_value(state: OkrState, value: str) -> float:
    """The number for the store: progress in percent (two decimals), or the KR's current value (its count or
    metric value; done tasks for a tasks KR)."""
    if value == "current":
        return state.current if state.current is not None else state.done
    return round(state.progress * 100, 2)


def metric_comment(state: OkrState) -> str:
    """Where the number came from: tasks done of total and the sources, or the check-ins of a metric KR."""
    if state.total:
        where = f" in {', '.join(state.sources)}" if state.sources else ""
        return f"syncd: {state.done:g} of {state.total:g} tasks done{where} ({state.progress:.0%})"
    if state.current is not None and not state.sources:
        return f"syncd: current value {state.current:g} from check-ins ({state.progress:.0%})"
    return f"syncd: no linked tasks yet ({state.progress:.0%})"


def metric_writes(state: OkrState, metrics: dict[str, str], value: str) -> list[PushWrite]:
    """The one metric write a mapped KR asks of a metric store ([] for objectives and unmapped KRs). Only the
    number decides whether it is written (`basis`): a new comment alone (tasks that moved a metric KR's count,
    not its value) makes no second check-in of the same value; the comment is the one of the number's change."""
    if state.subject != "key_result" or state.id not in metrics:
        return []
    number = metric_value(state, value)
    return [PushWrite(WriteKind.METRIC, state.id, text=metric_comment(state), number=number, basis=f"{number:.6g}")]
