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

_LEADER = r"(?:领导|主管|经理|总经理|负责人|老板|上级|店长|行长|站长|老总|总监|校长|院长|处长|科长|主任|区域经理)"
_CONTACT_VERB = r"(?:投诉|反映|联系|来电|催|打电话|找|沟通|申请|报修|维修|修理|返修|问|提)"

FLAG_PATTERNS: dict[str, tuple[str, ...]] = {
    "media": (
        r"曝光|暴光",
        r"(?:发|挂|晒|放|传|写|拍)(?:到|在|上)?(?:微博|抖音|快手|小红书|朋友圈|知乎|头条|b站|网上|论坛|贴吧|大众点评|视频网站)",
        r"上热搜|全网|拍视频|录视频|做视频|发视频|剪视频|视频已经在剪",
        r"(?:找|联系|告诉|爆料给?|打电话给|打给)(?:了)?[^，,。！？!?]{0,4}?(?:记者|媒体|电视台|报社|晚报|自媒体|网红)",
        r"让(?:全网|大家|所有人|网友)(?:都)?(?:看看|评评理|知道)",
        r"公之于众|#[^#\s]{2,20}#",
    ),
    "regulator": (
        r"(?<!\d)123(?:15|45|65|21|00|78|26)(?!\d)",
        r"消协|消费者协会|消保委",
        r"市场监[管督]|工商局|工商部门",
        r"银保监|金融监管|保监[会局]|银监[会局]|证监会|人民银行|人行",
        r"工信部|通信管理局|通管局|民航局|卫健委|卫生局|卫生部门|教育局|住建[局委]|物价局|交通局|邮政管理局|文旅局|税务",
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
        r"第(?:[二两三四五六七八九十几多好数]|[2-9]|[1-9][0-9])[一二三四五六七八九十几]*次(?!(?:入住|去|来|住|光顾|选择|订|定|点|买|用|在|到|参加|坐))",
        rf"(?:又一次|再一次|再次){_CONTACT_VERB}",
        r"打了?(?:[0-9]+|[两三四五六七八九十几好多无数]+)个?电话|(?:多次|好几次|无数次)(?:打)?电话|催了[^，,。！？!?]{0,4}?遍",
        r"连续(?:[两三四五六七八九十几]|[2-9])(?:天|次|周|回)|不是一次两次|一贯|每次都|到现在(?:也|都|还)没(?:有)?(?:下文|回复|消息|人管|解决|处理)",
        rf"{_CONTACT_VERB}(?:了|过)?{_NUM}+(?:个)?(?:次|遍|回|通电话|个月|周|星期|礼拜)",
        r"(?:打|催|问|找|跑)[^，,。！？!?]{0,6}?(?:[0-9]+|[两三四五六七八九十几多好无数]+)(?:次|遍|趟|回)",
        rf"(?:多次|屡次|反复|好几次|无数次|N次){_CONTACT_VERB}",
        r"说了(?:多少|好几|无数)(?:次|遍)|多少次了",
        rf"{_NUM}+个?(?:月|周|星期|礼拜)(?:了|多了)?[，,]?(?:还|都|仍|仍然|依然|也)(?:是)?(?:没|未|不)",
        r"至今(?:未|没|仍|都没|还没)",
        r"迟迟(?:没|未|不)",
        r"(?:还是|依然|仍然)没(?:有)?(?:人)?(?:解决|处理|回复|答复)",
    ),
    "supervisor": (
        rf"(?:找|叫|让|要求|要见|见|喊|请)(?:你们)?(?:的)?[^，,。！？!?]{{0,8}}?{_LEADER}(?:出来|来|给我|跟我|过来|接电话|打电话|出面)?",
        # not a manager who came over to help ("后来大堂经理过来帮忙"): that is what happened, not a demand
        rf"{_LEADER}[^，,。！？!?]{{0,4}}?(?:出来|死哪|在哪|呢[？?]|给我(?:回)?(?:打)?电话|打电话|接电话|过来(?!帮|处理|解决|道歉|了解|查看|看了)|出面)",
        # asking for the manager's number is asking for the manager ("把你们站长电话给我")
        rf"{_LEADER}(?:的)?(?:电话|联系方式|手机号|号码)",
        r"(?:换|转|找)(?:一)?个?(?:能|有权|管事)(?:做主|管事|负责|拍板|说了算)?的人|能(?:拍板|做主|说了算)的人",
        r"(?:和|跟)你(?:说|讲)(?:不清|没用)",
    ),
    "safety": (
        r"受伤|伤到|割伤|划伤|烫伤|烫坏|烧伤|骨折|流血|出血|摔伤|砸伤|咬伤|撞倒|撞伤|肿了|红肿|感染|打手|冻死|后怕|不安全",
        r"急诊|送医|进了?医院|去了?医院(?:检查|打针|挂水|急诊|洗胃)|挂水|洗胃",
        r"中毒|吃坏(?:了)?肚子|拉肚子|拉稀|腹泻|上吐下泻|呕吐|吐了一|过敏|起疹子|发烧|头晕|恶心想吐|吃进肚子|肚子疼|胃疼|肚子痛|胃痛"
        r"|(?:皮肤|屁股|身上)[^，,。！？!?]{0,4}?痒|塑化剂|蟑螂",
        r"漏电|触电|电到(?:了)?(?:手|人|我|孩子)|被电了|起火|着火|失火|火灾|冒烟|冒火花|火花|焦糊|爆炸|炸了|自燃|空烧",
        r"燃气泄漏|煤气泄漏|燃气漏气|煤气漏气|燃气味|煤气味|天然气味|消防通道",
        r"刹车失灵|方向盘失灵|失控|差点出车祸|车祸|差点出事",
        r"玻璃渣|(?:吃出|喝出|里面有|里有|菜里|饭里|汤里)[^，,。！？!?]{0,4}?(?:钢丝|铁丝|玻璃|刀片|钉子|针头)|有毒|致癌|甲醛",
        r"(?:吃|喝)[^，,。！？!?]{0,8}?(?:发霉|霉变)|(?:发霉|霉变)的(?:食物|食品|饭|菜|面包|水果|牛奶|奶)",
        r"危险|安全隐患|生命安全|人身安全",
        # threats and intimidation against the customer
        r"(?:恐吓|报复|跟踪|堵|骚扰)(?:我|我们|我家|我妈|我爸|我老婆|我老公|我孩子|家人)"
        r"|(?:说要|扬言要?|威胁(?:我)?(?:说)?要?)报复|知道我(?:家)?住(?:在)?哪|(?:找|打|闹)上门|上门(?:找|报复|闹事)|(?:动手|扬言要?|说要)打(?:我|人)|(?:动手|出手)打了我|把我打了",
        # expired or spoiled food and medicine that was, or nearly was, eaten
        r"过期(?:的|了)?[^，,。！？!?]{0,6}?(?:吃|喝|食用|服用|喂)|(?:吃|喝|食用|服用|喂)[^，,。！？!?]{0,8}?过期"
        r"|差点(?:就)?(?:吃|喝|喂)(?:了|下去|进去)?",
        # left stranded: put off a vehicle, abandoned on the road
        r"(?:赶|轰|扔|撵)下(?:了)?车|(?:扔|丢|甩)在(?:了)?(?:半路|路边|高速|野外|荒郊)|半路(?:把我)?(?:赶|扔|丢)",
    ),
    "vulnerable": (
        r"孕妇|怀孕|孕期|身怀六甲|产妇|坐月子|月子",
        r"残疾|残障|轮椅|盲人|失明|聋|行动不便|瘫痪|腿脚不好|拄拐|拄着拐",
        # money the customer needs for treatment or survival
        r"手术费|救命(?:的)?钱|看病(?:的)?钱|住院费|治病(?:的)?钱|透析|化疗|低保|生活费都没",
    ),
    "crisis": (
        r"不想活|活不下去|活着(?:还有|有)?什么意思|活着没(?:意思|意义)|没法活|不活了|没有活路|生无可恋",
        r"想死|去死(?:算了|了)|死了算了|一死了之|一了百了|轻生|自杀|寻死|了结自己|结束(?:自己的)?生命|想不开",
        r"跳楼(?!价|大?甩卖|清仓|促销)|跳河|跳江|跳桥|割腕|吃安眠药|喝农药|烧炭|上吊|同归于尽|死给你们看|遗书"
        r"|逼死我|把我(?:给)?逼死|(?:要|想)逼死我|(?:从|在)[^，,。！？!?]{0,6}?(?:楼上|楼顶|天台|桥上|窗户)跳下去",
        # said without the words above ("不如找个高点的地方结束算了", "是不是人没了就不用还了")
        r"结束(?:一切|这一切)|(?:不如|干脆|还不如)[^，,。！？!?]{0,12}结束算了|找个高(?:一)?点的地方[^，,。！？!?]{0,4}(?:跳|结束|下去)|人没了就不用|没(?:有)?必要醒|身后事|交代(?:好)?后事|(?:攥着|拿着|带着|一瓶|整瓶|一把)安眠药",
    ),
    "churn": (
        r"销户|注销(?:账户|账号|会员|银行卡|信用卡|卡|手机号|号码|宽带)|(?:我要|要|申请|马上|立刻)注销|退会员|退卡|解约|携号转网|转网|卸载",
        r"我(?:要|会|就|直接|已经)?拉黑",
        r"再也不(?:会)?(?:在[^，,。！？!?]{0,6})?(?:买|来|点|用|住|坐|去|光顾|选|信|碰|找|办|定|订|入住)",
        r"(?:不会|不)再(?:购买|买|使用|用|光顾|选择|来|点|住|坐|碰|办|续|找|信|定|订|入住)|都不会再|唔会再|帮衬|不续了|不再续",
        r"(?:决|绝)不(?:会)?(?:再)?(?:选择|入住|住|来|点|订|定|买|光顾|去|用)|再不(?:来|点|订|定|买|住|去)",
        r"下次(?:绝|决|再)?(?:也)?(?:不|别)(?:会)?(?:再)?(?:来|住|点|选择|订|定|买)|换地方|不(?:会)?再?光顾",
        r"以后(?:再)?(?:也)?不(?:会)?(?:再)?(?:来|买|点|住|用|坐|选)了",
        r"换(?:一)?家|换别家|去别家|换个平台|换运营商|换银行",
        r"取消(?:会员|自动续费|所有业务|合作)",
        r"最后一次(?:买|点|来|住|用|坐)",
    ),
}
# Child and elderly words are common in neutral sentences ("孩子很喜欢", "给老人买的"):
# they count only when the same sentence is about harm or hardship.
_VULNERABLE_IF_HARDSHIP = re.compile(
    r"老人|老年人|年纪大|上了年纪|老太太|老大爷|老爷子|老奶奶|老父亲|老母亲|奶奶|爷爷|外婆|外公|姥姥|姥爷|[6-9][0-9]岁"
    r"|(?:六十|七十|八十|九十)(?:多)?岁|今年(?:六十|七十|八十|九十)|高龄"
    r"|小孩|孩子|儿童|宝宝|婴儿(?!车|推车)|幼儿|新生儿|小朋友|娃|女儿|儿子|闺女|未成年|十几岁|学生"
    r"|病人|患者|癌症|重病|化疗|术后|手术后|刚做完手术|身体不好|低保|独居"
)

