"""The reply plan: what a reply will say, move by move, decided by the program and editable
by the agent; a model (or the composer) only decides how to say it.

Built from the complaint's own sentences (each separate issue it raises), its triage, the
agent's notes, policy, any approval on record and the remedies that satisfied customers in
similar cases (remedy types only: another case's amount, date or wording never enters).
Rendered as labelled Chinese lines the agent can edit in the workbench and parsed back, so
what the agent changes is what the draft follows.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from complaint_desk import vocab
from complaint_desk.drafting.fitting import (
    INSTRUCTION,
    Situation,
    asked_remedy,
    context,
    customer_sentences,
    customer_text,
    fits,
    pressing_steps,
    remedy_barred,
    remedy_fits,
    situation_steps,
    situations,
    urgent,
)
from complaint_desk.drafting.reply_plan import ReplyPlan
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.text import split_sentences, to_simplified
from complaint_desk.triage.flags import find_flags

MAX_ISSUES = 3
MAX_ISSUE_CHARS = 50
MAX_DEMAND_CHARS = 24
# a clause that tells us what the customer wants done; group 1 is what they want
_DEMAND = re.compile(r"^[^，,]{0,6}?(?:(?<![按照据应])要求|希望|想要|我就要|(?<![也快马])就要|我只要|我只想|我就想|我要(?!求|不要)|必须|麻烦|能不能|可不可以|能否|可否)(.+)$")
# demands the plan answers otherwise: a sum (never repeated unapproved), 说法/交代, threats, money in general
_NOT_A_DEMAND = re.compile(r"核实|查一下|查查|看一下|看看|了解|告诉|说明|说说|讲讲|说一下|讲一下|问|[0-9０-９]|[一二两三四五六七八九十百千万]+(?:元|块)|说法|交代|答复|解释|回复|赔|补偿|退款|退钱|退费|退还|拖了|"
                           r"曝光|投诉|起诉|律师|媒体|给个|处理|解决|重视|认真|改进|负责|管管|说清楚|看着办|注意|提高|加强|看完|听完|耐心")
_STORY = re.compile(r"^(?:因为|由于|当时|本来|原本|原来|那时)")
_NOW = re.compile(r"^(?:所以|因此|现在|请|麻烦|我要求|要求)")
_AND = re.compile(r"并且|并|同时|还要")  # not 再: "刘师傅再来一次" is one demand
# flags whose sentences are a demand on how the complaint is handled, not an issue to answer
_THREAT_FLAGS = frozenset({"media", "regulator", "legal", "churn", "supervisor"})
# a space between two Chinese words (or an emoji) is the customer's comma ("我等不了了 明天房东收房")
_CLAUSE = re.compile(r"[，,；;：:]|(?<=[^\x00-\x7f，；：])\s+(?=[^\x00-\x7f])")
# a question that is a reproach, not something to answer
# (_REPROACH below is a reproach in any sentence; these only where the sentence asks)
_RHETORIC = re.compile(r"怎么回事|怎么管理|怎么搞的|什么意思|管不管|有没有人管|有没有搞错|像话|就是这么|这就是|"
                       r"是不是忘了|忘了当初|当初是谁|还记得|谁来负责|谁负责|谁来赔|谁来管|谁来出|谁出|"  # accountability demanded, not asked
                       r"这么.{0,6}的|还有没有|是不是觉得|负责吗|就不能|火星|"
                       r"认真的吗|寂寞|开玩笑|当我傻|当我是|有意思吗|好玩吗|能不能行|还能不能|"  # sarcasm
                       # "是打电话来玩击鼓传花的吗", "培训过吗", "冻死在门口吗": a taunt, however new its words
                       r"是[^，,]{1,16}的吗|过吗$|这么[^，,]{0,6}$|[冻饿渴热累气]死|怎么(?:可以|能|好意思|敢)")
# a reproach however it is punctuated ("差得也太远了吧", "收钱时怎么不说没空"): felt, not a point to restate
_REPROACH = re.compile(r"怎么不|凭什么|难道|是人吗|良心|太.{0,4}了吧|[吧嘛]$|你们(非|就|却|偏)(说|要)")
# the customer's feelings, demands on us and instructions to the model: acknowledged or refused, never restated
_NOT_A_POINT = re.compile(
    r"失望|生气|气死|无语|崩溃|太差|恶心|离谱|过分|受不了|不满意|"
    r"^(?:请|麻烦|马上|立刻|赶紧|必须|今天(?:必须|之内|就|给我|要|得)|给我|你们?给|希望)|^我?(?:要求|希望|想要)|说法|给个交代|帮忙看看|帮我看看|"
    r"骗子|骗人|黑店|坑人|奸商|无良|不要脸|垃圾|什么玩意|废物|饭桶|白痴|混蛋|有病|抢钱|准备好|等着瞧|走着瞧|"  # insults, taunts
    r"个屁|放屁|扯淡|什么东西|吓死|"
    r"^(?:致|尊敬的)|^(?:客户|患者|用户|顾客|乘客|业主|家长)(?:来电|来信|致电|留言)?(?:咨询|反映|反馈|投诉|称|表示)|"  # a letter's heading, a colleague's case note
    r"心里苦|不敢往下想|要命|不舒服|看着办|疯了|气炸|受够了|无奈|夸张|逼死|"  # feelings and taunts said in passing
    r"^说起来|不想闹|^(?:我)?(?:就)?想(?:好好)?问(?:一句|一下|问)?$|"  # how they come to write, not what happened
    r"说不着|说不通|没法沟通|说了也白说|"  # dismissing whoever answers: felt, not a point
    r"[累饿冻渴热烦]死|说实话|老实说|说真的|讲真|真是服了|服了|没办法了|走投无路|"  # their asides: said back, they read as mockery
    r"(?:说|讲)一遍|从头说|从头讲|耐心(?:看|听)完|听我说|事情是这样|情况是这样"  # how they tell it, not what happened
)
# a question with no question word is a reproach ("三百块买个次品？"), not something to answer
_INTERROGATIVE = re.compile(r"[吗呢么]|什么|怎么|为什么|为何|多少|哪|谁|几|是否|能不能|可不可以|可以|有没有|是不是|要不要|会不会|多久|多长|多大|多远|多高|如何|怎样|还是|(?:没有|了没)$")
# the customer's 你们/你 are us, their 我们/咱们/我 are the customer (in this order: 你们 before 你,
# 妳们 before 妳, or 妳们 came out as 我们们)
_QUOTED = re.compile(r"([“「『\"][^”」』\"]*[”」』\"])")
_PRONOUNS = (("你们", "\x00"), ("妳们", "\x00"), ("你", "\x00"), ("妳", "\x00"), ("我妈", "您母亲"), ("我爸", "您父亲"), ("我老婆", "您爱人"),
             ("我老公", "您爱人"), ("我媳妇", "您爱人"), ("闺女", "女儿"), ("我们", "您"), ("咱们", "您"), ("俺们", "您"), ("我", "您"), ("俺", "您"),
             ("贵公司", "我们"), ("贵司", "我们"), ("\x00", "我们"))
# a clause's closing particle is the customer's tone, not their words ("下次煮软一点呗" said back as "…一点")
_PARTICLE = re.compile(r"(?<!哈)(?:呗|啦|嘛|哈|呀|哦|噢)(?=，|$)")
# a colleague's case note speaks of the customer as 其 ("其订单…已申请取消")
_THEIR = re.compile(r"(?<![极尤与及])其(?=订单|账户|账号|手机|车辆|车|家人|孩子|父亲|母亲|名下)")
_SELF = re.compile(r"(?<![他她其])本人(?!身份证|签字|到场|亲自)")
# a bracketed aside (房号2108，预订确认号…) is reference, not a point: said back cut at its comma it read as broken
_ASIDE = re.compile(r"[（(][^）)]*[）)]")
# the customer's 贵酒店/贵院 is our 我们酒店 (not the 贵 of 太贵了)
_HONORIFIC = re.compile(r"贵(?=酒店|公司|店|院|行|校|单位|平台|医院|银行|学校|机构|中心|部门|品牌|药房|门店|商场|小区|物业)")
# the customer's contempt for what they complain about is theirs: said back without it ("破系统" → "系统")
_CONTEMPT = re.compile(r"(?:那个|这个|这|那)?破(?=(?:会员)?(?:系统|app|APP|软件|车|手机|店|公司|东西|玩意|网|电脑|民宿|酒店|医院|学校|机构|平台|快递|银行|小区|物业|地方|房子|房间))")
_CHECK = "说明会核实情况"
# what the reply asks for when the notes do not already answer it: the first the complaint gives
# ground for; the last of each is what we do ourselves, and needs none
_NEEDS = {
    "quality": ("请客户提供订单号和商品问题的照片", "请客户提供商品问题的照片", "请客户提供订单号", _CHECK),
    "delivery": ("请客户提供订单号", _CHECK),
    "service": ("说明会调取当时的沟通记录核实",),
    "billing": ("说明会调出账单逐项核对",),
    "refund": ("请客户提供退款申请的订单号", _CHECK),
    "account": ("说明会请技术同事调取账户记录排查",),
    "misleading": ("说明会核对当时的宣传内容和活动规则",),
    "inquiry": ("",),
    "other": (_CHECK,),
}
# the 确认 lines the program proposes by topic: the composer words these from its phrase bank;
# any other (a situation's, or the agent's own) is said as written
PROPOSED_ASKS = frozenset(wording for wordings in _NEEDS.values() for wording in wordings)
# the consult line of a complaint's plan (True) and of an inquiry's or praise's (False)
CONSULT_LINES = {True: "询问客户这样处理是否可以", False: "询问是否还有其他疑问"}
_FEELING = {0: "感谢客户告诉我们", 1: "理解客户的失望", 2: "理解客户的气愤", 3: "理解客户的愤怒，先稳住情绪"}
# harm to someone comes before how upset they are: "让人失望" after an ER visit reads as cold (a blind reader)
_HARM_FEELING = "先关心客户的身体和安全"
# and its apology is for the worry, not for a product that "did not please" (让您用得不顺心 after a steel wire in a
# fish); a danger the words describe (an injury, smoke, a gas smell) has its situation's apology, and a flag alone
# does not say there was one (让您遇到这样的危险 for a clinic's bill, where the child's fever was why they came)
SAFETY_APOLOGY = "这件事让您这么担心，我们真的很抱歉"
DANGER_APOLOGY = "让您遇到这样的危险，我们真诚地向您道歉"
# a crisis: sorry for what they went through, nothing about a wait or a product ("让您等了这么久" beside a
# despairing message read to blind readers as pasted)
CRISIS_APOLOGY = "让您遇到这么难的事，我们真的很抱歉"
# a crisis: a colleague calls at once, then stays in touch (no "within two hours" beside "at once")
CRISIS_CONTACT = "我们的同事马上联系客户，之后一直跟进"
# the plan's apology line when nothing more particular fits: the topic's, worded from the phrase
# bank; any other apology line (a situation's, the danger's, the agent's own) is said as written
_TOPIC_APOLOGY = re.compile(r"为.+方面的问题给客户带来的麻烦道歉")
# a message that asks something: not a bare suggestion
ASKS = re.compile(r"[？?]|请问|想问")
# a customer who is frightened (a threat, a near miss) is reassured, not told their anger is understood
FEAR_FEELING = "理解客户的害怕和担心"
# the customer's own fear, not a child's "不敢把头埋进水里" nor the exasperated "吓死个人"
_FEAR = re.compile(r"(?<![恐哪])(?:害怕|好怕|很怕|真怕|真的怕|我怕|怕得|怕(?:出事|被报复|他们|他|她))|吓(?:坏|到|得|出|了一跳)|不敢(?:睡|出门|回家|开车|用|一个人|住|接)|心慌|发抖|在抖|后怕")
PRAISE = re.compile(r"表扬|五星(?!级)|(?:好|超|很|太)可爱|暖心|满分|点赞|点个赞|赞一个|夸一?夸|好评|很耐心|很热情|很专业|很认真|很负责|很贴心|很细心|很用心|很满意|非常满意|服务很好|耐心得|人(?:很|特别|挺|非常|超)好|(?:特别|非常|超)(?:棒|赞)|服务(?:很|特别|挺|非常)周到|感谢.{0,8}(?:耐心|帮助|热情)")
# a grievance said after the praise ("前台挺热情的，但…"): the message is a complaint after all
_BUT = re.compile(r"但|可是|不过|就是|然而|却")
# a calm message that proposes something: thanked and passed on, not apologised for
SUGGESTION = re.compile(r"^建议|建议(?:你们|贵|可以|能|增加|加)|希望(?:你们|能|可以)|如果能")
_SUGGESTS = re.compile(r"建议|如果能|要是能|可以考虑|能不能考虑|不妨|最好能")
# …and, from someone not upset at all, a soft one ("下次煮软一点呗": a wish for next time, not a grievance)
_SOFT_SUGGESTION = re.compile(r"下次[^，。！？!?]{0,12}(?:呗|吧|哈|就好了|就更好了)")
# what makes a calm message a complaint after all, whatever else it asks or proposes
_GRIEVANCE = re.compile(r"投诉|差劲|太差|很差|失望|生气|气死|坑|骗|退款|退钱|赔|不满|垃圾|恶心|离谱|过分|欺|忽悠|糟糕|无语|"
                        r"还没|一直没|迟迟|到现在|至今|没收到|没到账|没退|错了|弄错|搞错|出错|算错|抄错|"
                        r"非让|非要|硬要|眼泪|哭|委屈|无奈")
# the customer wants an answer today
_TODAY = re.compile(r"今天(?:之内|内)?(?:必须|一定|就要|给我|给个|的答复|答复|回复|处理|解决)|今天之内|等你们今天")
# a question that asks us to act (能帮忙看看吗) is a request about a problem, not a question to answer
_ACT = re.compile(r"帮|处理|解决|看看|查查|查一下|催")
# the word that joins a point to what came before ("就是电话打得太早了") is not said back
_LEAD = re.compile(r"^(?:就是|但是|可是|不过|只是|然而|但|另外|还有|而且)")
_ASKING = re.compile(r"^(?:请问一下|请问|顺便问问?|想问问?一下|想问问?|问一下|咨询一下|我想咨询一下|想咨询一下|想咨询|我想问一下)")
_QUESTION = re.compile(r"^(?:请问|想问|问一下|咨询一下)|[吗呢么][？?]?$|[？?]$")
# how a remedy line says where its amount came from; the composer reads the same marks
APPROVED = "（主管已批准）"
SUPERVISOR_SETS_AMOUNT = "（金额由主管核定后告知客户）"
# flags whose step is only that one person takes the case: said once, however many apply
_ONE_PERSON = frozenset({"vulnerable", "media", "legal"})
# what each flag adds to the remedies (the composer words each from the phrase bank)
FLAG_STEPS = {
    # what to do about the harm itself (see a doctor, stop driving, turn off the gas) is the situation's step
    "safety": "先关心客户的身体和安全，按安全问题优先处理",
    "supervisor": "值班主管亲自联系客户",
    "vulnerable": "安排专人优先处理",
    "repeat": "承认之前没有解决好，这次专人负责到底",
    "regulator": "尊重客户向有关部门反映的权利，积极配合",
    "media": "专人负责核实处理",
    "legal": "专人核实处理，不与客户争辩",
    "churn": "表达珍惜，用这次处理重新赢得信任",
    # SPEC: a person answers a crisis first; a plan an agent opens still puts the person's safety before anything
    "crisis": "先确认客户现在是否安全，同事马上给客户打电话，有危险请立即拨打110或120，或全国心理援助热线12356",
}


@lru_cache(maxsize=1)
def phrasebank() -> dict:
    text = resources.files("complaint_desk.drafting").joinpath("phrasebank.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def pick(options: list[str], key: str, slot: str) -> str:
    """A variant chosen by a stable hash of (complaint, slot)."""
    digest = hashlib.sha1(f"{slot}\x1f{key}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def chosen_remedy(request: DraftRequest) -> str:
    """What the customer asks for, else what the situation their words describe needs (a
    repair or an exchange for a fault), else the precedent's most common remedy that satisfied
    customers, else the topic default — of these only one the complaint gives ground for (no
    补发 for a missed callback), and one that puts things right before a token amount; else
    escalation to the responsible supervisor."""
    bank = phrasebank()["solve"]
    if request.approved_amount:
        return "compensation"
    asked = asked_remedy(request.complaint)
    # what they ask for stands, unless it is barred (修一下 a video: no repairman to send)
    if asked in bank["remedy"] and not remedy_barred(asked, context(request)):
        return asked
    if "safety" in request.flags:  # harm to someone: what it cost them is for a supervisor to make good
        return "compensation"
    said = context(request)
    situated = [remedy for situation in situations(request.complaint) for remedy in situation.remedies]
    satisfied = [remedy for remedy, _count, happy, _amounts in (request.precedent.by_remedy if request.precedent else ())
                 if happy]
    # what puts the problem right comes before money that only says sorry
    candidates = [*situated, *sorted([*satisfied, bank["topic_default"][request.topic]], key=lambda r: r == "compensation")]
    return next((r for r in candidates if r in bank["remedy"] and remedy_fits(r, said)), "escalation")


def hurt(situation: Situation, request: DraftRequest) -> bool:
    """Whether what happened is apologised for as a danger: smoke, a gas smell, a falling lift; or
    an injury triage also reads as a safety risk (glass in the mouth, not a bruise from a drip)."""
    return situation.danger or (situation.harm and "safety" in request.flags)


def compensation_amount(request: DraftRequest) -> float:
    """The amount a supervisor approved, else the policy's default: never another case's
    amount (that would be `unfounded`), never above what an agent may grant alone."""
    if request.approved_amount:
        return request.approved_amount
    return min(request.default_compensation, request.max_compensation)


def customer_words(sentence: str) -> str:
    """A complaint sentence as the reply can restate it, in the letter's simplified script: the
    customer's 我 becomes 您, their 你们 our 我们 — outside quotation marks, where the words are
    someone else's (“这不归我们管”)."""
    bare = "".join(ch for ch in to_simplified(sentence) if unicodedata.category(ch) not in ("So", "Cs", "Mn") and ch != "\ufe0f")
    parts = _QUOTED.split(_CONTEMPT.sub("", re.sub(r"\s+", "", bare).rstrip("。！？!?.…~～ ")))  # no emoji said back
    for index in range(0, len(parts), 2):
        # the register, not the words: a formal 本人 ("您说本人报名后" read as broken), a closing 呗, a case note's 其
        parts[index] = _THEIR.sub("您的", _PARTICLE.sub("", _SELF.sub("我", parts[index])))
        for old, new in _PRONOUNS:
            parts[index] = parts[index].replace(old, new)
        parts[index] = _HONORIFIC.sub("我们", parts[index])
    return "".join(parts)


