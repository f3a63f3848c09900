"""The move tagger: which clause of a reply is empathize / apologize / … / thank.

A reply is split into clauses (at ，；：。！？ and line breaks); each clause gets every move
whose cue it contains, and its dominant move for display and ordering. Three readings
need more than a cue list:
- thanks are ambiguous by design ("谢谢您的反馈" opens a reply as empathy and closes it
  as 致谢), so position decides;
- a reply often empathises by restating what the customer went through right before
  apologising ("等了两个小时，计划全被打乱，真的很抱歉"): cue-less clauses that lead
  into the first apology are the empathize move;
- a follow-up promise is a time plus a contact ("明天下午…给您打电话"), which may be
  split over two clauses, so it is found per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from complaint_desk import vocab
from complaint_desk.checks.draft import FULL_STOP, bounds
from complaint_desk.domain import MoveSpan
from complaint_desk.pattern_index import LabelledIndex, labelled_index
from complaint_desk.text import fold


@dataclass(eq=False)
class MoveSpec:
    """A script move: the cues that find it, what the prompt asks for, what a missing one needs.

    `guide` tells the writer what the move does, `hint` tells an agent whose draft lacks it,
    and `example` is a wording of it that both show; `required` says for which kinds of
    complaint the checker insists on it.
    """

    id: str
    cues: tuple[str, ...]
    guide: str
    hint: str
    example: str | None = None
    required: frozenset[str] = frozenset()  # "grievance", "inquiry"

    @property
    def name(self) -> str:
        return vocab.MOVE_NAMES[self.id]

    @property
    def guide_text(self) -> str:
        return self.guide + (f"，例如“{self.example}”" if self.example else "")

    @property
    def missing_fix(self) -> str:
        return self.hint + (f"，例如：{self.example}" if self.example else "。")

# an action that failed or was not done is a restatement, not a solution
_NOT_DONE = r"(?!不了|不到|不好|不来|不过来|得|晚|错|丢|坏|漏|慢|迟|乱|太)"
_NOT_FEELING = r"(?!很|非常|觉得|感到|这样|那样|生气|着急|焦虑|恼火|难受|不|理解|体会|深深|感受|够|心疼|担心|失望|烦)"
_CLARIFY_VERB = r"(核实|核对|核查|查询|查到|查看|查了|了解|确认|记录|登记|收到|看到|注意到|理解)"
_ACTION = (
    r"(办理|安排|申请|退|补|换|更换|调换|处理|提供|争取|加急|发放|恢复|解冻|冻结|开通|关闭|取消|免除|减免|修|维修|检修|调整"
    r"|预约|升级|发|送|寄|报销|承担|寄存|补办|转|搬|核查|保留|安装|开具|补开|退还|返还|撤销|延长|预留|改签|退票|赔|优先|上门|派|重新"
    r"|联系|协调|督促|催|设置|开|删除|屏蔽|拦截|封存|下架|停售|暂停|处罚|整改|培训|约谈|追回|抵扣|冲抵|豁免|免|补偿|赠|送上"
    r"|通知|批评|问责|调看|调取|更正|修正|解除|放行|配送|派送|送达|收回|回收|取件|检测|核减|扣除|全免|报备|申诉|复核|退回|赔付"
    r"|切换|解锁|打折|打八折|调到|延期|改期|退到|退给|返到|免单|升舱|挂失|止付|寄出|发出|解决|提高|发起|移除|增设|解答|分拣|准备"
    r"|反馈给|转给|转交|提交|理赔|改用|改为|整改|进行调查|进行处理|加强|停止|设置|照价赔|补寄|补送|交给|陪同|派|关掉|关闭|打开)" + _NOT_DONE
)
_AGENT = r"(我们|我|咱们|咱|俺们|平台|门店|公司|这边|银行|酒店|师傅|专员|同事|财务|技术|系统|店长|经理|主管|学校|医院)"
_MODAL = r"(已经|已(?!经)|会|将|正在|可以|能|马上|立即|现在|这就|先|愿意|来|保证|一定)"
_CONTACT = (
    r"(联系|回电|来电|致电|拨打|回复|告知|告诉您|反馈|通知|打电话|打个电话|电话|短信|消息|留言|回访|沟通|确认进展|说明进展|向您说明|当面说明"
    r"|跟您说一声|跟您说|发单号|发您单号|把单号|发到您手机|打给您|打给你)"
)
_TIME = (
    r"(([0-9]+|[一二两三四五六七八九十半几])(个)?(工作日|工作天|小时|天|日|周|分钟)(之)?内"
    r"|([0-9]+|[一二两三四五六七八九十半几])(个)?(分钟|小时|钟头)(后|以后|之后|内|之内)"
    r"|[\u4e00-\u9fff]{1,6}(后|之后|以后|之前|前|时)"
    r"|([0-9]+|[一二两三四五六七八九十几])(个)?(天|周|月|星期)(后|以后|之后)|每[两三四五六七]?(天|周|日|个工作日)"
    r"|([0-9]+|[一二三四五六七八九十]+)月([0-9]+|[一二三四五六七八九十]+)(日|号)"
    r"|(今天|今日|今晚|明天|明日|明儿|明早|后天|本周|下周|这周|周[一二三四五六日]|月底|下班|放学|入住|出发|到达|审批|结果出来|有(了)?(进展|消息|结果)"
    r"|派件|派送|送货|发货|发出|寄出|上门|取件|发起|办好|到店|出车)"
    r"(上午|下午|中午|晚上|傍晚)?(([0-9]+|[一二两三四五六七八九十]+)点(半)?)?(前|之前|内|以前|后|之后|时)?"
    r"|(上午|下午|中午|晚上|傍晚)?([0-9]+|[一二两三四五六七八九十]+)点(半)?(前|之前|以前)"
    r"|前一天|当天|提前一天|次日|隔天|最晚|不晚于|不超过"
    r"|(准备好|办好|办理好|修好|到达|出发|完成|结束|处理好|有进展|出结果|审核通过|到账|取件|上门)(前|后|之后|时)(第一时间)?)"
)

MOVE_SPECS: Mapping[str, MoveSpec] = MappingProxyType({spec.id: spec for spec in (
    MoveSpec(
        "empathize",
        cues=(
            r"理解|体会|能想象|可以想象|可想而知|感同身受|换(作|做|成)?(是)?(谁|我|您|任何人)|搁谁|谁(身上)?(都|也)(会|得)|心情|着急|焦急|担心|担忧|难受|窝火|委屈"
            r"|上火|沮丧|不安|尴尬|心累|后怕|冤枉|憋屈|堵心|烦心"
            r"|失望|生气|不满|郁闷|心疼|害怕|闹心|糟心|不容易|辛苦|恼火|气愤|愤怒|寒心|揪心|心急|烦躁|心烦|扫兴|不舒服|不痛快|不踏实|七上八下|吓"
            r"|疲惫|无奈|为难|不耐烦|受委屈",
            r"让您(非常|很|十分|特别)?(不快|不满|失望|着急|生气|难受|心寒|不安|委屈|困扰|难堪)|落差|^(确实|的确|是的|没错)[，,。!！]?$|(非常|十分|特别)?重视|放在心上|(很|是|完全|也)正常|很自然|可以理解|情有可原|合情合理|完全合理|在所难免",
            r"(您|你|心里|心情)(的)?.{0,4}?(一定|肯定|想必|应该是|确实)|一定(很|非常|特别|是|又|也)|肯定(很|又)|想必|任何人|(都|也)会(觉得|感到|生气|着急)",
            r"(确实|真的|实在)(让人|令人|叫人|太|很|挺|不)|(太|真)(糟糕|闹心|折腾|麻烦|辛苦|累)|被这样(对待)?|遇到这(种|样)",
            r"(谢谢|感谢)您?(的)?(反馈|告诉|提醒|来电|留言|信任|耐心|指出|把|询问|关注|提出|建议|咨询|支持)",
            r"让您(久等|费心|操心|担心|失望|奔波|跑|受累|白跑|反复|等|为难|悬着|不安)",
        ),
        guide="先接住客户的情绪，说出他遇到的具体困扰，感谢他告诉我们",
        hint="开头先接住情绪",
        example="遇到这种情况，换作是谁都会着急，谢谢您告诉我们。",
        required=frozenset({"grievance", "inquiry"}),
    ),
    MoveSpec(
        "apologize",
        cues=(
            r"抱歉|道歉|对不起|对不住|歉意|致歉|不好意思|请您(多多)?(原谅|见谅)",
            r"(?<!不是)(?<!并非)(?<!没有)我们的(失误|过错|疏忽|失职|不对|问题)|是我们(工作)?(的)?(失误|疏忽|失职|没(有)?做好|不到位|做得不好|的错)",
            r"给您(添|带来)了?(这么多|很多|不少)?(麻烦|困扰|不便|添堵|堵)|给您添堵",
        ),
        guide="为具体的事真诚道歉，不要空洞的套话",
        hint="为具体的事道歉",
        example="这次给您添了麻烦，我们非常抱歉。",
        required=frozenset({"grievance"}),
    ),
    MoveSpec(
        "clarify",
        cues=(
            r"核实|核对|核查|查询|查到|查看了|查了|了解到|经查|调取|确认|我们看到|系统显示|记录显示|排查",
            r"(请|麻烦|方便)您?(提供|告知|发|拍|上传|补充|留下)|订单号|单号|照片|截图|凭证|票据",
            r"您(反映|提到|说)的(问题|情况|是)|根据您的描述|您遇到的(问题|情况)",
        ),
        guide="用一句话复述问题；只在确实需要时请客户提供订单号、照片等必要信息",
        hint="复述问题，只问必要的信息",
        example="麻烦您提供一下订单号。",
        required=frozenset(),
    ),
    MoveSpec(
        "solve",
        cues=(
            r"(为|给|帮|替)(您|你)(先|直接|免费|马上|立即|重新|单独|优先|尽快|全额|按原价|另外|彻底)?" + _ACTION,
            r"(为|给|帮|替)(您|你)[^，,。]{0,10}?" + _ACTION + r"|(送|赠)(您|你)(一|两|[0-9])|打[一二三四五六七八九]折",
            _AGENT + r"(这边)?(也|还|都|同时|另外|今天|明天|马上|稍后)?" + _MODAL + _NOT_FEELING + r"(?!在[^，,。]{0,14}(联系|回电|致电|拨打))(?!" + _CLARIFY_VERB + ")",
            _AGENT + r"(这边)?(先|也|就|都|还|马上|立即|全额|全部|直接|免费|为|给|把|对|按)?" + _ACTION,
            r"(我们|我|咱们|咱)(这边)?[^，,。]{0,4}?(帮|为|给)(您|你)[^，,。]{0,10}?" + _ACTION,
            r"由(我们|我)(来)?(为您|给您|帮您)?(负责|处理|解答|跟进|联系|协调|核实处理)",
            r"可以(为|给|帮)[^，,。]{0,3}?" + _ACTION + r"|可以(为您|帮您|给您|直接|选择|先)|(您|你)?(也)?可以(选择|改用|使用|通过|凭|直接|先|在|拨打|点击|登录|携带|带上|到)",
            r"(可以|会|将|另外|并|同时|还会|还将|再).{0,12}?(赔付|退款|退还|退给|补发|换货|维修|补偿|抵扣|退回|退到|赠送|免除|减免|安排|打折|升级|调到|返还|重新寄|寄一份|调查|加强)",
            r"(马上|立即|尽快|立刻)(为您|给您)?(安排|处理|发出|寄出|补发|退款|更换)",
            r"(已|已经)(为您|给您|帮您|把|将|联系|通知|安排|协调|督促|对|要求).{0,8}?" + _ACTION,
            r"(这|此)(一)?(单|次|笔|份)(的)?.{0,8}?(全额|全部)?(退|免|补|赔)",
            r"安排.{0,8}?(师傅|专人|专员|人员|快递|技术|工程师|维修|抢修|骑手|客房|经理|店长|行长|主管)",
            r"(退款|补偿|赔付|退还|补发|差价|费用|款项)(会|将|已)|(赔付|补偿|退款|退还)(的)?(金额)?(为|是)[0-9一二三四五六七八九十两]",
            r"(即可|就可以|就行|就能)|入口(在|位于)|(具体|操作)?步骤(是|如下)|流程(是|如下)|需要(携带|准备|提供)|营业时间|(有|提供|准备了)(以下)?(两|几|三)(种|个)(方式|选择|方案|办法)",
        ),
        guide="给出政策范围内的具体方案（退货、换货、维修、补发、折价、补偿等），不过度承诺",
        hint="给出政策内的具体方案（退货、换货、维修、补发、补偿等）",
        required=frozenset({"grievance", "inquiry"}),
    ),
    MoveSpec(
        "consult",
        cues=(
            r"^(?!.*还有(什么|其他|别的))(?=.*(您看|是否|可以吗|行吗|(?<!还)好吗|方便吗|接受吗|满意吗|合适吗|同意吗|需要吗|愿意吗|如何|怎么样(?!了)|哪种|哪一种"
            r"|哪个|哪一个|倾向|意见|想法)).*[?？]",
            r"如果您(同意|接受|认可|觉得可以|满意|没有意见)|征求您的意见|听听您的(意见|想法)|您(更)?(倾向|希望|愿意|想)(选择|哪)",
            r"还是[^，,。]{1,12}(呢)?[?？]$", r"^(请问|您看|想请问)[^？?]*(吗|呢)[?？]$",
            r"(是否|能否)(认可|接受|同意|满意|可以|合适|方便|希望|需要)|(有帮助|清楚|认可|满意)吗",
        ),
        guide="询问客户是否接受这个方案",
        hint="给出方案后征求意见",
        example="您看这样处理可以吗？",
        required=frozenset({"grievance", "inquiry"}),
    ),
    MoveSpec(
        "follow_up",
        cues=(),  # a time plus a contact, found per sentence (_FOLLOW_UP below)
        guide="承诺在什么时间之前联系客户、告知进展，不承诺最终结果的时间",
        hint="承诺联系的时间而不是结果的时间",
        example="我们会在两个工作日内与您联系",
        required=frozenset({"grievance"}),
    ),
    MoveSpec(
        "thank",
        cues=(r"感谢|谢谢|多谢",),
        guide="感谢客户提出问题",
        hint="结尾感谢客户提出问题",
        required=frozenset(),
    ),
)})


def required_moves(topic: str | None) -> tuple[str, ...]:
    """The moves a reply to this topic must make, in script order."""
    kind = "inquiry" if topic == "inquiry" else "grievance"
    return tuple(spec.id for spec in MOVE_SPECS.values() if kind in spec.required)




def cue_index() -> LabelledIndex:
    """A clause carries a move when any alternative of any of the move's cues matches."""
    return labelled_index(tuple((spec.id, spec.cues) for spec in MOVE_SPECS.values()))


