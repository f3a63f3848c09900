"""The script composer: a deterministic drafter that needs no model.

It writes the SPEC script move by move from phrase banks (per move × persona × topic ×
flags, in phrasebank.toml) and the precedent's usual remedy. Wording varies with the
complaint (a stable hash picks among variants), so two complaints rarely get the same
letter, while the same complaint always gets the same draft. It is the fallback when no
model is reachable, and the guard borrows its sentences to repair a model's draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from complaint_desk import vocab
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.fitting import (
    context,
    customer_text,
    fits,
    fitting,
    pressing_steps,
    urgent,
)
from complaint_desk.drafting.plan import (
    APPROVED,
    ASKS,
    CRISIS_CONTACT,
    FEAR_FEELING,
    FLAG_STEPS,
    PRAISE,
    PROPOSED_ASKS,
    SUGGESTION,
    SUPERVISOR_SETS_AMOUNT,
    answers_inquiry,
    as_said,
    as_sentence,
    chosen_remedy,
    compensation_amount,
    contact_time,
    is_topic_apology,
    phrasebank,
    pick,
    plan_for,
    with_plan,
)
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.text import shares_run

# the customer's dialect (额滴, 咋整), laughter and exclamation (traditional script is said back
# in simplified: plan.customer_words)
_UNSAYABLE = re.compile(r"额滴|俺|咋|啥|嘛|咧|啦|哈哈|呗|侬|阿拉|伐|冇|嘅|佢|咁|死人|要命|所谓|急死|滴[，。]?$")
# an open question: one we can say back as 您问到…
_OPEN_QUESTION = re.compile(r"什么|怎么|怎样|如何|哪|多少|几|为什么|为何|谁|多久|多长")
# an open question that is a taunt or despair, however it is worded ("人在哪儿", "身无分文是什么滋味")
_RHETORICAL_ASK = re.compile(r"滋味|在哪儿|在哪里$|算什么|什么意思|什么东西|凭什么|为什么要这样|怎么活|怎么办才好")
SAID_TWICE = 8  # a 说 this near the start of a point makes the lead 您提到, not a second 说
# the verb a yes-no question's choice turns on: not the 要 of 需要/想要/主要, the 会 of 会员/机会, the 能 of 才能/可能;
# 是 and 有 only where they open it (是政策调整了吗, 有儿童套餐吗)
_MODAL = re.compile(r"可以|需要|(?<![需想主重只不])要|(?<![机社开不学])会(?!员|议|计|所)|(?<![才可功技本])能(?!力|源|量)|^是|^有")
_PRAISED = re.compile(r"(?:表扬|感谢|谢谢|夸夸?|点赞)(?:一下)?(?:你们)?(?:的)?(?:那位|这位)?"
                      r"([\u4e00-\u9fff]{0,2}?(?:老师|师傅|医生|大夫|护士|经理|小哥|教练|导游|司机|阿姨|店长|顾问|管家|客服|保安|前台))")
GIST_CHARS = 40  # a point said back stops before the clause that passes this length (a long echo read as recited)
OWN_WORDING_RUN = 12  # as many characters in a row as the copy check counts (drafting/copying.py)
WORDING_TRIES = 8


def sentence(move: str, request: DraftRequest) -> str:
    """One sentence (or a few) for a move, fitted to this complaint."""
    bank = phrasebank()
    key = request.key
    topic = request.topic
    plan = plan_for(request)
    inquiry = answers_inquiry(request)
    if move == "empathize":
        if plan.kind == "praise":
            who = praised(request.complaint)
            return pick(bank["praise"]["named"], key, "praise").format(who=who) if who else \
                pick(bank["praise"]["open"], key, "praise")
        if suggesting(request):
            # the suggestion itself, not the reasons before it ("床垫偏软" is not the idea to praise)
            proposal = next((clause for issue in plan.issues for clause in issue.split("，") if clause.startswith("建议")), "")
            # a suggestion in other words (米饭有点硬，下次煮软一点): the last point that is not praise, said back
            point = next((gist(issue) for issue in reversed(plan.issues)
                          if not PRAISE.search(issue) and not is_question(issue) and sayable(gist(issue))), "")
            said = f"您{proposal}，" if proposal else f"{restated(point, '您提到')}，" if point else ""
            return pick(bank["suggestion"]["open"], key, "open").format(said=said)
        if inquiry:
            return pick(bank["inquiry"]["open"], key, "open") + inquiry_opening(plan.issues)
        if "crisis" in request.flags:  # the person first; their words are not said back
            return fitted(bank["empathize"]["flag"]["crisis"], request, "empathize")
        told = opening_issue(plan.issues)[0]
        restate = restated(gist(told), pick(bank["restate"]["leads"], key, "lead")) if told else \
            fitted(bank["restate"][topic], request, "restate", bank["restate"]["other"])
        feelings = bank["empathize"]["flag"]["safety"] if "safety" in request.flags else \
            bank["empathize"]["fear"] if plan.feeling == FEAR_FEELING else bank["empathize"]["anger"][str(request.anger)]
        opening = fitted(feelings, request, "empathize").format(restate=restate)
        return opening + fitted(bank["empathize"]["persona"][request.persona], request, "persona")
    if move == "apologize":
        if not plan.apology:
            return ""
        if not is_topic_apology(plan.apology):  # what happened (a situation's, the danger's) or the agent's own line
            return f"{as_said(plan.apology).rstrip('。')}。"
        return fitted(bank["apologize"].get(topic, []), request, "apologize", bank["apologize"]["other"])
    if move == "clarify":
        # an inquiry's opening names every question it asks; the other kinds' openings say back one point
        rest = opening_issue(plan.issues)[1] if plan.kind == "complaint" else \
            [issue for issue in plan.issues if not is_question(issue)] if plan.kind == "inquiry" else plan.issues[1:]
        # a suggestion's own idea is said in the opening and passed on in the solve move: only questions remain
        others = noted([issue for issue in rest if not suggesting(request) or is_question(issue)],
                       unsaid=plan.kind != "inquiry")  # an inquiry's answer line already promises the answer
        if request.hint:
            notes = request.hint.strip().rstrip("。.！!；;，, ")
            return others + pick(bank["notes"]["templates"], key, "notes").format(notes=notes)
        if plan.ask and plan.ask not in PROPOSED_ASKS:  # a situation's lookup or the agent's edited line
            return others + f"{as_said(plan.ask).rstrip('。')}。"
        return others + ("" if inquiry else fitted(bank["clarify"][topic], request, "clarify", bank["clarify"]["other"]))
    if move == "solve":
        if plan.kind == "praise":
            return pick(bank["praise"]["pass_on"], key, "pass_on").format(who=praised(request.complaint) or "为您服务的同事")
        if suggesting(request):
            return pick(bank["suggestion"]["pass_on"], key, "pass_on")
        if inquiry:
            return pick(bank["inquiry"]["answer"], key, "answer")
        # pressed for time (a hearing, no power, money for a hospital): say first that it goes ahead of the queue
        # (a pressing situation's own step says what happens first: no second sentence of hurry)
        pressing = any(step in plan.remedies for step in pressing_steps(request.complaint))
        hurry = pick(bank["urgent"]["solve"], key, "urgent") if urgent(request.complaint) and not pressing else ""
        if plan.remedies:
            return hurry + "".join(remedy_sentence(line, request) for line in plan.remedies)
        remedy = chosen_remedy(request)
        options = bank["approved"]["compensation"] if request.approved_amount else bank["solve"]["remedy"][remedy]
        text = fitted(options, request, "solve", options[:1]).format(amount=f"{compensation_amount(request):g}")
        flags = "".join(fitted(bank["solve"]["flag"][flag], request, f"flag-{flag}") for flag in request.flags)
        return text + flags
    if move == "consult":
        if plan.kind == "praise":
            return pick(bank["praise"]["consult"], key, "consult")
        # 补偿方式 is asked about only where the plan offers compensation
        persona = "inquiry" if inquiry else request.persona
        if persona == "claiming" and not any(line.startswith(vocab.REMEDY_NAMES["compensation"]) for line in plan.remedies):
            persona = "default"
        options = bank["consult"].get(persona, bank["consult"]["default"])
        return pick(options, key, "consult")
    if move == "follow_up":
        if plan.kind in ("praise", "suggestion") and not any(map(is_question, plan.issues)):
            return ""  # nothing to follow up: thanked and passed on (a question asked beside it is answered)
        if plan.contact == CRISIS_CONTACT:
            return pick(bank["follow_up"]["crisis"], key, "follow_up")
        time = plan.contact.removesuffix("联系客户") if plan.contact else contact_time(request, plan.kind)
        templates = bank["follow_up"]["inquiry" if inquiry else "templates"]
        if not all(fits(template, context(request)) for template in templates):  # a channel is barred: name one that suits
            templates = bank["follow_up"]["any_channel"]
        return pick(templates, key, "follow_up").format(time=time)
    if move == "thank":
        if suggesting(request):
            return pick(bank["thank"]["suggestion"], key, "thank")
        if plan.kind == "inquiry":
            return pick(bank["thank"]["inquiry"], key, "thank")  # a question is not feedback that helps us improve
        if plan.kind == "praise":
            return pick(bank["thank"]["praise"], key, "thank")
        options = bank["thank"]["upset"] if request.anger >= 2 and plan.kind == "complaint" else \
            bank["thank"].get(request.persona, bank["thank"]["default"])
        return pick(options, key, "thank")
    raise ValueError(f"unknown move {move!r}")


def praised(complaint: str) -> str:
    """Whom the customer praises, as they name them (表扬一下周老师 → 周老师), if they do."""
    match = _PRAISED.search(customer_text(complaint))
    return match.group(1) if match else ""


def suggesting(request: DraftRequest) -> bool:
    """A calm message that only suggests: thanked and passed on, not answered as a question."""
    kind = plan_for(request).kind
    return kind == "suggestion" or (answers_inquiry(request) and kind != "praise" and bool(
        SUGGESTION.search(request.complaint)) and not ASKS.search(request.complaint))


def fitted(options: Sequence[str], request: DraftRequest, slot: str, fallback: Sequence[str] = ("",)) -> str:
    """A variant that names only what the complaint or the notes speak of (drafting/fitting.py),
    else one of the fallback's (by default nothing: a filler that does not fit is left out)."""
    said = context(request)
    return pick(fitting(options, said) or fitting(fallback, said) or list(fallback), request.key, slot)