def _clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(sentence) if c.strip()]


def _is_point(clause: str, question: bool, asking: bool = False) -> bool:
    """A clause that says what happened or what is asked, not how the customer feels about it,
    what they demand of us, or what they tell the model to do."""
    core = _ASKING.sub("", clause.strip("。！？!?.…~～ "))
    if len(core) < 4 or _NOT_A_POINT.search(core) or _REPROACH.search(core):
        return False
    # `asking`: the clause that carries the question mark, which must hold a question word
    return not (question and (_RHETORIC.search(core) or (asking and not _INTERROGATIVE.search(core))))


def complaint_issues(complaint: str) -> tuple[str, ...]:
    """The complaint's separate points, one per sentence: its clauses minus threats, rhetoric,
    demands, bare emotion and instructions to us, in the reply's pronouns."""
    threat_spans = [(hit.start, hit.end) for hit in find_flags(complaint) if hit.flag in _THREAT_FLAGS]
    issues: list[str] = []
    for sentence in split_sentences(to_simplified(complaint)):  # offsets kept: the threat spans still apply
        if any(sentence.start <= start < sentence.end for start, _ in threat_spans):
            continue
        question = sentence.text.rstrip()[-1:] in "？?"
        # "到底是什么服务？？": a doubled question mark is indignation, not a question to answer
        indignant = sentence.text.rstrip().endswith(("？？", "??", "？?", "?？"))
        kept: list[str] = []
        clauses = _clauses(_ASIDE.sub("", sentence.text))
        asks = False  # the sentence's closing question is among the points
        for index, clause in enumerate(clauses):
            if INSTRUCTION.search(clause):
                break
            last = index == len(clauses) - 1
            # a demand (能不能让刘师傅再来一趟？) is acknowledged as one, not restated as a question
            if (question and last and indignant) or not _is_point(clause, question, asking=last) or clause_demand(clause):
                continue
            point = _ASKING.sub("", clause)
            kept.append(point if kept else _LEAD.sub("", point))  # "就是…" opening a point, not "…，但一直显示未支付"
            asks = question and last
        words = customer_words("，".join(kept))
        if len(words) > MAX_ISSUE_CHARS:
            words = quotes_closed(words[:MAX_ISSUE_CHARS].rsplit("，", 1)[0])
        elif asks:
            words += "？"  # what the customer asks stays a question
        if len(words) >= 4 and words not in issues:
            issues.append(words)
    return tuple(issues[:MAX_ISSUES])


