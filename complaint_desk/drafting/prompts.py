"""Render the prompt files in `prompts/` from a draft request (Jinja, StrictUndefined).

The SPEC script and rule table are rendered from the vocabulary and the checks' approved
alternatives, so the prompt, the checker and the UI can never disagree about a rule.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, FunctionLoader, StrictUndefined

from complaint_desk import vocab
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.eval.checks import FIXES

MOVE_GUIDES: dict[str, str] = {
    "empathize": "先接住客户的情绪，说出他遇到的具体困扰，感谢他告诉我们",
    "apologize": "为具体的事真诚道歉，不要空洞的套话",
    "clarify": "用一句话复述问题；只在确实需要时请客户提供订单号、照片等必要信息",
    "solve": "给出政策范围内的具体方案（退货、换货、维修、补发、折价、补偿等），不过度承诺",
    "consult": "询问客户是否接受这个方案，例如“您看这样处理可以吗？”",
    "follow_up": "承诺在什么时间之前联系客户、告知进展，例如“我们会在两个工作日内与您联系”，不承诺最终结果的时间",
    "thank": "感谢客户提出问题",
}
FORBIDDEN_EXAMPLES: dict[str, str] = {
    "cannot_solve": "这个问题我解决不了",
    "policy_refusal": "我们有规定，不允许……",
    "not_my_job": "这件事不归我管／您需要自己联系快递员",
    "dont_know": "我不知道",
    "leader_decided": "这是领导定的",
    "final_answer": "这是最终答复，就这样了",
    "result_deadline": "三个工作日内给您最终结果",
    "over_promise": "保证全额赔偿，一定让您满意",
    "blame": "是您自己操作不当／你必须……／希望您冷静下来，理解我们的立场",
    "argue": "您说的不对／这不可能",
    "jargon": "工单已流转二线、SLA、风控、拦截件等内部说法",
    "insincere": "我代表系统向您道歉／如果给您带来不便……",
    "pii_leak": "完整的手机号、身份证号、银行卡号",
    "format": "**安抚情绪**：……、1. 2. 3. 编号、客服：……",
}


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
    moves = [{"name": vocab.MOVE_NAMES[m], "guide": MOVE_GUIDES[m]} for m in vocab.MOVE_IDS]
    rules = [
        {"name": vocab.RULE_NAMES[rule], "forbidden": FORBIDDEN_EXAMPLES[rule], "fix": FIXES.get(rule)}
        for rule in FORBIDDEN_EXAMPLES
    ]
    return render("system.j2", company=company, moves=moves, rules=rules, inquiry_moves=True,
                  max_compensation=f"{max_compensation:g}")


def user_prompt(request: DraftRequest) -> str:
    context = {"max_compensation": f"{request.max_compensation:g}"}
    examples = [
        {
            "complaint": case.complaint,
            "reply": case.reply,
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
        hint=request.hint,
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