def restated(issue: str, lead: str = "您反映") -> str:
    """What the customer reported, said back."""
    if issue.startswith(("您说", "您问", "您提到", "您反映")):  # "我说包裹破了…": no lead before it ("您提到您说")
        return issue
    # "听您说说是“一对一”", "您说广告里说“无痛胃镜”": the lead does not say 说 twice
    return f"您提到{issue}" if lead.endswith("说") and "说" in issue[:SAID_TWICE] else f"{lead}{issue}"


def is_question(issue: str) -> bool:
    """A point the customer asks (complaint_issues keeps its question mark)."""
    return issue.endswith(("？", "?"))


def sayable(words: str) -> bool:
    """Whether the customer's words read well in our letter: not their dialect, laughter or
    exclamation (额滴神啊, 哈哈, 急死人了 said back read to every blind reader as pasted)."""
    return not _UNSAYABLE.search(words)


def asked(issue: str) -> str:
    """The question of a point, as we can say it back (您问到…): an open question (什么, 怎么,
    哪, 多少 …) said well; not a yes-no question ("问可以复查一下吗" read as stiff), nor one in
    the customer's own turns of phrase."""
    question = issue.rstrip("？?").split("，")[-1]
    return question if _OPEN_QUESTION.search(question) and not question.endswith(("吗", "么", "呢")) and \
        sayable(question) and not _RHETORICAL_ASK.search(question) else ""