def quotes_closed(text: str) -> str:
    """Text cut short without an opening quotation mark left open (她说“没事，听到这些): cut
    before the quotation instead."""
    opened = [i for i, ch in enumerate(text) if ch in "“「『"]
    closed = sum(text.count(ch) for ch in "”」』")
    if len(opened) <= closed:
        return text
    return text[: opened[closed]].rstrip("，,：: 说")


def serious(request: DraftRequest) -> bool:
    """Anger at its height, a risk to someone's safety or someone vulnerable: no token amount, a
    supervisor sets it ("20元补偿与老人受困不相称", a blind reader)."""
    return request.anger >= 3 or bool({"safety", "crisis", "vulnerable"} & set(request.flags))


def plan_remedies(request: DraftRequest) -> tuple[str, ...]:
    """The remedy options: what the customer explicitly asked for, acknowledged; what each
    situation their words describe needs; the chosen remedy (with an amount only from policy
    or an approval; for a serious complaint without one, the amount is left to the
    supervisor) unless a situation's step already is the remedy; and what each flag requires,
    with one person named for it once (four flags each promising 专人 read as a form)."""
    found = situations(request.complaint)
    steps = [situation.step for situation in found if situation.step]
    demand = customer_demand(request.complaint)
    lines = [demand_line(demand)] if demand else []
    lines += steps
    remedy = chosen_remedy(request)
    asked = bool(asked_remedy(request.complaint) or request.approved_amount)
    # the customer said what they want (刘师傅再来一次, 放门口那排柜子): a stock remedy beside it (20元,
    # 严肃处理同事) read to blind readers as not listening; a situation's own remedy still stands
    situated = any(remedy in s.remedies for s in found)
    # a situation whose step already gives this remedy (核对后多收的部分原路退回): not said a second time, asked or not
    covered = any(s.instead_of_remedy and remedy in s.remedies for s in found) and not request.approved_amount
    settled = covered or (not asked and (any(s.instead_of_remedy for s in found) or (bool(demand) and not situated)))
    if not settled and not (remedy == "escalation" and "supervisor" in request.flags):  # the flag's step says it
        name = vocab.REMEDY_NAMES[remedy]
        first = f"{name} {compensation_amount(request):g} 元" if remedy == "compensation" else name
        # a claimed loss or a serious complaint: a token amount would read as an insult
        claimed = asked_remedy(request.complaint) == "compensation"
        if remedy == "compensation" and (serious(request) or claimed) and not request.approved_amount:
            first = f"{name}{SUPERVISOR_SETS_AMOUNT}"
        if request.approved_amount:
            first += APPROVED
        lines.append(first)
    if "crisis" in request.flags:  # the person's safety before any remedy
        lines.insert(0, FLAG_STEPS["crisis"])
    for flag in sorted(set(request.flags) - {"crisis"}, key=lambda f: (f in _ONE_PERSON, f)):  # 这次专人负责到底 before a bare 专人
        step = FLAG_STEPS.get(flag)
        if flag == "safety" and steps:  # the situation's step (stop driving, see a doctor) is the safety step
            continue
        if step and not (flag in _ONE_PERSON and any("专人" in line for line in lines)):
            lines.append(step)
    return tuple(lines)