# a time, then (within the sentence, with no negation between) a contact: "明天下午…给您回电"
# "没能好好帮您解决问题" restates a failure: it is not a solution
_FAILED = re.compile(r"没能|未能|没有能|没(有)?(好好|及时)?(帮|为|给)(您|你)")
# an event the contact is tied to: "申请好了我短信跟您说一声", "一有结论我就给您打电话"
_EVENT = r"(好了|完了|完(?!全)|办好|弄好|一有|一出|一结束|一到|一完成|到账了|每天|每周|之后|以后|(?<!前)后(?!天|面|续|期|果))"
_FOLLOW_UP = re.compile(_EVENT + r"(?:(?!没|未)[^。！？!?\n，,]){0,10}?(我|我们|会|将|给您|与您|跟您|就)"
                        r"(?:(?!没|未)[^。！？!?\n，,]){0,10}?" + _CONTACT + r"|" + _TIME + r"(?:(?!没|未)[^。！？!?\n]){0,30}?" + _CONTACT
                        + r"|" + _CONTACT + r"[^。！？!?\n]{0,12}?(最晚|不晚于|不迟于)" + _TIME)
_SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?\n]?")
_CONTACT_CUE = re.compile(_CONTACT)
_GREETING = re.compile(r"^(您好|你好|亲|亲爱的.{0,6}|尊敬的.{0,8}|[^，,]{0,6}(您好|你好))(嘛|呀|啊)?[，,:：!！]?$|^[^，,]{1,8}[:：]$")
# before the first apology, a clause that tells what went wrong is a restatement, not a plan
_RESTATEMENT = re.compile(r"上次|之前|却|反而|竟然|居然|结果|被|没|不|就|仅|又")
# a sentence that says back what the customer reported: all of it is their account, not our plan
_RESTATING = re.compile(r"您(?:反映|说|提到|问到|讲|告诉我们)|听您说")
# the dominant move of a clause that carries several cues
PRECEDENCE: tuple[str, ...] = ("consult", "follow_up", "apologize", "solve", "clarify", "empathize", "thank")
_CLAUSE = re.compile(r"[^，,；;。！!？?\n：:]+[，,；;。！!？?\n：:]*")


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    text: str
    moves: frozenset[str]
    dominant: str | None = field(init=False, compare=False)  # for display and ordering

    def __post_init__(self) -> None:
        object.__setattr__(self, "dominant", next((m for m in PRECEDENCE if m in self.moves), None))


