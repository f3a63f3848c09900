"""Render the prompt files in `prompts/` from a draft request (Jinja, StrictUndefined).

The SPEC script and rule table are rendered from the move and rule specs the checker uses
(complaint_desk/checks), so the prompt, the checker and the UI can never disagree about a rule.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, FunctionLoader, StrictUndefined

from complaint_desk import vocab
from complaint_desk.checks import MOVE_SPECS, RULE_SPECS
from complaint_desk.drafting.request import DraftRequest
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


def system_prompt(company: str, max_compensation: float) -> str:
    moves = [{"name": spec.name, "guide": spec.guide_text} for spec in MOVE_SPECS.values()]
    rules = [{"name": spec.name, "forbidden": spec.forbidden, "fix": _sentence(spec.fix)}
             for spec in RULE_SPECS.values() if spec.forbidden]
    return render("system.j2", company=company, moves=moves, rules=rules, inquiry_moves=True,
                  order_advice=RULE_SPECS["script_order"].advice, steps_advice=RULE_SPECS["missing_move"].advice,
                  max_compensation=f"{max_compensation:g}")


def _sentence(text: str) -> str:
    """An example wording (written to fit mid-letter) closed as a sentence for the prompt."""
    return text if text[-1:] in "。！？!?）)" else text + "。"


def user_prompt(request: DraftRequest) -> str:
    context = {"max_compensation": f"{request.max_compensation:g}"}
    examples = [
        {
            "complaint": mask_pii(case.complaint),
            "reply": mask_pii(case.reply),
            "remedy_name": vocab.REMEDY_NAMES[case.remedy],
            "outcome_name": vocab.OUTCOME_NAMES[case.outcome],
        }
        for case in request.examples
    ]
    return render(
        "user.j2",
        complaint=request.prompt_complaint,
        topic_name=vocab.TOPIC_NAMES[request.topic],
        anger_name=vocab.ANGER_NAMES[request.anger],
        persona_name=vocab.PERSONA_NAMES[request.persona],
        flag_names=[vocab.FLAG_NAMES[f] for f in request.flags],
        persona_strategy=render(f"personas/{request.persona}.j2", **context),
        flag_guidance=[render(f"flags/{flag}.j2", **context) for flag in request.flags],
        precedent=request.precedent.summary if request.precedent and request.precedent.total else None,
        examples=examples,
        hint=mask_pii(request.hint) if request.hint else None,
    )


def feedback_prompt(request: DraftRequest) -> str:
    items = [
        {"rule_name": vocab.RULE_NAMES[v.rule], "span": v.span, "message": v.message, "fix": v.fix}
        for v in request.feedback
    ]
    return render("feedback.j2", violations=items)


def chat_messages(request: DraftRequest) -> list[dict[str, str]]:
    """System + user messages; on a retry, the rejected draft and the checker's feedback too."""
    messages = [
        {"role": "system", "content": system_prompt(request.company, request.max_compensation)},
        {"role": "user", "content": user_prompt(request)},
    ]
    if request.previous_draft and request.feedback:
        messages.append({"role": "assistant", "content": request.previous_draft})
        messages.append({"role": "user", "content": feedback_prompt(request)})
    return messages
