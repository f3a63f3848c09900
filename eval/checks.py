"""Draft checks: one small pure check per SPEC rule id, plus script order and format.

Phrases are matched on a folded, compacted view of the draft (simplified characters,
half-width, spaces and filler punctuation removed), so "這件事不歸我管", "不 归 我 管" and
"不归-我管" all match "不归我管"; every hit is mapped back to the characters the writer
typed. A hit does not count when it is quoted ("您提到之前客服说“这不归我们管”") or
reported speech, or when the same sentence carries the approved form that legitimately
reuses the words ("虽然我不能直接解决……但是我可以帮您联系……").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from complaint_desk.pattern_index import PatternIndex, split_alternatives
from complaint_desk.eval.moves import Clause, tag_clauses

from complaint_desk import vocab
from complaint_desk.domain import CheckResult, MoveSpan, Violation
from complaint_desk.text import TextView, compact_view, find_pii, fold, mask_value, repeated_runs

QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』", "‘": "’", '"': '"', "'": "'"}
# Reported speech before a hit in the same clause: the agent is citing, not saying it.
REPORTED = re.compile(r"被(说|认为|指责|怀疑|告知)|(?<![跟和对给向])您(刚才|之前|也)?(说|提到|反映|讲|表示|认为|提出|要求|希望|问)|(客服|工作人员|同事|员工|师傅|骑手|快递员|对方|他|她|他们)(当时|之前|曾|都)?(说|称|回复|告诉您|表示|讲)")


@dataclass(frozen=True)
class PhraseRule:
    """A forbidden intent: patterns, the sentence-level forms that excuse them, the fix."""

    id: str
    patterns: tuple[str, ...]
    message: str
    fix: str | None
    excuses: tuple[str, ...] = ()
    before_excuses: tuple[str, ...] = ()
    reported_ok: bool = True  # False where citing the customer is itself the fault (arguing)
    after_excuses: tuple[str, ...] = ()  # forms that excuse a hit when they follow it directly

    @property
    def excuse_patterns(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
        return _compile_excuses(self)


@lru_cache(maxsize=None)
def _compile_excuses(rule: PhraseRule) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
    def join(parts: tuple[str, ...]) -> re.Pattern[str] | None:
        return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None

    return join(rule.excuses), join(rule.before_excuses), join(rule.after_excuses)


def _leftmost_hits(patterns: Sequence[re.Pattern[str]], text: str) -> list[re.Match[str]]:
    """Non-overlapping hits of any pattern, leftmost (then longest) first.

    Each pattern (each top-level alternative of a rule's pattern) is scanned on its own
    rather than as one alternation: Python's re skips ahead on a literal prefix, which a
    joined alternation defeats, and the pattern index can rule most parts out unscanned.
    """
    hits = sorted((m for p in patterns for m in p.finditer(text) if m.end() > m.start()),
                  key=lambda m: (m.start(), -m.end()))
    kept: list[re.Match[str]] = []
    for match in hits:
        if not kept or match.start() >= kept[-1].end():
            kept.append(match)
    return kept


_OFFER = r"(但|不过|可是|然而)(是)?(我|我们)?(可以|会|能|马上|立即|现在|这就|来|将)"
# the approved form: hand over to someone who can help (seed 001 §五)
_REFERRAL = (r"(" + _OFFER + r"|(我|我们)(已经|已|会|马上|这就|现在|立即)?)[^。！？!?]{0,12}?((?<!申)请|联系|转|协调|反映|找|对接|上报|咨询)"
             r"[^。！？!?]{0,12}?(同事|上级|专家|负责人|主管|部门|经理|专员|领导|高层|相关|能|熟悉|医生|老师|师傅)")
_DEADLINE = (
    r"(([0-9]+|[一二两三四五六七八九十几半])(个)?(工作日|工作天|天|日|小时|周)(之)?内"
    r"|(今天|今日|今晚|明天|明日|后天|本周|这周|下周|周[一二三四五六日]|月底)(上午|下午|中午|晚上)?"
    r"(([0-9]+|[一二两三四五六七八九十]+)点(半)?)?(之)?(前|内|以前))"
)
_RESULT = (
    r"(?<!联系)(?<!电话)(最终(的)?(答复|结果)|处理结果|明确的(处理)?结果|结果|处理完|处理好|办好|办结|办完|完成|解决|修好|到账|退回|退还|恢复|搞定|说法|送到|送达"
    r"|到您手(?!机)|解封|出具|寄到|换好|装好|开通好|满格|恢复正常)"
)

PHRASE_RULES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "cannot_solve",
        (r"(我|我们|这边|咱们|俺们|我这儿|这里|本窗口|本部门|我们部门|平台)[^，,。！？!?；;]{0,6}?(也|真的|真|实在|确实|是)?(解决|处理|办|帮|弄|搞)(不了|不定)",
         r"(我|我们|这边|咱们|俺们|本窗口|本部门|这里)[^，,。！？!?；;]{0,4}?(无法|没法|没办法|不能)(处理|解决|办理)", r"(这|这个|此)(个|件)?(事|问题|情况|故障)?(我|我们)?(也)?(解决|处理)不了",
         r"(我|我们|这边)(实在|真的|确实)?(无法|没法|没办法|不能|不能够)(帮您)?(解决|处理|办理|帮您|帮到您)",
         r"(这|这个|此)(事|问题|情况)?(我们)?(也)?(没有|没)办法", r"爱莫能助|无能为力|无计可施"),
        "直接说解决不了，会让客户觉得被拒之门外。",
        "虽然我不能直接处理，但我可以帮您联系能解决这个问题的同事/上级。",
        # the approved form says "cannot do it directly" and hands over; "解决不了" stays a refusal
        excuses=(r"(虽然|尽管)[^。！？!?]{0,20}?(不能|无法|没法)[^。！？!?]{0,12}?" + _REFERRAL,
                 r"(不能|无法|没法)直接[^。！？!?]{0,12}?" + _REFERRAL),
    ),
    PhraseRule(
        "policy_refusal",
        (r"(有|按|按照|根据|依据)?(公司|我们的|我们|相关|内部)?(的)?(规定|制度|政策|流程)(上)?(是)?(不允许|不能|不可以|不予|不支持|不让|没法|无法|是不行|就是不)",
         r"规定就是规定|没有(这个|这样的)?先例|(不允许|不予)(办理|受理|退|处理)",
         r"(规定|制度|政策|规矩)[^。！？!?；;\n]{0,24}?(?<!商家)(?<!骑手)(?<!员工)(?<!任何人)(?<!本来就)(不允许|不予|不可以|不让|不支持|不能|不得|不准|一律不)",
         r"(不允许|不予)[^。！？!?；;\n]{0,20}?(规定如此|这是规定|规定是这样)"),
        "拿规定拒绝客户，没有告诉客户怎样才能办成。",
        "办理这项业务，您需要提供……（告诉客户怎样才能办成）",
    ),
    PhraseRule(
        "not_my_job",
        (r"不(归|属于)(我|我们|本部门|我们部门|我们这边|咱们)(的)?(管|负责|管理|管辖|处理|范围)?",
         r"(这|那|此)?(不是|并非|不在)(我|我们|本部门|我们部门)(的)?(责任|职责|负责|管|工作范围|业务范围|管辖)",
         r"不是(我|我们)负责的", r"(那|这)(个)?(是|属于)(快递|物流|商家|厂家|第三方|航空公司|银行|保险公司|平台|骑手|配送)(公司|方)?(的)?(事|问题|责任)",
         r"(您|你)(需要|得|要|可以|只能|最好)?(自己|自行|亲自)(再|去|先)?[^。！？!?；;\n，,]{0,8}?(联系|找|咨询|询问|问|跟|和|打|致电|跑一趟|去网点|去柜台)",
         r"(请|建议|麻烦)(您|你)(先)?(自己|自行)?(先)?(去)?(联系|找|咨询|询问)(一下)?(快递|物流|商家|厂家|骑手|快递员|航空公司|银行|第三方|当地|卖家|市政)",
         r"不(归|属于)[^，,。！？!?]{0,6}?(管|负责|处理|这边|那边)", r"是[^，,。！？!?]{1,6}那边的(事|问题|责任)?",
         r"(得|要|需要)(您|你)(自己)?(去)?(找|联系)[^，,。！？!?]{0,8}?(说|处理|解决|问|办)", r"跟(我们|我)[^，,。！？!?]{0,4}?没(有)?关系|(与|和)(我们|我)[^，,。！？!?]{0,4}?无关",
         r"(麻烦|请)(您|你)(再)?(给|跟)(商家|快递员|卖家|厂家|骑手|店家|银行|航空公司)[^，,。！？!?]{0,4}?(打|联系|说)", r"唔关|不是我经手|不负责这块|(建议|请)(您|你)自己去",
         r"(您|你)(需要|得|要|只能|最好)(去)?(联系|找|咨询)(一下)?(快递员|快递公司|物流公司|商家|厂家|骑手|航空公司|第三方|那边)",
         r"(您|你)?(可以|需要|得|要)?自行前往", r"(这|那|此)?(不是|并非)(我们|我)[^，,。！？!?；;\n]{0,6}?负责",
         r"属于(快递|物流|商家|厂家|第三方|航空公司|银行|保险公司|物业|市政|卖家|店家)(公司|方)?(的)?(职责|责任|范畴)", r"(可以|不妨)(去)?问问(商家|快递|物流|厂家|银行|物业|卖家|他们|那边)"),
        "把问题推给别人或让客户自己去跑，客户会觉得被踢皮球。",
        "请您稍等，我联系负责的同事为您处理；由我们来联系核实，您不用自己跑。",
        before_excuses=(r"(不需要|不用|无需|不必|免去|省得|省去|而不是|不要|让|害得|害)(您|你)?$",),
    ),
    PhraseRule(
        "dont_know",
        (r"(我|我们|这边)(这里|这边|现在|目前|暂时)?(也|真的|真|确实|实在|还)?(不知道|不清楚|不了解|不晓得|不太清楚|不太了解|不懂|说不准|说不好|说不清)", r"(我|我们)哪(知道|晓得|清楚)",
         r"无可奉告|没法回答|无法回答|不好说"),
        "“我不知道”像是在推脱。",
        "我为您联系熟悉这方面的同事，给您准确答复。",
        excuses=(r"不知道(您|你)[^，,。！？!?]{0,8}?(是否|方便|能否|是不是|有没有|什么时候|哪天|哪|倾向|想要)", _REFERRAL, r"虽然(我)?(不|没)"),
    ),
    PhraseRule(
        "leader_decided",
        (r"(是|都是|就是)[^。！？!?；;\n]{0,8}?(领导|上级|上面|上头|上边|总部|老板|经理|校长|院长|园长|行长|站长|店长|高层|老总|总监|主任|省公司|总公司|集团|管理层|总行|分行)(们)?[^。！？!?；;\n，,]{0,3}?(定|决定|规定|要求|拍板|安排)(的|下来的)",
         r"(领导|上面|上级|老板|高层)(说|让|要求)(的|这么|这样)", r"(领导|上面|上级|高层|总部)的(决定|意思|规定|安排)", r"我(也)?(做不了|作不了|无法做|没法做)(这个)?主"),
        "把责任推给领导，客户的意见没有被接住。",
        "感谢您的建议，我会向上反映，并及时回复您。",
    ),
    PhraseRule(
        "final_answer",
        (r"(这|此|这个|这就)(?:(?!不)[^。，,！？!?；;\n]){0,4}?(?<!不)(是|为)[^。！？!?；;\n]{0,10}?最终(的)?(答复|答覆|决定|结论|方案|意见|结果|处理(意见|决定|结果)?)", r"最终(的)?(答复|答覆|决定)(是|为|如下)",
         r"(就|只能|也就)这样(了|吧|处理了)", r"没有(其他|别的|更好的|任何)(办法|方案|余地)了", r"不(会|能)?再(做|作|进行)?(改变|改|变动|变化|调整|更改|受理|处理|答复|有(其他|别的|任何)?(方案|变动|变化|办法))", r"不会再变(了)?",
         r"不会(改变|变动|更改|调整)了", r"到此为止|不再(另行)?(受理|处理|答复|回复)", r"以上(即|就)?(为|是)[^。！？!?；;\n]{0,6}?最终",
         r"(请|希望)?(您|你)?(不要|别)再(打|来|投诉|找)"),
        "把话说死了，等于告诉客户问题到此为止。",
        "如果您不满意，我们会继续跟进处理，直到问题有着落。",
    ),
    PhraseRule(
        "result_deadline",
        (_DEADLINE + r"(?:(?!联系|电话|回电|致电|短信|消息|告知|告诉|通知|确认|说明)[^。！？!?；;\n，,]){0,12}?" + _RESULT,
         r"(今天|今晚|明天|后天|本周|这周|周[一二三四五六日])(之内|之前|以内)?[^，,。！？!?]{0,4}?(一定|肯定|保证|准能|必须)[^，,。！？!?]{0,6}?" + _RESULT,
         _DEADLINE + r"[^。！？!?；;\n，,]{0,8}?(一定|肯定|保证|准能)", r"t\+[0-9][^。！？!?；;\n，,]{0,8}?" + _RESULT,
         r"(最终|最后)(的)?(答复|结果)(会)?(在)?([0-9]+|[一二两三四五六七八九十])", r"(今天|今晚|明天|后天)(之内|之前)?(一定|肯定|保证)(能)?(到|送到|到货|到账)"),
        "承诺在某个时间前给出最终结果，做不到会再次激怒客户。",
        "我们会在三个工作日内与您联系，告诉您处理进展。",
        before_excuses=(r"(不敢|不能|没法|无法|不好)[^，,。]{0,10}$",),
        after_excuses=(r"[^。！？!?]{0,6}?(意思是|也就是|即|指的是|简单说)",),
    ),
    PhraseRule(
        "over_promise",
        (r"(?<!为了)(?<!以)(?<!确)(?<!来)(?<!能)(?<!为)保证(给您|让您|您|全额|一定|不会|会|马上|今天|明天|100|百分之百|按时|解决|办好|到账|满意|以后|把|能|可以)",
         r"拍胸脯|打包票|一百年|永远不会|永久(全免|免费|免)|终身(免费|全免|免)",
         r"一定(会)?(让您满意|给您(一个)?满意|解决好|给您解决|赔|退|办到|做到|恢复|满足)", r"绝对(不会|会|没问题|满意|保证|负责)",
         r"百分之百|100%|肯定(会)?(给您|让您|解决|赔|退)", r"全额赔偿|赔偿全部损失|双倍赔偿|三倍赔偿|十倍|赔(您|你)?(双倍|三倍)|退一赔三|加倍赔",
         r"保证[^，,。]{0,6}?满意|包(您|你)满意|无条件(退|赔|满足)|任何要求(都|我们都)|(保证|绝对|一定|肯定|再也)[^，,。]{0,4}?(不会|绝不)(再)?(发生|出现)",
         r"(所有|全部)(的)?损失[^，,。]{0,6}?(承担|赔|负责)|一分都不会|不会让您吃亏",
         r"(今后|以后|再也)(绝不|绝对不|不会)(会)?(再)?(出现|发生|有)"),
        "超出政策范围的保证，兑现不了会失信于客户。",
        "我们会为您争取合理的解决方案。",
        after_excuses=(r"[^。！？!?]{0,16}?(打电话|回电|来电|联系您|致电|告知您|通知您|给您回复)",),
        before_excuses=(r"(不敢|不能|没法|无法|不好)[^，,。]{0,6}$",),
        # owed by law, contract or the platform's published rules: not the agent's promise
        excuses=(r"(按|根据|依据|依照)(照)?[^，,。！？!?]{0,12}?(法|规定|规则|条款|合同|保价)",),
    ),
    PhraseRule(
        "blame",
        (r"(?<!不)(是|因为|由于)?(您|你)(自己)?(的)?(操作|使用|保管|填写|选择|输入|设置)(不当|失误|有误|错误|不规范|问题)",
         r"(?<!不)(?<!并非)(?<!不可能)(是|都是|这是)(您|你)(自己)?(的)?(问题|原因|责任|过错|不对|疏忽)",
         r"(?<!不)(应该|肯定|可能|估计)是(您|你)(那边|自己|这边)?[^，,。！？!?]{0,10}?(导致|造成|引起|的原因|的问题)", r"低级错误|别再犯|犯(这种|这样的)(低级)?错",
         r"(下次|以后)[^。！？!?]{0,10}?(请|要|记得)(您)?(先)?(仔细|看清|注意|阅读|不要|别)", r"常识|看不懂吗|都不懂|要知道哦",
         r"(?<!不)是(您|你)(自己)?[^，,。！？!?]{1,4}?(早了|晚了|错了)", r"(你|您)(也)?别(老|再|总)", r"一般人都|正常人都|谁都能看到|挺显眼", r"本来就(该|应该)(您|你)|(您|你)本来就(应该|该)", r"(?<!不)是(您|你)自己", r"(您|你)自己(没|不|忘)", r"怪(您|你)自己",
         r"(你|您)(必须|务必|应该先|就得)", r"(您|你)[^。！？!?；;\n，,]{0,8}?应该(自己|先|早点|提前)?(看|注意|仔细|确认|留意|检查|问)", r"(您|你)(要是|如果)早(点|些|一点)",
         r"(以后|下次)(记得|注意|要)(提前|留意|看|确认|早)", r"这么简单|还要问|你们这些(顾客|客户|人)|太较真|较什么真", r"这(都|也|么简单)(都)?不(懂|会|知道)", r"(请|希望|麻烦)?(您|你)?(能够|能)?(冷静|理智|控制(好)?(您的|你的)?(情绪|自己)|不要激动|别激动|消消气再)",
         r"理解(一下)?我们的(立场|难处|规定|制度|工作)", r"(您|你)(本应|早该|早就应该)", r"(怎么|为什么|为何)(不|没)(早说|看清楚|仔细|提前|注意)",
         r"说了(多少|好几)遍|早就(说|告诉|提醒)(过)?(您|你)|(不要|别)(再)?(无理取闹|胡搅蛮缠|闹了|吵了)|素质", r"没看懂就|稍微(留意|注意|看一下)|并不复杂|(不要|别)把(情绪|火|气)|发泄在|(您|你)自己也(应该|要|得)"),
        "指责、命令或说教客户，会让矛盾升级。",
        "改用中性表述：先认可客户的感受，再说明需要一起做的事。",
    ),
    PhraseRule(
        "argue",
        (r"(您|你)说(的)?(不对|错了|不准确|不是事实|有误|没道理)", r"(这|那)?(是)?不可能(?!是(您|你))(?!不)(?!让)(的|发生|出现|存在)?", r"不存在(您说的)?(这种|这样的)?(情况|问题|事)",
         r"(?<!不是)(?<!并不是)(您|你)(肯定|一定|应该|可能)?(是)?(搞错|记错|弄错|看错|误会|理解错)(了)?", r"我们(的)?(系统|流程|员工)?(没有|不会|不可能)(出错|错|问题|搞错)",
         r"明明是(您|你)|怎么可能|事实并非如此", r"(不是|并非|并不是|不像)(您|你)(说|想|以为)的(那样|这样)", r"根本不可能|根本没有(这回事|这种事)",
         r"(您|你)(这个|的)?说法(是)?(错误|不对|不正确|不成立|有误)", r"(您|你)说[^，,。！？!?]{0,14}?(是)?(不对|错误|不正确|有误)(的)?",
         r"(?<!不)(?<!不是)(?<!并不是)(是)?(您|你)(理解|记|看|听|搞)(有误|错了|错)", r"(这个|这种|该|此)说法(是)?(不对|错误|不正确|不成立|有误)", r"(这|此)(并)?(不是|并非)(误诊|误判|误扣|误收|乱收费|多收)", r"(恐怕|可能|应该)?不太对|不存在[^，,。！？!?]{0,8}?(情况|问题|事)|(情况|说法)(是)?不存在", r"(我们|我们的)[^。！？!?；;\n，,]{0,6}?从来(不会|没有|不)", r"一定是(您|你)"),
        "和客户争对错，赢了道理也输了客户。",
        "先认可客户的说法和感受（谢谢您告诉我们），再核实并解释情况。",
        excuses=(r"(不|没)(会|有)(让|使)(您|你)(再)?",),
        reported_ok=False,
    ),
    PhraseRule(
        "jargon",
        (r"(?<!施)工单(流转|池|系统|号)?|流转(至|到|给)?|(转|升级)(到|至|给)?二线|二线(处理|支持|人员)?|sla|风控(部门|审核|系统|规则)?|拦截件|核保|t\+[0-9]|走oa|oa(流程|审批|系统)|挂起|升级(至|到)?l[0-9]|调账|冲正|轧账|清分|头程|尾程|建单|p[0-4]级|客诉|kpi|工单号|sop|妥投|问题件|异常件|滞留件|超时件|长款|挂账|清机|清算差错|流程oa|走流程"
         r"|(?<![a-z])(full refund|refund|solution|ticket|escalat[a-z]*|follow up|follow-up|case id|issue|feedback|voucher|compensation)(?![a-z])",),
        "使用了客户听不懂的内部术语。",
        "换成客户听得懂的话，或在术语后加以解释（例如：拦截件，也就是让快递在途中停下退回）。",
        excuses=(r".{0,8}?(（|\(|也就是|即(?!可|将|时|使|便|日)|就是|指的是|意思是|的意思|是指)",),
    ),
    PhraseRule(
        "insincere",
        (r"代表(这个)?(柜员机|atm|机器|系统|电脑|自助机|快递员|骑手|机器人|软件|app)(向您|向你|给您)?(表示|致以)?(道歉|致歉|道个歉|歉意|说声(抱歉|对不起))", r"(向您|给您)?代表.{0,6}(机|系统)(向您)?道歉",
         r"如果?(给您|给你|对您)?(带来|造成)(了)?(任何)?(不便|困扰|麻烦|不愉快)(的话)?(那)?(我们)?(也)?(深表歉意|很抱歉|抱歉|没办法|只能说抱歉|那就抱歉)",
         r"就算(是)?我们的错|sorry(啦|咯|哈|了)?|(就|那就)?(给您|给你)?道个歉(好了|吧)|如果[^。！？!?]{0,15}(不便|不舒服|不满意|不愉快)[^。！？!?]{0,6}?(那)?(我们)?(也)?没(有)?办法",
         r"报复|不会因为(您|你)[^。！？!?]{0,12}?(投诉|反映)|区别对待|另眼相看|赔(个)?不是",
         r"如果[^。！？!?]{0,20}?(让您|令您|使您)[^。！？!?]{0,12}?(那)?(我们)?(表示|深表)?(抱歉|歉意)",
         r"不好意思(咯|啦|哈|喽|啰|罗|呀)|抱歉(啦|咯|哈|啰)|对不起(行了吧|还不行吗|啦)|行了吧|那就(抱歉|对不起)了?|抱歉(您|你)(这么|会这么)(认为|想|觉得)|(您|你)(要是|如果)(觉得|认为)(不舒服|不满意)(那)?(就)?(抱歉|对不起)",
         r"很遗憾(您|你)(这么|会)(认为|觉得|想)", r"(如果|既然|要是)(您|你)?(非要|一定要|坚持要|硬要).{0,8}?道歉", r"(对不起){2,}|(抱歉){2,}", r"(我们|我)也是受害者|只能(说声|跟您说声|向您说声)(抱歉|对不起)|投诉(也)?不会影响|不会(因此)?对(您|你)有(看法|意见|成见)", r"(不会|绝不会)(因此|因为这件事|为此)?(而)?(对您|对你)?(进行)?(报复|打击|为难|刁难|追究您)"),
        "道歉空洞或荒唐，客户感受不到诚意。",
        "说清楚为哪件事道歉：这次给您添了麻烦，我们非常抱歉。",
    ),
)
PHRASE_RULE_INDEX: dict[str, PhraseRule] = {rule.id: rule for rule in PHRASE_RULES}
# every phrase pattern, so that one pass over a draft's characters rules most of them out
_PHRASE_PARTS = [(rule.id, part) for rule in PHRASE_RULES for p in rule.patterns for part in split_alternatives(p)]
_PHRASE_PATTERNS = PatternIndex(re.compile(part) for _, part in _PHRASE_PARTS)
_PATTERN_RULES = tuple(rule_id for rule_id, _ in _PHRASE_PARTS)

FIXES: dict[str, str] = {rule.id: rule.fix for rule in PHRASE_RULES if rule.fix}
FIXES["format"] = "写成一封自然分段的信：去掉 markdown 符号、步骤标签和角色标签。"
FIXES["script_order"] = "先处理心情，再处理事情：先安抚、道歉，再给方案。"
FIXES["pii_leak"] = "只保留尾号，例如 138****5678、尾号1234。"


_OPENER = re.compile("[" + re.escape("".join(QUOTE_PAIRS)) + "]")


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges inside quotation marks in the original text."""
    ranges: list[tuple[int, int]] = []
    index = 0
    while opener := _OPENER.search(text, index):
        index = opener.start()
        end = text.find(QUOTE_PAIRS[opener.group()], index + 1)
        if end != -1 and end - index <= 80:
            ranges.append((index, end + 1))
            index = end + 1
        else:
            index += 1
    return ranges


_SENTENCE_BREAK = re.compile(r"[。！!？?；;\n]")
_CLAUSE_BREAK = re.compile(r"[。！!？?；;\n，,：:]")


def _bounds(text: str, start: int, end: int, breaks: re.Pattern[str]) -> tuple[int, int]:
    left = max((m.end() for m in breaks.finditer(text, 0, start)), default=0)
    right = breaks.search(text, end)
    return left, right.start() if right else len(text)


@dataclass(frozen=True)
class Draft:
    """A draft prepared once for all checks."""

    text: str
    view: TextView
    quotes: tuple[tuple[int, int], ...]
    candidates: dict[str, list[re.Pattern[str]]]  # per rule, the patterns its characters admit

    @classmethod
    def of(cls, text: str) -> Draft:
        view = compact_view(text)
        candidates: dict[str, list[re.Pattern[str]]] = {}
        for index in _PHRASE_PATTERNS.admitted(set(view.text)):
            candidates.setdefault(_PATTERN_RULES[index], []).append(_PHRASE_PATTERNS.patterns[index])
        return cls(text, view, tuple(quoted_ranges(text)), candidates)

    def is_quoted(self, start: int, end: int) -> bool:
        return any(q_start <= start and end <= q_end for q_start, q_end in self.quotes)


def check_phrase_rule(draft: Draft, rule: PhraseRule) -> list[Violation]:
    excuse, before_excuse, after_excuse = rule.excuse_patterns
    compact = draft.view.text
    violations: list[Violation] = []
    explained_terms: set[str] = set()
    for match in _leftmost_hits(draft.candidates.get(rule.id, ()), compact):
        start, end = draft.view.original_span(match.start(), match.end())
        if draft.is_quoted(start, end):
            if excuse and excuse.match(compact, match.end()):
                explained_terms.add(match.group())
            continue
        clause_left, _ = _bounds(compact, match.start(), match.end(), _CLAUSE_BREAK)
        if rule.reported_ok and REPORTED.search(compact, clause_left, match.start()):
            continue
        if before_excuse and before_excuse.search(compact[clause_left : match.start()]):
            continue
        if after_excuse and after_excuse.match(compact, match.end()):
            continue
        sentence_left, sentence_right = _bounds(compact, match.start(), match.end(), _SENTENCE_BREAK)
        if excuse and (excuse.search(compact, sentence_left, sentence_right) or excuse.match(compact, match.end())):
            explained_terms.add(match.group())
            continue
        violations.append(Violation(rule=rule.id, start=start, end=end, span=draft.text[start:end],
                                    message=rule.message, fix=rule.fix))
    if rule.id == "jargon":  # once a term is explained, later uses of it are fine
        violations = [v for v in violations if fold(v.span) not in explained_terms]
    return violations


def check_pii(draft: Draft) -> list[Violation]:
    violations = []
    folded = fold(draft.text)
    for hit in find_pii(draft.text):
        context = folded[max(0, hit.start - 8) : hit.start]
        if hit.kind in ("bank_card", "phone", "landline") and re.search(r"订单|单号|运单|编号|流水|工单|快递单|批次|热线|客服电话|服务电话", context):
            continue
        if hit.kind == "address":
            continue  # addresses in a reply are usually the customer's own delivery address being confirmed
        violations.append(Violation(rule="pii_leak", start=hit.start, end=hit.end, span=hit.text,
                                    message="回复中出现了完整的个人信息。", fix=f"改为 {mask_value(hit.kind, hit.text)}"))
    return violations


# the names a model gives the script's steps when it writes them out as labels ("安抚：…");
# the guard's repair strips the same list
STEP_LABELS: tuple[str, ...] = (
    "安抚情绪", "情绪安抚", "安抚共情", "安抚", "共情", "真诚道歉", "道歉", "致歉", "补偿", "确认信息", "收集信息", "搜集信息",
    "给出方案", "提出方案", "解决方案", "处理方案", "办理方式", "征求意见", "跟进承诺", "后续跟进", "跟踪服务", "致谢", "感谢",
)
FORMAT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\*\*[^*\n]{1,40}\*\*|__[^_\n]{1,40}__", "markdown 加粗符号"),
    (r"^\s{0,3}#{1,6}\s*\S", "markdown 标题"),
    (r"^\s*[-*•·]\s+\S", "列表符号"),
    (r"^\s*[0-9一二三四五六七]+\s*[.、)）]\s*\S", "编号列表"),
    (r"(^|[。！？!?：:]\s*)(" + "|".join(STEP_LABELS) + r")\s*[:：]", "脚本步骤标签"),
    (r"第[一二三四五六七八九1-9]步\s*[:：]|^\s*第[一二三四五六七八九1-9]步|【[^】]{1,10}】|\[(empathize|apologize|clarify|solve|consult|follow_up|thank)\]", "脚本步骤标签"),
    (r"^\s*(客服回复|坐席回复|客服人员|回复内容|ai回复|客服|坐席|回复|助手|ai|assistant|系统|客户|用户|user)\s*[:：]", "角色标签"),
    (r"以下是.{0,12}(回复|草稿|内容|答复)|回复(草稿|如下)|作为(一[个名])?(ai|人工智能|语言模型|助手)|语言模型|当时发出的回复|参考案例\s*\d|坐席补充的情况|以往相似投诉的处理情况|</?投诉>|根据您的要求[，,]?\s*(以下|我(来|将|已)?(为您)?(写|撰写|生成|起草))|草稿\s*[:：]|<\|im_(start|end)\|>|\{\{|\}\}|（此处|\(此处|\[此处|【此处|xxx|仅供参考|根据实际情况(修改|调整)|（注[:：]|^注[:：]|^备注[:：]|\[[^\]\n]{1,16}\]|［[^］\n]{1,16}］", "提示词、占位符或元信息"),
)
_FORMAT = [(re.compile(p, re.IGNORECASE | re.MULTILINE), label) for p, label in FORMAT_PATTERNS]