def _follow_up_ends(folded: str) -> list[int]:
    """Where follow-up promises end. Each holds a contact word and stays inside one
    sentence, so only sentences with a contact word are scanned (the scan is costly)."""
    ends: list[int] = []
    for sentence in _SENTENCE.finditer(folded):
        start, end = sentence.span()
        if end > start and _CONTACT_CUE.search(folded, start, end):
            ends.extend(match.end() for match in _FOLLOW_UP.finditer(folded, start, end))
    return ends


def _cued_moves(chunk: str, cues: LabelledIndex) -> set[str]:
    moves: set[str] = set()
    for move, cue in cues.admitted(chunk):
        if move not in moves and cue.search(chunk):
            moves.add(move)
    return moves


def _cued_clauses(text: str) -> list[Clause]:
    folded = fold(text)
    follow_up_ends = _follow_up_ends(folded)
    cues = cue_index()
    found: list[Clause] = []
    for match in _CLAUSE.finditer(folded):
        chunk = match.group()
        if not chunk.strip():
            continue
        moves = _cued_moves(chunk, cues)
        if "solve" in moves and _FAILED.search(chunk):
            moves.discard("solve")
        if any(match.start() < end <= match.end() for end in follow_up_ends):
            moves.add("follow_up")
        start = match.start() + (len(chunk) - len(chunk.lstrip()))
        found.append(Clause(start, match.end(), text[start : match.end()].rstrip(), frozenset(moves)))
    return found


