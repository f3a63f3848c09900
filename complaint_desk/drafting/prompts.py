"""Render the prompt files in `prompts/` from a draft request (Jinja, StrictUndefined).

The SPEC script and rule table are rendered from the move and rule specs the checker uses
(complaint_desk/checks), so the prompt, the checker and the UI can never disagree about a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from jinja2 import Environment, FunctionLoader, StrictUndefined

from complaint_desk import vocab
from complaint_desk.checks import MOVE_SPECS, RULE_SPECS
from complaint_desk.drafting.composer import compose
from complaint_desk.drafting.plan import plan_for
from complaint_desk.drafting.request import DraftRequest, unfenced
from complaint_desk.drafting.sections import example, instruction_lines
from complaint_desk.errors import ActionableError
from complaint_desk.privacy import mask_pii


def _load(name: str) -> str | None:
    try:
        return resources.files("complaint_desk.prompts").joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FunctionLoader(_load), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=False, autoescape=False)


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context).strip()


def system_prompt(company: str, max_compensation: float, style: str = "plan") -> str:
    """The same for every request, so llama.cpp keeps it evaluated between drafts: what every
    letter must do lives here (about 490 tokens), and only the complaint, its triage and the plan
    are new per request (about 220 tokens; the time to first token on a CPU grows with them)."""
    moves = [{"name": spec.name} for spec in MOVE_SPECS.values()]
    # the phrasings to avoid; the other rules (format, personal data, facts) have their own line
    rules = [{"forbidden": spec.forbidden} for spec in RULE_SPECS.values()
             if spec.forbidden and spec.repair == "replace_clause" and spec.id != "unfounded"]
    return render("system.j2", company=company, moves=moves, rules=rules, max_compensation=f"{max_compensation:g}",
                  sections=style == "sections", example=example())


def user_prompt(request: DraftRequest) -> str:
    """The user message in the request's prompt style (`llm.prompt`)."""
    if request.prompt not in USER_PROMPTS:
        raise ActionableError(f"未知的提示方式 {request.prompt!r}：COMPLAINT_DESK_LLM__PROMPT 可设为 {'、'.join(USER_PROMPTS)}")
    return USER_PROMPTS[request.prompt](request)


def _triage_context(request: DraftRequest) -> dict[str, object]:
    """The complaint as the model may read it, its triage and the agent's notes."""
    return {
        "complaint": request.prompt_complaint,
        "anger_name": vocab.ANGER_NAMES[request.anger],
        "persona_name": vocab.PERSONA_NAMES[request.persona],
        "flag_names": [vocab.FLAG_NAMES[f] for f in request.flags],
        "hint": mask_pii(request.hint) if request.hint else None,
        "feedback": feedback_prompt(request) if request.feedback else None,
    }


def plan_prompt(request: DraftRequest) -> str:
    """The complaint, its notes and the reply plan: never another case's complaint or reply
    (a small model pastes what it is shown) and no other case's amounts."""
    context = {"max_compensation": f"{request.max_compensation:g}"}
    plan = plan_for(request)
    return render(
        "user.j2",
        **_triage_context(request),
        persona_strategy=render(f"personas/{request.persona}.j2", **context),
        flag_guidance=[render(f"flags/{flag}.j2", **context) for flag in request.flags],
        plan_lines=unfenced(plan.render()).splitlines(),  # its issues quote the complaint
    )


def sections_prompt(request: DraftRequest) -> str:
    """The complaint, its notes and the plan as the markers the letter is written under
    (drafting/sections.py): what each section says, in words to the customer."""
    return render("sections.j2", **_triage_context(request), sections=instruction_lines(request))


def rewrite_prompt(request: DraftRequest) -> str:
    """The composer's letter for the plan, to be rewritten in natural words: the program has
    settled the moves, facts and remedies; a small model that pastes what it is shown pastes a
    letter that already passes the checks, and only has to make it read like a person's."""
    plan = plan_for(request)
    return render(
        "rewrite.j2",
        **_triage_context(request),
        draft=compose(request),
        kind=plan.kind, apologise=bool(plan.apology), contact=plan.contact.removesuffix("联系客户"),
    )


USER_PROMPTS: dict[str, Callable[[DraftRequest], str]] = {"plan": plan_prompt, "rewrite": rewrite_prompt,
                                                          "sections": sections_prompt}


def feedback_prompt(request: DraftRequest) -> str:
    """What the checker found last time, by rule, without quoting the failed draft."""
    items, seen = [], set()
    for v in request.feedback:
        if (v.rule, v.message) not in seen:
            seen.add((v.rule, v.message))
            advice = RULE_SPECS[v.rule].advice
            items.append({"rule_name": vocab.RULE_NAMES[v.rule], "message": v.message, "fix": v.fix,
                          "advice": advice if advice and advice not in (v.fix or "") else ""})
    return render("feedback.j2", violations=items)


def chat_messages(request: DraftRequest) -> list[dict[str, str]]:
    """System + user message; a retry's user message also names what the checker found."""
    return [
        {"role": "system", "content": system_prompt(request.company, request.max_compensation, request.prompt)},
        {"role": "user", "content": user_prompt(request)},
    ]