PROMPT_RUN = 8  # this many characters in a row of an instruction to the writer is a leaked prompt
_QUOTED_OR_APPROVED = re.compile(r"“[^”]*”|「[^」]*」|‘[^’]*’|\"[^\"\n]*\"|（如[^）]*）|(应该说|例如|建议)[:：]?[^\n]*|\{\{.*?\}\}|\{%.*?%\}")
_INSTRUCTION_BREAK = re.compile(r"[，,。！!？?；;：:、（）()\n]|[0-9]+\.")


@lru_cache(maxsize=1)
def prompt_runs() -> frozenset[str]:
    """Every PROMPT_RUN-character run of what the prompts tell the writer (script steps,
    policy, format rules, feedback), with the example wordings and approved alternatives
    cut out, since a reply is meant to reuse those. Persona and risk guidance is left out:
    it describes what to do for the customer ("把客户的健康和安全放在第一位"), which a
    good reply says in its own words and may well say nearly verbatim."""
    from importlib import resources

    from complaint_desk.drafting.prompts import MOVE_GUIDES  # drafting imports this module

    folder = resources.files("complaint_desk.prompts")
    sources = [entry.read_text(encoding="utf-8") for entry in folder.iterdir() if entry.name.endswith(".j2")]
    sources += [*MOVE_GUIDES.values(), *MISSING_MOVE_HINTS.values()]
    runs: set[str] = set()
    for source in sources:
        for piece in _INSTRUCTION_BREAK.split(_QUOTED_OR_APPROVED.sub("\n", source)):
            compact = compact_view(piece).text
            runs.update(compact[i : i + PROMPT_RUN] for i in range(len(compact) - PROMPT_RUN + 1))
    return frozenset(runs)