def inquiry_opening(issues: Sequence[str]) -> str:
    """What an inquiry's opening says of the questions: every one that can be said back well
    (blind readers: "漏掉降压药能否服用"), an open one as asked and a yes-no one as its choice
    (要提前预约吗 → 要不要提前预约); what was reported where nothing is asked; else only that we
    have it. What they told us before asking is said with the questions, never alone ("您反映第一次带
    宝宝坐飞机，我们记下了" read as not listening)."""
    questions = [issue for issue in issues if is_question(issue)]
    if questions:
        said = [question for question in map(question_said, questions) if question]
        # what they told us before asking, where the question leans on it (第五天了还在始发地 … 是不是卡住了)
        told = "" if is_question(issues[0]) else gist(issues[0])
        context = f"{restated(told, '您提到')}，" if told and sayable(told) else ""
        if not said:
            return f"{context}您的问题我们记下了。"
        return f"{context or '您'}想了解{'，以及'.join(said)}，我们记下了。"
    first = issues[0] if issues else ""
    return f"{restated(gist(first))}，我们记下了。" if first and sayable(gist(first)) else ""


def question_said(issue: str) -> str:
    """A question as our letter names it: an open one as asked, a yes-no one as its choice, else
    the yes-no question in quotation marks ("您想了解可以复查一下吗" read as stiff)."""
    question = asked(issue)
    if question:
        return question
    whole = issue.rstrip("？?")  # with its condition where it fits (提前还款的话，手续费还要不要收)
    said = whole if len(whole) <= GIST_CHARS else whole.split("，")[-1]
    if not sayable(said) or len(said) > GIST_CHARS or _RHETORICAL_ASK.search(said):
        return ""
    return yes_no(said) or f"「{said}」"


