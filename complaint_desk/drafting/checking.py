"""Every check a reply to one request must pass: the text checks, plus what only the
request knows — text copied from its reference cases, the approval on record (which
replaces the text-only amount check), and, where the complaint and the agent's notes are
known, whether every stated fact comes from them (`unfounded`)."""

from __future__ import annotations

from complaint_desk.checks import check_draft, check_grant
from complaint_desk.checks.draft import Draft
from complaint_desk.checks.format import customer_voice
from complaint_desk.checks.grounding import check_grounding
from complaint_desk.checks.money import amounts
from complaint_desk.config import PolicySettings
from complaint_desk.domain import CheckResult
from complaint_desk.drafting.copying import copied_from
from complaint_desk.drafting.plan import answers_inquiry, plan_for, with_plan
from complaint_desk.drafting.request import DraftRequest


def check_for_request(text: str, request: DraftRequest) -> CheckResult:
    request = with_plan(request)  # read twice below (which script, which amounts): built once
    topic = "inquiry" if answers_inquiry(request) else request.topic  # which moves the script requires
    result = check_draft(text, topic, compensation_limit=request.max_compensation)
    extra = copied_from(text, request.examples)
    draft = Draft.of(text) if request.grant is not None or request.grounded else None
    if request.grant is not None:
        kept = [v for v in result.violations if v.rule != "over_promise"]
        extra += check_grant(draft, request.grant.limit, request.grant.approved)  # type: ignore[arg-type]
        result = result.model_copy(update={"passed": not kept, "violations": kept})
    if request.grounded:
        granted = [request.default_compensation] + ([request.approved_amount] if request.approved_amount else [])
        # an amount the plan names came from policy, an approval or the agent who edited it
        granted += [a.value for line in plan_for(request).remedies for a in amounts(line)]
        limit = request.grant.limit if request.grant is not None else request.max_compensation
        extra += check_grounding(draft, request.complaint, request.hint or "", granted, limit,  # type: ignore[arg-type]
                                 goodwill=request.default_compensation)
        extra += customer_voice(draft, request.complaint)  # type: ignore[arg-type]
    if not extra:
        return result
    violations = sorted([*result.violations, *extra], key=lambda v: (v.start, v.rule))
    return result.model_copy(update={"passed": False, "violations": violations})


def check_in_context(text: str, topic: str | None, complaint: str | None, notes: str | None,
                     policy: PolicySettings) -> CheckResult:
    """A draft checked on its text, and against its complaint and the agent's notes when either
    is known (`unfounded`): what `complaint-desk check` runs on a row, and the check sets
    labelled for grounding. The complaint's anger is not known here, so it reads as calm."""
    if complaint is None and notes is None:
        return check_draft(text, topic, compensation_limit=policy.max_compensation_without_approval)
    request = DraftRequest(complaint=complaint or "", topic=topic or "other", anger=0, persona="venting",
                           hint=notes or None, max_compensation=policy.max_compensation_without_approval,
                           grounded=True, default_compensation=policy.default_compensation)
    return check_for_request(text, request)