def leaked_prompt(draft: Draft) -> list[Violation]:
    """Instructions to the writer repeated in the reply ("询问客户是否接受这个方案")."""
    compact, runs = draft.view.text, prompt_runs()
    violations: list[Violation] = []
    # every PROMPT_RUN-character window of a leaked stretch is one of the prompt's runs
    for index, end in repeated_runs(len(compact), PROMPT_RUN, lambda start, stop: compact[stop - PROMPT_RUN : stop] in runs):
        start, stop = draft.view.original_span(index, end)
        violations.append(Violation(rule="format", start=start, end=stop, span=draft.text[start:stop],
                                    message="面向客户的回复里出现了写给撰写者的提示词。", fix=FIXES["format"]))
    return violations


def check_format(draft: Draft) -> list[Violation]:
    violations = leaked_prompt(draft)
    for pattern, label in _FORMAT:
        for match in pattern.finditer(draft.text):
            violations.append(Violation(rule="format", start=match.start(), end=match.end(), span=match.group(),
                                        message=f"面向客户的回复里出现了{label}。", fix=FIXES["format"]))
    return violations


def required_moves(topic: str | None) -> tuple[str, ...]:
    return vocab.REQUIRED_MOVES_INQUIRY if topic == "inquiry" else vocab.REQUIRED_MOVES_GRIEVANCE


