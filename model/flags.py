"""Risk flags (SPEC flag table) as explainable rules: every hit carries the text that fired.

Patterns run on the folded text (simplified, half-width, lower case; same length as the
original), so spans point at exactly what the customer wrote. A hit is dropped when the
same clause denies it ("我不会去曝光", "暂时不想报警"): denial is not a threat.
"""

from __future__ import annotations

import re

from complaint_desk.domain import FlagHit
from complaint_desk.text import fold

_NUM = r"[0-9一二两三四五六七八九十几多好数]"

FLAG_PATTERNS: dict[str, tuple[str, ...]] = {
    "media": (
        r"曝光",
        r"(?:发|挂|晒|放|传|写)(?:到|在|上)?(?:微博|抖音|快手|小红书|朋友圈|知乎|头条|b站|网上|论坛|贴吧|大众点评)",
        r"上热搜",
        r"(?:找|联系|告诉|爆料给?)(?:新闻)?(?:记者|媒体|电视台|报社|晚报)",
        r"让(?:全网|大家|所有人|网友)(?:都)?(?:看看|评评理|知道)",
        r"公之于众",
    ),
    "regulator": (
        r"(?<!\d)123(?:15|45|65|21|00|78|26)(?!\d)",
        r"消协|消费者协会|消保委",
        r"市场监[管督]|工商局|工商部门",
        r"银保监|金融监管|保监[会局]|银监[会局]|证监会|人民银行|人行",
        r"工信部|通信管理局|通管局|民航局|卫健委|卫生局|教育局|住建[局委]|物价局|交通局|邮政管理局|文旅局",
        r"信访",
        r"(?:投诉|反映|举报)到?(?:监管|有关部门|政府|相关部门|主管部门)",
    ),
    "legal": (
        r"律师",
        r"起诉|上诉|诉讼|打官司|告到法院|法院见|去法院|向法院|立案",
        r"报警|报了警|打110|(?:找|叫)警察|派出所|公安",
        r"仲裁",
        r"法律途径|诉诸法律|法律责任|法律手段",
        r"(?:去|要|我就|就)告(?:你们|贵公司|你)",
    ),
    "repeat": (
        rf"第{_NUM}+次",
        r"又一次|再一次|再次(?:投诉|反映|来电|联系|催|打)",
        rf"(?:反映|投诉|联系|打|催|问|找)(?:了|过)?{_NUM}+(?:次|遍|回|通电话)",
        r"(?:多次|屡次|反复|好几次|无数次)(?:投诉|反映|联系|来电|催|打电话|找|沟通|申请)?",
        rf"{_NUM}+个?(?:月|周|星期|礼拜|天)(?:了|多了)?[，,]?(?:还|都|仍|仍然|依然|也)(?:是)?(?:没|未|不)",
        r"至今(?:未|没|仍|都没|还没)",
        r"迟迟(?:没|未|不)",
        r"一直(?:没|未|不)(?:有)?(?:人)?(?:解决|处理|回复|答复|回电|退|到)",
        r"(?:还是|依然|仍然)没(?:有)?(?:人)?(?:解决|处理|回复|答复)",
    ),
    "supervisor": (
        r"(?:找|叫|让|要求|要见|见|喊|请)(?:你们)?(?:的)?(?:领导|主管|经理|负责人|老板|上级|店长|行长|站长|老总|总监)",
        r"(?:领导|主管|经理|负责人|老板|上级|店长|行长|老总)(?:出来|来(?:跟|和|给)我|给我(?:回)?(?:打)?电话|亲自|接电话)",
        r"(?:换|转)(?:一)?个?(?:能|有权|管事)(?:做主|管事|负责)?的人",
        r"(?:和|跟)你(?:说|讲)(?:不清|没用)",
    ),
    "safety": (
        r"受伤|伤到|割伤|划伤|烫伤|烧伤|骨折|流血|出血|摔伤|砸伤|咬伤",
        r"住院|急诊|送医|进了?医院|去了?医院(?:检查|打针|挂水|急诊|洗胃)|挂水|洗胃",
        r"中毒|吃坏(?:了)?肚子|拉肚子|腹泻|上吐下泻|呕吐|吐了一|过敏|起疹子|发烧|头晕|恶心想吐",
        r"漏电|触电|电到(?:了)?(?:手|人|我|孩子)|起火|着火|失火|火灾|冒烟|爆炸|炸了|自燃|燃气泄漏|煤气泄漏|漏气",
        r"刹车失灵|方向盘失灵|失控|差点出车祸|车祸",
        r"玻璃渣|刀片|铁丝|钉子|针头|霉变|发霉",
        r"危险|安全隐患|生命安全|人身安全",
    ),
    "vulnerable": (
        r"老人|老年人|老太太|老大爷|老爷子|老奶奶|老父亲|老母亲|奶奶|爷爷|外婆|外公|姥姥|姥爷|[6-9][0-9]岁|七十|八十|九十",
        r"孕妇|怀孕|孕期|身怀六甲|产妇|坐月子|月子",
        r"小孩|孩子|儿童|宝宝|婴儿|幼儿|新生儿|小朋友|娃",
        r"残疾|残障|轮椅|盲人|失明|聋|行动不便|瘫痪",
        r"病人|患者|癌症|重病|化疗|术后|手术后|身体不好|低保|独居",
    ),
    "churn": (
        r"销户|注销|退会员|退卡|解约|携号转网|转网|拉黑|卸载",
        r"再也不(?:会)?(?:买|来|点|用|住|坐|去|光顾|选|信)",
        r"(?:不会|不)再(?:购买|买|使用|用|光顾|选择|来|点|住|坐)",
        r"以后(?:再)?(?:也)?不(?:会)?(?:再)?(?:来|买|点|住|用|坐|选)了",
        r"换(?:一)?家|换别家|去别家|换个平台|换运营商|换银行",
        r"取消(?:会员|自动续费|所有业务|合作)",
        r"最后一次(?:买|点|来|住|用|坐)",
    ),
}