def yes_no(question: str) -> str:
    """A yes-no question as its choice: 还能吃吗 → 还能不能吃, 要提前预约吗 → 要不要提前预约; none where
    no modal verb opens the choice."""
    bare = question.removesuffix("吗").removesuffix("么")
    if bare == question:
        return ""
    match = _MODAL.search(bare)
    if not match:
        return ""
    modal = match.group()
    choice = {"可以": "可不可以", "需要": "需不需要", "有": "有没有"}.get(modal, f"{modal}不{modal}")
    return f"{bare[:match.start()]}{choice}{bare[match.end():]}"


def gist(issue: str) -> str:
    """The first clauses of a point, short enough to say back without reciting the complaint."""
    kept = ""
    for clause in issue.split("，"):
        if kept and len(kept) + len(clause) > GIST_CHARS:
            break
        kept = f"{kept}，{clause}" if kept else clause
    # a question cut short is no longer the question: it is said back as what the customer reported
    return kept if kept != issue.rstrip("？?") else issue


def opening_issue(issues: Sequence[str]) -> tuple[str, list[str]]:
    """The point a complaint's opening says back, and the points left for the clarify move: the
    first thing the customer reported, not a question (a question said back in the opening read
    to blind readers as an echo; the clarify move promises its answer) — for a point that ends in
    a question, what it reports, leaving only its question; nor the praise before a "就是…"
    (小哥人特别好…就是电话打得太早); and only what reads well in our letter."""
    for index, issue in enumerate(issues):
        *reported, question = issue.rstrip("？?").split("，") if is_question(issue) else (issue, "")
        told = "，".join(reported)
        if told and not PRAISE.search(told) and sayable(gist(told)):
            left = [f"{question}？"] if question else []
            return told, [*issues[:index], *left, *issues[index + 1:]]
    return "", list(issues)


def noted(issues: Sequence[str], unsaid: bool = True) -> str:
    """The message's further points that need something from us: a suggestion passed on (beside
    praise too), a question promised an answer (one that cannot be said back well only where
    `unsaid`: an inquiry's answer line already promises it). Its further facts are not recited
    back ("还有…我们也会核实" read to the blind graders as a form); the restated first point and
    the plan answer them."""
    questions = [issue for issue in issues if is_question(issue)]
    suggestions = [issue for issue in issues if issue not in questions and issue.startswith("建议")]
    said = "".join(f"您{issue}，我们会转给负责的同事认真研究。" for issue in suggestions)
    said_back = [asked(issue) for issue in questions]
    # a question that cannot be said back well is answered all the same, once, without its words
    rest = "您提出的问题，我们核实后会在联系您时一并答复。" if unsaid and not all(said_back) else ""
    return said + "".join(f"您问到{question}，我们核实后会在联系您时一并答复。" for question in said_back if question) + rest