def topic_apology(topic: str) -> str:
    return f"为{vocab.TOPIC_NAMES[topic]}方面的问题给客户带来的麻烦道歉"


def is_topic_apology(line: str) -> bool:
    """Whether an apology line is the topic's default (the phrase bank words it) rather than
    one to say as written."""
    return bool(_TOPIC_APOLOGY.fullmatch(line))


def customer_demand(complaint: str) -> str:
    """What the customer explicitly demands beyond a remedy type (书面道歉, 今晚的航班, 换一台新的并补漆),
    in the reply's pronouns: the last clause that opens with a demand."""
    demands = []
    for sentence in customer_sentences(complaint):
        told = False  # inside the story of what happened: "因为要办婚礼，新房必须在那之前弄好" was the need then
        for clause in _clauses(sentence.text):
            told = bool(_STORY.search(clause)) or (told and not _NOW.search(clause))
            demands.append("" if told else clause_demand(clause))
    return next((demand for demand in reversed(demands) if demand), "")


def clause_demand(clause: str) -> str:
    """The demand a clause opens with, in the reply's pronouns; none that names an amount (the
    reply never repeats a sum it has not approved), only asks for 说法/交代 or to be told
    something (a question), or is a remedy the remedy line already offers."""
    match = _DEMAND.search(clause)
    if not match:
        return ""
    # 书面道歉并赔偿检测费用: the money is the remedy's line, the written apology is the demand
    wanted = "并".join(part for part in _AND.split(match.group(1).strip("。！？!?.…~～ "))
                      if part and not _NOT_A_DEMAND.search(part))
    return customer_words(wanted) if 4 <= len(wanted) <= MAX_DEMAND_CHARS and not asked_remedy(wanted) else ""