# Denials in the same clause before a hit cancel it.
_DENIAL = re.compile(
    r"(?:不会|不想|不打算|不准备|不用|不必|没打算|没想|无意|并非|并不是|不是要|不至于|暂时不|先不|还不想|没有要|不愿|不希望|没必要|不需要|没去|没有去|没想过)"
)
_CLAUSE_BREAK = re.compile(r"[，,。！!？?；;\n]")
# A vulnerable person only matters when the clause is about harm or hardship to them.
_HARDSHIP = re.compile(
    r"没|不|差|坏|烫|冷|饿|等|病|难受|哭|摔|伤|害|影响|耽误|晚|急|投诉|折腾|跑|受|吵|闹|脏|吓|气|累|疼|痛|危险|出事|麻烦|困难|为难"
)
_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    flag: [re.compile(p) for p in patterns] for flag, patterns in FLAG_PATTERNS.items()
}


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    right_match = _CLAUSE_BREAK.search(text, end)
    return left, right_match.start() if right_match else len(text)


def _denied(text: str, start: int) -> bool:
    left, _ = _clause_bounds(text, start, start)
    return bool(_DENIAL.search(text, left, start))


def _affected(text: str, start: int, end: int) -> bool:
    left, right = _clause_bounds(text, start, end)
    return bool(_HARDSHIP.search(text[left:start] + text[end:right]))


def find_flags(text: str) -> list[FlagHit]:
    """Every flag hit in text, one per distinct span, in order of appearance."""
    folded = fold(text)
    hits: list[FlagHit] = []
    for flag, patterns in _PATTERNS.items():
        seen: list[tuple[int, int]] = []
        for pattern in patterns:
            for match in pattern.finditer(folded):
                start, end = match.span()
                if any(start < s_end and end > s_start for s_start, s_end in seen):
                    continue
                if _denied(folded, start):
                    continue
                if flag == "vulnerable" and not _affected(folded, start, end):
                    continue
                seen.append((start, end))
                hits.append(FlagHit(flag=flag, start=start, end=end, text=text[start:end]))
    return sorted(hits, key=lambda hit: (hit.start, hit.flag))
