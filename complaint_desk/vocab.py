"""The fixed SPEC vocabulary: label ids, script moves, rule ids and their Chinese names.

What a move or a rule *does* (cues, patterns, fixes, examples) lives in its spec:
`checks/moves.py` (MoveSpec) and `checks/rules.py` (RuleSpec).

Every module, data file, prompt and UI string refers to these ids, so they live in one
place and are never re-typed elsewhere (see docs/SPEC.md in the shared folder).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    """One vocabulary entry: the stable id and what a Chinese-speaking user reads."""

    id: str
    name: str
    gloss: str = ""


ANGER_LEVELS: tuple[Label, ...] = (
    Label("0", "平静", "factual, polite, question or suggestion"),
    Label("1", "不满", "clear dissatisfaction, no hostility"),
    Label("2", "生气", "hostile tone, accusations, exclamation, sarcasm"),
    Label("3", "暴怒", "insults, threats, ultimatums, 立刻/马上 demands"),
)
ANGER_NAMES: dict[int, str] = {int(a.id): a.name for a in ANGER_LEVELS}

TOPICS: tuple[Label, ...] = (
    Label("quality", "产品质量", "broken on arrival, defects, food taste/spoiled, fake goods"),
    Label("delivery", "物流配送", "late, lost, wrong item, damaged in transit, courier attitude"),
    Label("service", "服务态度", "rude or indifferent staff, no callback, being passed around"),
    Label("billing", "价格收费", "overcharge, hidden fees, wrong deduction, price changed"),
    Label("refund", "退换退款", "refund slow or refused, return/exchange refused, warranty repair"),
    Label("account", "账户系统", "login, frozen account, app/website bug, payment failure"),
    Label("misleading", "虚假宣传", "ad or promotion not honoured, bait pricing, fraud"),
    Label("inquiry", "咨询建议", "a question or a suggestion rather than a grievance"),
    Label("other", "其他", "none of the above"),
)
TOPIC_IDS: tuple[str, ...] = tuple(t.id for t in TOPICS)
TOPIC_NAMES: dict[str, str] = {t.id: t.name for t in TOPICS}

PERSONAS: tuple[Label, ...] = (
    Label("venting", "发泄型", "wants to be heard and let off steam"),
    Label("claiming", "索赔型", "wants compensation"),
    Label("angry", "愤怒型", "angry, hostile"),
    Label("stubborn", "固执型", "insists on their own solution"),
    Label("forceful", "强势型", "status, officials, business owners"),
    Label("aggrieved", "委屈型", "feels wronged and unfairly treated"),
    Label("talkative", "倾诉型", "long story, needs listening"),
    Label("privacy", "隐私型", "worried about personal information"),
    Label("suggestion", "建议型", "offers an improvement"),
    Label("inquiry", "咨询型", "asks a question"),
    Label("rights", "维权型", "cites law, rules, consumer rights"),
)
PERSONA_IDS: tuple[str, ...] = tuple(p.id for p in PERSONAS)
PERSONA_NAMES: dict[str, str] = {p.id: p.name for p in PERSONAS}

FLAGS: tuple[Label, ...] = (
    Label("media", "曝光威胁", "threatens to expose online or to media"),
    Label("regulator", "监管投诉", "threatens a regulator"),
    Label("legal", "法律威胁", "lawyer, lawsuit, court, police"),
    Label("repeat", "反复投诉", "repeated contact or long unresolved"),
    Label("supervisor", "要求领导", "demands a leader"),
    Label("safety", "人身安全", "injury, illness, fire, food poisoning"),
    Label("vulnerable", "弱势群体", "elderly, pregnant, child, disabled, patient"),
    Label("churn", "流失风险", "threatens to leave or cancel"),
    Label("crisis", "危机信号", "self-harm or despair: always P1, a person first, never a templated reply"),
)
FLAG_IDS: tuple[str, ...] = tuple(f.id for f in FLAGS)
FLAG_NAMES: dict[str, str] = {f.id: f.name for f in FLAGS}

PRIORITIES: tuple[Label, ...] = (
    Label("P1", "立即"),
    Label("P2", "高"),
    Label("P3", "普通"),
    Label("P4", "低"),
)
PRIORITY_IDS: tuple[str, ...] = tuple(p.id for p in PRIORITIES)
PRIORITY_NAMES: dict[str, str] = {p.id: p.name for p in PRIORITIES}

DEPARTMENTS: tuple[Label, ...] = (
    Label("logistics", "物流/仓储"),
    Label("quality", "质量管理"),
    Label("finance", "财务"),
    Label("tech", "技术"),
    Label("cs_management", "客服管理"),
    Label("after_sales", "售后服务"),
    Label("marketing", "市场营销"),
    Label("customer_service", "客服中心"),
    Label("legal_compliance", "法务合规"),
    Label("public_relations", "公关"),
)
DEPARTMENT_NAMES: dict[str, str] = {d.id: d.name for d in DEPARTMENTS}

MOVES: tuple[Label, ...] = (
    Label("empathize", "安抚共情"),
    Label("apologize", "真诚道歉"),
    Label("clarify", "确认信息"),
    Label("solve", "给出方案"),
    Label("consult", "征求意见"),
    Label("follow_up", "跟进承诺"),
    Label("thank", "致谢"),
)
MOVE_IDS: tuple[str, ...] = tuple(m.id for m in MOVES)
MOVE_NAMES: dict[str, str] = {m.id: m.name for m in MOVES}

RULES: tuple[Label, ...] = (
    Label("cannot_solve", "推脱无法解决"),
    Label("policy_refusal", "拿规定拒绝"),
    Label("not_my_job", "推卸责任"),
    Label("dont_know", "一问三不知"),
    Label("leader_decided", "推给领导"),
    Label("final_answer", "最终答复"),
    Label("result_deadline", "承诺结果期限"),
    Label("over_promise", "过度承诺"),
    Label("blame", "指责客户"),
    Label("argue", "与客户争辩"),
    Label("jargon", "内部术语"),
    Label("insincere", "敷衍道歉"),
    Label("pii_leak", "泄露隐私"),
    Label("format", "格式不当"),
    Label("unfounded", "无据陈述"),
    Label("script_order", "顺序不当"),
    Label("missing_move", "缺少步骤"),
)
RULE_IDS: tuple[str, ...] = tuple(r.id for r in RULES)
RULE_NAMES: dict[str, str] = {r.id: r.name for r in RULES}

REMEDIES: tuple[Label, ...] = (
    Label("return", "退货"),
    Label("exchange", "换货"),
    Label("repair", "维修"),
    Label("discount", "折价"),
    Label("compensation", "补偿"),
    Label("refund", "退款"),
    Label("apology", "道歉"),
    Label("explanation", "解释"),
    Label("redelivery", "补发/重送"),
    Label("escalation", "升级处理"),
)
REMEDY_IDS: tuple[str, ...] = tuple(r.id for r in REMEDIES)
REMEDY_NAMES: dict[str, str] = {r.id: r.name for r in REMEDIES}

OUTCOMES: tuple[Label, ...] = (
    Label("satisfied", "满意"),
    Label("unsatisfied", "不满意"),
    Label("reopened", "重开"),
)
OUTCOME_IDS: tuple[str, ...] = tuple(o.id for o in OUTCOMES)
OUTCOME_NAMES: dict[str, str] = {o.id: o.name for o in OUTCOMES}

INDUSTRIES: tuple[Label, ...] = (
    Label("ecommerce", "电商零售"),
    Label("food_delivery", "外卖餐饮"),
    Label("banking", "银行/信用卡"),
    Label("telecom", "通信运营商"),
    Label("courier", "快递物流"),
    Label("travel", "酒店/旅行/航空"),
    Label("utilities", "水电燃气/物业"),
    Label("after_sales", "家电/汽车售后"),
    Label("education", "教育培训"),
    Label("healthcare", "医疗健康"),
    Label("insurance", "保险"),
    Label("internet", "互联网服务"),
    Label("general", "通用"),
)
INDUSTRY_IDS: tuple[str, ...] = tuple(i.id for i in INDUSTRIES)
INDUSTRY_NAMES: dict[str, str] = {i.id: i.name for i in INDUSTRIES}

ROLES: tuple[Label, ...] = (
    Label("agent", "坐席"),
    Label("supervisor", "主管"),
    Label("admin", "管理员"),
)
ROLE_IDS: tuple[str, ...] = tuple(r.id for r in ROLES)
ROLE_NAMES: dict[str, str] = {r.id: r.name for r in ROLES}

CHANNELS: tuple[Label, ...] = (
    Label("phone", "电话"),
    Label("web", "网页"),
    Label("app", "App"),
    Label("email", "邮件"),
    Label("wechat", "微信"),
    Label("weibo", "微博"),
    Label("review", "评价"),
    Label("letter", "信函"),
    Label("other", "其他"),
)
CHANNEL_IDS: tuple[str, ...] = tuple(c.id for c in CHANNELS)