def demand_line(demand: str) -> str:
    """The plan's line for the customer's demand: acknowledged and put first, never promised."""
    return f"客户希望的是{demand}，这一点我们会优先考虑，核实后答复客户"


def as_said(line: str) -> str:
    """A plan line as words to the customer: 客户 becomes 您 (not 客户经理), 说明会… becomes
    我们会…, a bracketed aside a clause ("补偿（金额由主管核定后告知客户）")."""
    text = line.replace("说明会", "我们会").replace("告知客户：", "")
    text = re.sub(r"客户(?!经理)", "您", text)
    text = re.sub(r"[（(]([^）)]*)[）)]", r"，\1", text)
    return text.replace("/", "或").strip("；;，, ")


def as_sentence(line: str) -> str:
    """A plan line as a sentence of what we will do: a situation's step already is one; any
    other line says who does it."""
    said = as_said(line)
    return said if line in situation_steps() or said.startswith(("我们", "您")) else f"我们会{said}"


def contact_time(request: DraftRequest, kind: str) -> str:
    """When we promise to contact the customer, never a promise of a result: by priority, as
    soon as P1 when the customer is pressed for time, and soon for a plain question or praise
    (`kind`, reply_kind's reading of the message)."""
    times = phrasebank()["follow_up"]["times"]
    if pressing_steps(request.complaint):  # locked out, a gas smell: within the half hour
        return pick(times["now"], request.key, "time")
    grievance = kind == "complaint"
    # someone at risk: "明天下午前" read to blind readers as too slow
    if urgent(request.complaint) or "crisis" in request.flags or (grievance and "safety" in request.flags):
        return pick(times["P1"], request.key, "time")
    # "就等你们今天的答复了", or someone vulnerable (an old woman, a child): not tomorrow
    if _TODAY.search(customer_text(request.complaint)) or (grievance and "vulnerable" in request.flags):
        return pick(times["today"], request.key, "time")
    return pick(times[request.priority if kind == "complaint" else "inquiry"], request.key, "time")