def remedy_sentence(line: str, request: DraftRequest) -> str:
    """One plan line of the solve move in the customer's words: a remedy by name (its amount
    from the line, which came from policy, an approval or the agent), a flag's required step,
    or the agent's own words."""
    bank = phrasebank()
    step = next((flag for flag, text in FLAG_STEPS.items() if text == line), None)
    if step:
        return fitted(bank["solve"]["flag"][step], request, f"flag-{step}")
    if line.endswith(SUPERVISOR_SETS_AMOUNT):
        return pick(bank["solve"]["remedy"]["compensation_serious"], request.key, "solve")
    named = ((rid, re.fullmatch(rf"{re.escape(name)}(?:\s*(\d+(?:\.\d+)?)\s*元)?(?:{re.escape(APPROVED)})?", line))
             for rid, name in vocab.REMEDY_NAMES.items())
    remedy, match = next(((rid, m) for rid, m in named if m), (None, None))
    if remedy is None or match is None:  # a situation's step, the customer's demand, or the agent's own words
        return f"{as_sentence(line).rstrip('。')}。"
    amount = float(match.group(1)) if match.group(1) else compensation_amount(request)
    options = bank["approved"]["compensation"] if line.endswith(APPROVED) else bank["solve"]["remedy"][remedy]
    return fitted(options, request, "solve", options[:1]).format(amount=f"{amount:g}")


def compose(request: DraftRequest) -> str:
    """A complete letter in three paragraphs that follows the request's plan. The customer's
    own words restated can carry what a reply must not say (a rude remark they quote), so a
    letter that fails the checks that way is rewritten with the topic's own restatement."""
    letter = _own_wording(request)  # each wording variant settles its own plan (its contact time varies too)
    settled = with_plan(request)  # what the checks below read: the plan the first letter followed
    plan = plan_for(settled)
    result = check_for_request(letter, settled)
    if plan.issues and not result.passed:  # first without the clauses that carry what was flagged
        spans = [v.span for v in result.violations if v.span]
        kept = tuple(issue for issue in ("，".join(c for c in issue.split("，") if not any(s in c for s in spans))
                                         for issue in plan.issues) if issue)
        for issues in (kept, ()):
            letter = _own_wording(replace(request, plan=replace(plan, issues=issues)))
            if check_for_request(letter, settled).passed:
                break
    return letter


def _own_wording(request: DraftRequest) -> str:
    """The letter worded so that no OWN_WORDING_RUN characters in a row repeat a reference
    case the request shows."""
    sources = [text for case in request.examples for text in (case.complaint, case.reply)]
    letters = (_letter(replace(request, variant=variant)) for variant in range(WORDING_TRIES))
    first = next(letters)
    return first if not shares_run(first, sources, OWN_WORDING_RUN) else next(
        (letter for letter in letters if not shares_run(letter, sources, OWN_WORDING_RUN)), first)


def _letter(request: DraftRequest) -> str:
    request = with_plan(request)  # built once for the letter's seven moves, not once per move
    moves_feelings = ["empathize"] if answers_inquiry(request) else ["empathize", "apologize"]
    paragraphs = [
        "".join(sentence(m, request) for m in moves_feelings),
        "".join(sentence(m, request) for m in ("clarify", "solve")),
        "".join(sentence(m, request) for m in ("consult", "follow_up", "thank")),
    ]
    return "\n\n".join(p for p in paragraphs if p)


class ComposerBackend:
    """LLM backend interface over the composer (no model, instant, always passes checks)."""

    name = "composer"
    description = "脚本组稿（不使用大模型）"

    def generate(self, request: DraftRequest) -> str:
        return compose(request)

    def stream(self, request: DraftRequest) -> Iterator[str]:
        yield compose(request)

    def generate_batch(self, requests: list[DraftRequest]) -> list[str]:
        return [compose(r) for r in requests]