def _answer_clauses(tagged: list[Clause]) -> list[Clause]:
    """In a reply to an inquiry, plain statements after the opening are the answer."""
    opened = False
    result = []
    for clause in tagged:
        if clause.moves & {"consult", "follow_up", "thank"} and opened:
            opened = False
        if not clause.moves and opened and len(clause.text) >= 6:
            clause = replace(clause, moves=frozenset({"solve"}))
        if clause.moves & {"empathize", "thank"}:
            opened = True
        result.append(clause)
    return result


def _sentence_so_far(text: str, clause: Clause) -> str:
    """The clause's sentence from its start up to the clause's end."""
    return text[bounds(text, clause.start, clause.end, FULL_STOP)[0] : clause.end]


def tag_clauses(text: str, inquiry: bool = False) -> list[Clause]:
    """Every clause with every move it carries, after the positional readings above."""
    tagged = _cued_clauses(text)
    first_apology = next((i for i, c in enumerate(tagged) if "apologize" in c.moves), None)
    if first_apology is not None:
        tagged = [replace(c, moves=c.moves - {"solve"}) if i < first_apology and "solve" in c.moves
                  and (_RESTATEMENT.search(c.text) or _RESTATING.search(_sentence_so_far(text, c))) else c
                  for i, c in enumerate(tagged)]
    if first_apology is not None and not any(c.moves - {"empathize", "thank"} for c in tagged[:first_apology]):
        tagged = [replace(c, moves=frozenset({"empathize"}))
                  if i < first_apology and not c.moves and not _GREETING.match(c.text) else c
                  for i, c in enumerate(tagged)]
    if first_apology is not None:
        index = first_apology - 1
        while index >= 0 and not tagged[index].moves and not _GREETING.match(tagged[index].text) \
                and tagged[index].text.rstrip()[-1:] not in "。！？!?\n":
            tagged[index] = replace(tagged[index], moves=frozenset({"empathize"}))
            index -= 1
    if inquiry:
        tagged = _answer_clauses(tagged)
    facts = next((i for i, c in enumerate(tagged) if c.moves & {"solve", "consult", "follow_up"}), len(tagged))
    # thanks in the opening, before any plan, is empathy ("谢谢您的反馈"); after it, 致谢 — even
    # where its words are also an empathy cue ("感谢您的反馈，也谢谢您的耐心" closing a letter)
    return [replace(c, moves=frozenset({"empathize"})) if c.moves == {"thank"} and i < facts else
            replace(c, moves=c.moves - {"empathize"}) if "thank" in c.moves and i > facts else c
            for i, c in enumerate(tagged)]


def tag_moves(text: str, inquiry: bool = False) -> list[MoveSpan]:
    """The dominant move of each clause that has one, in reading order."""
    return [
        MoveSpan(move=clause.dominant, start=clause.start, end=clause.end, text=clause.text)
        for clause in tag_clauses(text, inquiry)
        if clause.dominant
    ]


def first_positions(spans: list[MoveSpan]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for span in spans:
        positions.setdefault(span.move, span.start)
    return positions