def reply_kind(request: DraftRequest) -> str:
    """Complaint, inquiry, suggestion or praise: a calm message that only asks, proposes or
    praises is not apologised for or compensated, whatever topic its words are closest to
    (blind readers: "对床垫建议却道歉并给退款", "未核实就认错，也未回答汇率时点")."""
    said = customer_text(request.complaint)
    praise = PRAISE.search(said)
    if praise and request.anger < 3 and not _BUT.search(said[praise.start():]):
        return "praise"
    sentences = split_sentences(said)
    # calm: no anger to speak of, nothing it calls a grievance, and nothing happened that needs putting right
    calm = request.anger <= 1 and not _GRIEVANCE.search(said) and not situations(request.complaint)
    suggests = _SUGGESTS.search(said) or (request.anger == 0 and _SOFT_SUGGESTION.search(said))
    if calm and suggests and not ASKS.search(said):
        return "suggestion"
    # a calm message that asks something (充电桩要物业出什么证明？问过前台也不清楚), or that triage reads as an inquiry
    asks = any(_QUESTION.search(s.text) and _INTERROGATIVE.search(s.text) and not _ACT.search(s.text) for s in sentences)
    calm_question = (request.anger == 0 and all(_QUESTION.search(s.text) for s in sentences)) or (
        calm and (asks or request.persona == "inquiry"))
    return "inquiry" if request.topic == "inquiry" or calm_question else "complaint"