# Denials in the same clause before a hit cancel it.
_DENIAL = re.compile(
    r"(?:不会|不想|不打算|不准备|不用|不必|没打算|没想|无意|并非|并不是|不是要|不至于|暂时不|先不|还不想|没有要|不愿|不希望|没必要|不需要|没去|没有去|没想过|懒得|不屑|也懒得|被)"
)
_CLAUSE_BREAK = re.compile(r"[，,。！!？?；;\n]")
_SENTENCE_BREAK = re.compile(r"[。！!？?；;\n]")
# A vulnerable person only matters when the clause is about harm or hardship to them.
_HARDSHIP = re.compile(
    r"没|不|差|坏|烫|冷|饿|等|病|难受|哭|摔|伤|害|影响|耽误|晚|急|投诉|折腾|跑|受|吵|闹|脏|吓|气|累|疼|痛|危险|出事|麻烦|困难|为难"
    r"|过敏|疹|吐|拉肚子|发烧|咳|住院|罪|晕|停|断|冻|热|渴|带着|抱着|推着|拖着|电|吓|骗|下手|坑"
)
_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    flag: [re.compile(p) for p in patterns] for flag, patterns in FLAG_PATTERNS.items()
}


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    right_match = _CLAUSE_BREAK.search(text, end)
    return left, right_match.start() if right_match else len(text)