def check_script(clauses: Sequence[Clause], topic: str | None, hollow: Sequence[tuple[int, int]] = ()) -> list[Violation]:
    """missing_move for absent required moves; script_order when facts come before feelings.

    A move is present when any clause carries its cue (a clause like "为您申请了一张券表示
    歉意" is both solve and apology); an apology inside a hollow sentence does not count.
    Order is judged on each clause's dominant move.
    """
    violations: list[Violation] = []
    present: set[str] = set()
    for clause in clauses:
        moves = set(clause.moves)
        if any(start <= clause.start < end for start, end in hollow):
            moves.discard("apologize")
        present |= moves
    for move in required_moves(topic):
        if move in present or (topic == "inquiry" and move == "empathize" and "thank" in present):
            continue
        violations.append(Violation(rule="missing_move", start=0, end=0, span="",
                                    message=f"缺少「{vocab.MOVE_NAMES[move]}」这一步。", fix=MISSING_MOVE_HINTS[move]))
    dominant = [(c.dominant, c) for c in clauses if c.dominant]
    first: dict[str, Clause] = {}
    for move, clause in dominant:
        first.setdefault(move, clause)  # type: ignore[arg-type]
    feelings = ("empathize",) if topic == "inquiry" else ("empathize", "apologize")
    late_feeling = max((first[m].start for m in feelings if m in first), default=None)
    if "solve" in first and late_feeling is not None and first["solve"].start < late_feeling:
        solve = first["solve"]
        violations.append(Violation(rule="script_order", start=solve.start, end=solve.end, span=solve.text,
                                    message="先给方案、后安抚道歉，顺序反了：先处理心情，再处理事情。",
                                    fix=FIXES["script_order"]))
    return violations