def needed(request: DraftRequest) -> str:
    """What the reply asks for, by topic, where the complaint gives ground for it: no order
    number and photos of the goods for a power cut or a hospital stay (a blind reader's find)."""
    said = context(request)
    *asks, ours = _NEEDS[request.topic]
    return next((wording for wording in asks if fits(wording, said)), ours)


def build_plan(request: DraftRequest) -> ReplyPlan:
    """The plan the program proposes for this request."""
    kind = reply_kind(request)
    feelings = {"inquiry": "感谢客户的咨询", "suggestion": "感谢客户的建议", "praise": "感谢客户的肯定"}
    found = situations(request.complaint) if kind == "complaint" else ()
    # a calm question about a hijacked account or a gas smell still gets what to do right now
    pressing = pressing_steps(request.complaint)
    remedies = {"inquiry": (*pressing, "请负责的同事解答具体规定和办理方式"), "suggestion": ("把客户的建议转给负责的同事认真研究",),
                "praise": ("把客户的表扬转达给相关同事",)}
    apology = CRISIS_APOLOGY if "crisis" in request.flags else next(
        (DANGER_APOLOGY if hurt(s, request) else s.apology for s in found if hurt(s, request) or s.apology),
        SAFETY_APOLOGY if "safety" in request.flags else topic_apology(request.topic))
    ask = next((s.ask for s in found if s.ask), "" if kind == "praise" else needed(request))
    return ReplyPlan(
        kind=kind,
        issues=complaint_issues(request.complaint),
        feeling=feelings.get(kind) or (_HARM_FEELING if {"safety", "crisis"} & set(request.flags) else
                                       FEAR_FEELING if _FEAR.search(customer_text(request.complaint)) else
                                       _FEELING[request.anger]),
        apology="" if kind != "complaint" else apology,
        ask=f"告知客户：{request.hint.strip()}" if request.hint else ask,
        remedies=remedies.get(kind) or plan_remedies(request),
        consult=CONSULT_LINES[kind == "complaint"],
        contact=CRISIS_CONTACT if "crisis" in request.flags else f"{contact_time(request, kind)}联系客户",
    )


def plan_for(request: DraftRequest) -> ReplyPlan:
    """The request's plan: the agent's, else the one the program proposes."""
    return request.plan or build_plan(request)


def with_plan(request: DraftRequest) -> DraftRequest:
    """The request with its plan settled, so the many readers of one letter or one check
    (every move, the script, the grounding) do not each build it again."""
    return request if request.plan is not None else replace(request, plan=build_plan(request))


def answers_inquiry(request: DraftRequest) -> bool:
    """Whether the reply answers or thanks rather than apologises: the topic says inquiry, or
    the plan (the program's reading of the message, or the agent's) does."""
    return request.topic == "inquiry" or plan_for(request).kind != "complaint"
