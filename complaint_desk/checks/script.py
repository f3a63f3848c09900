"""The structure rules: `missing_move` (a required move is absent) and `script_order`
(facts before feelings), judged on the tagged clauses of a draft."""

from __future__ import annotations

from collections.abc import Sequence

from complaint_desk.checks.moves import MOVE_SPECS, Clause, required_moves
from complaint_desk.checks.rules import RULE_SPECS
from complaint_desk.domain import Violation


def check_script(clauses: Sequence[Clause], topic: str | None, hollow: Sequence[tuple[int, int]] = ()) -> list[Violation]:
    """missing_move for absent required moves; script_order when facts come before feelings.

    A move is present when any clause carries its cue (a clause like "为您申请了一张券表示
    歉意" is both solve and apology); an apology inside a hollow sentence does not count.
    Order is judged on each clause's dominant move.
    """
    violations: list[Violation] = []
    present: set[str] = set()
    for clause in clauses:
        moves = set(clause.moves)
        if any(start <= clause.start < end for start, end in hollow):
            moves.discard("apologize")
        present |= moves
    missing = RULE_SPECS["missing_move"]
    for move in required_moves(topic):
        if move in present or (topic == "inquiry" and move == "empathize" and "thank" in present):
            continue
        spec = MOVE_SPECS[move]
        violations.append(Violation(rule="missing_move", start=0, end=0, span="", move=move,
                                    message=missing.message.format(move=spec.name), fix=spec.missing_fix))
    first: dict[str, Clause] = {}
    for clause in clauses:
        if clause.dominant:
            first.setdefault(clause.dominant, clause)
    feelings = ("empathize",) if topic == "inquiry" else ("empathize", "apologize")
    late_feeling = max((first[m].start for m in feelings if m in first), default=None)
    if "solve" in first and late_feeling is not None and first["solve"].start < late_feeling:
        solve, order = first["solve"], RULE_SPECS["script_order"]
        violations.append(Violation(rule="script_order", start=solve.start, end=solve.end, span=solve.text, move="solve",
                                    message=order.message, fix=order.fix))
    return violations