def _denied(text: str, start: int, flag: str) -> bool:
    left, _ = _clause_bounds(text, start, start)
    denial = _DENIAL.search(text, left, start)
    # "被逼得活不下去" is despair, not a denial: the passive 被 cancels threats only
    return bool(denial) and not (flag == "crisis" and denial.group() == "被")


def _affected(text: str, start: int, end: int) -> bool:
    """Harm or hardship in the same sentence as the vulnerable person."""
    left = max((m.end() for m in _SENTENCE_BREAK.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_BREAK.search(text, end)
    right = right_match.start() if right_match else len(text)
    return bool(_HARDSHIP.search(text[left:start] + text[end:right]))


def find_flags(text: str) -> list[FlagHit]:
    """Every flag hit in text, one per distinct span, in order of appearance."""
    folded = fold(text)
    hits: list[FlagHit] = []
    for flag, patterns in _PATTERNS.items():
        candidates = [m.span() for p in patterns for m in p.finditer(folded)]
        if flag == "vulnerable":
            candidates += [m.span() for m in _VULNERABLE_IF_HARDSHIP.finditer(folded) if _affected(folded, *m.span())]
        seen: list[tuple[int, int]] = []
        for start, end in candidates:
            if end <= start or any(start < s_end and end > s_start for s_start, s_end in seen):
                continue
            if _denied(folded, start, flag):
                continue
            seen.append((start, end))
            hits.append(FlagHit(flag=flag, start=start, end=end, text=text[start:end]))
    return sorted(hits, key=lambda hit: (hit.start, hit.flag))