MISSING_MOVE_HINTS: dict[str, str] = {
    "empathize": "开头先接住情绪，例如：遇到这种情况，换作是谁都会着急，谢谢您告诉我们。",
    "apologize": "为具体的事道歉，例如：这次给您添了麻烦，我们非常抱歉。",
    "clarify": "复述问题，只问必要的信息，例如：麻烦您提供一下订单号。",
    "solve": "给出政策内的具体方案（退货、换货、维修、补发、补偿等）。",
    "consult": "给出方案后征求意见，例如：您看这样处理可以吗？",
    "follow_up": "承诺联系的时间而不是结果的时间，例如：我们会在三个工作日内与您联系。",
    "thank": "结尾感谢客户提出问题。",
}

Check = Callable[[Draft], list[Violation]]
CHECKS: dict[str, Check] = {rule.id: (lambda d, r=rule: check_phrase_rule(d, r)) for rule in PHRASE_RULES}
CHECKS["pii_leak"] = check_pii
CHECKS["format"] = check_format


_AMOUNT = re.compile(r"(补偿|赔偿|赔付|赔|赠送|额外送|送您|补贴|报销)(您|你|给您)?(现金|红包|金额)?([0-9]+(?:\.[0-9]+)?)\s*(元|块)")
_APPROVED = re.compile(r"审批|批准|主管同意|经主管|领导批示|特批")
# amounts the customer is owed by contract are not the agent's promise
_BY_CONTRACT = re.compile(r"(按|根据|依据|依照)(照)?[^，,。！？!?]{0,8}?(条款|规定|标准|合同|协议|保价|价保|保单|三包|约定|法律|法规|规则|政策)")


