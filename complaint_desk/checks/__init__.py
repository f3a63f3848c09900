"""Draft checks: one spec per SPEC rule (rules.py) and per script move (moves.py), the
checker that applies them (checker.py), and what the guard, the prompts and the UI read."""

from complaint_desk.checks.amounts import check_grant
from complaint_desk.checks.checker import check_draft, check_drafts
from complaint_desk.checks.money import offers
from complaint_desk.checks.moves import MOVE_SPECS, MoveSpec, tag_clauses
from complaint_desk.checks.rules import RULE_SPECS, RuleSpec

__all__ = ["MOVE_SPECS", "RULE_SPECS", "MoveSpec", "RuleSpec", "check_draft", "check_drafts", "check_grant", "offers",
           "tag_clauses"]