def offered_amounts(text: str) -> list[tuple[float, int, int]]:
    """Compensation amounts a draft offers, with their spans."""
    folded = fold(text)
    return [(float(m.group(4)), m.start(), m.end()) for m in _AMOUNT.finditer(folded)]


def check_amount(draft: Draft, limit: float) -> list[Violation]:
    """An offer above what an agent may grant alone, without saying it was approved."""
    if _APPROVED.search(draft.view.text):
        return []
    folded = fold(draft.text)
    return [
        Violation(rule="over_promise", start=start, end=end, span=draft.text[start:end],
                  message=f"补偿 {amount:g} 元超出无需审批的上限（{limit:g} 元），需要主管批示。",
                  fix="我们会为您争取合理的补偿，并提交主管审批后尽快答复您。")
        for amount, start, end in offered_amounts(draft.text)
        if amount > limit and not _BY_CONTRACT.search(folded, _bounds(folded, start, end, _CLAUSE_BREAK)[0], start)
    ]


def check_draft(text: str, topic: str | None = None, rules: Sequence[str] | None = None,
                compensation_limit: float = 200.0) -> CheckResult:
    """Run every check (or the named ones) on a draft reply.

    `compensation_limit` is the policy's maximum compensation without supervisor approval.
    """
    draft = Draft.of(text)
    clauses = tag_clauses(text, inquiry=topic == "inquiry")
    selected = rules or vocab.RULE_IDS
    insincere = check_phrase_rule(draft, PHRASE_RULE_INDEX["insincere"])
    violations: list[Violation] = list(insincere) if "insincere" in selected else []
    for rule_id in selected:
        check = CHECKS.get(rule_id)
        if check and rule_id != "insincere":
            violations.extend(check(draft))
    if "over_promise" in selected:
        violations.extend(check_amount(draft, compensation_limit))
    deadlines = [_bounds(text, v.start, v.end, _CLAUSE_BREAK) for v in violations if v.rule == "result_deadline"]
    violations = [v for v in violations
                  if not (v.rule == "over_promise" and any(s <= v.start < e for s, e in deadlines))]
    # a hollow apology is not the apology move (SPEC: the apology must be sincere)
    hollow = [_bounds(text, v.start, v.end, _SENTENCE_BREAK) for v in insincere]
    if "missing_move" in selected or "script_order" in selected:
        violations.extend(v for v in check_script(clauses, topic, hollow) if v.rule in selected)
    violations.sort(key=lambda v: (v.start, v.rule))
    moves = [MoveSpan(move=c.dominant, start=c.start, end=c.end, text=c.text) for c in clauses if c.dominant]
    return CheckResult(passed=not violations, violations=violations, moves=moves)


def _check_one(item: tuple[str, str | None, float]) -> CheckResult:
    text, topic, limit = item
    return check_draft(text, topic, compensation_limit=limit)


def check_drafts(texts: Sequence[str], topics: Sequence[str | None] | None = None, compensation_limit: float = 200.0,
                 workers: int = 1) -> list[CheckResult]:
    """Check many drafts; `workers` > 1 spreads them over processes.

    The checks are pure-Python regex work, so threads would share one core; processes
    scale with the cores a batch job (eval, bulk import of old replies) has.
    """
    items = [(text, topic, compensation_limit) for text, topic in zip(texts, topics or [None] * len(texts), strict=True)]
    if workers <= 1 or len(items) < 2 * workers:
        return [_check_one(item) for item in items]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_check_one, items, chunksize=max(1, len(items) // (workers * 8))))
