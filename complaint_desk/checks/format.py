"""The `format` rule: markdown, step labels, role tags, placeholders and prompt text that a
customer-facing letter must not carry."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from complaint_desk import vocab
from complaint_desk.checks.draft import Draft
from complaint_desk.checks.moves import MOVE_SPECS
from complaint_desk.checks.rules import RULE_SPECS
from complaint_desk.domain import Violation
from complaint_desk.text import compact_view, repeated_runs

_FORMAT_SPEC = RULE_SPECS["format"]

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
    (r"第[一二三四五六七八九1-9]步\s*[:：]|^\s*第[一二三四五六七八九1-9]步|【[^】]{1,10}】|\[(" + "|".join(vocab.MOVE_IDS) + r")\]", "脚本步骤标签"),
    (r"^\s*(客服回复|坐席回复|客服人员|回复内容|ai回复|客服|坐席|回复|助手|ai|assistant|系统|客户|用户|user)\s*[:：]", "角色标签"),
    # a model talking to its user in English ("Sure! Here is a polite reply…"): four English words in a row
    (r"(?<![A-Za-z])[A-Za-z']{2,}(?:[ ,!.:;-]+[A-Za-z']{2,}){3,}", "英文说明或英文句子"),
    (r"以下是.{0,12}(回复|草稿|内容|答复)|回复(草稿|如下)|作为(一[个名])?(ai|人工智能|语言模型|助手)|语言模型|当时发出的回复|参考案例\s*\d|坐席补充的情况|以往相似投诉的处理情况|</?投诉>|根据您的要求[，,]?\s*(以下|我(来|将|已)?(为您)?(写|撰写|生成|起草))|草稿\s*[:：]|<\|im_(start|end)\|>|\{\{|\}\}|（此处|\(此处|\[此处|【此处|xxx|仅供参考|根据实际情况(修改|调整)|（注[:：]|^注[:：]|^备注[:：]|\[[^\]\n]{1,16}\]|［[^］\n]{1,16}］|[（(](注意|提示|说明|写作要求)[:：]|此处(语气|应|需|要|请)", "提示词、占位符或元信息"),
    # a plan line copied into the letter: it speaks of the reader as 客户 ("理解客户的失望", "给客户带来的麻烦")
    (r"(理解|体谅|安抚|稳住|询问|提醒|告知|联系)客户(?!经理|服务|端|群|中心|资料|信息|们|号|编号|名)|给客户带来|向客户(道歉|致歉|说明|解释|确认)",
     "写给撰写者的回复要点（把收信的客户称作“客户”）"),
    # the customer's feelings said as the writer's own ("这确实让我感到非常气愤", "这真的让我们非常生气"):
    # a restatement in the wrong voice
    (r"(让|令|叫)我(们)?(也)?(感到|觉得)?(很|非常|十分|特别|真的|极其)?(生气|气愤|愤怒|失望|不满|恼火|崩溃|无语|寒心|心寒)",
     "客户的感受写成了回复者自己的（“让我感到气愤”）"),
    # the letter handed over as a data structure ({"reply": "…"})
    (r"^\s*[{\[]\s*\"|\"(reply|response|text|content|answer|draft)\"\s*:", "JSON 等数据格式"),
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
    folder = resources.files("complaint_desk.prompts")
    sources = [entry.read_text(encoding="utf-8") for entry in folder.iterdir() if entry.name.endswith(".j2")]
    sources += [text for spec in MOVE_SPECS.values() for text in (spec.guide_text, spec.missing_fix)]
    runs: set[str] = set()
    for source in sources:
        for piece in _INSTRUCTION_BREAK.split(_QUOTED_OR_APPROVED.sub("\n", source)):
            compact = compact_view(piece).text
            runs.update(compact[i : i + PROMPT_RUN] for i in range(len(compact) - PROMPT_RUN + 1))
    return frozenset(runs)


EXAMPLE_RUN = 12  # the worked example is a letter: stock phrases of 8 characters are everybody's


@lru_cache(maxsize=1)
def example_lines() -> tuple[str, ...]:
    """The lines of the sections prompt's worked example (prompts/sections_example.toml) that
    are its own complaint's letter, not the stock wordings every letter shares."""
    text = resources.files("complaint_desk.prompts").joinpath("sections_example.toml").read_text(encoding="utf-8")
    return tuple(compact_view(s["written"]).text for s in tomllib.loads(text)["section"] if not s.get("stock"))


def _leaks(draft: Draft, size: int, copied: Callable[[str], bool], what: str,
           keep: Callable[[str, int, int], bool] = lambda run, start, stop: True) -> list[Violation]:
    """Each maximal stretch of the draft whose every `size`-character window (of its compact
    view) `copied` recognises; `keep` (the compact stretch, its original start and stop) may
    pass over some."""
    compact, violations = draft.view.text, []
    for index, end in repeated_runs(len(compact), size, lambda start, stop: copied(compact[stop - size : stop])):
        start, stop = draft.view.original_span(index, end)
        if keep(compact[index:end], start, stop):
            violations.append(Violation(rule="format", start=start, end=stop, span=draft.text[start:stop],
                                        message=_FORMAT_SPEC.message.format(what=what), fix=_FORMAT_SPEC.fix))
    return violations


def leaked_prompt(draft: Draft) -> list[Violation]:
    """Instructions to the writer repeated in the reply ("询问客户是否接受这个方案"), and the
    worked example's letter, which was written to another customer."""
    runs, lines = prompt_runs(), example_lines()
    return (_leaks(draft, PROMPT_RUN, runs.__contains__, "写给撰写者的提示词")
            + _leaks(draft, EXAMPLE_RUN, lambda window: any(window in line for line in lines), "提示词里示例的原句"))


def check_format(draft: Draft) -> list[Violation]:
    violations = leaked_prompt(draft)
    for pattern, label in _FORMAT:
        for match in pattern.finditer(draft.text):
            violations.append(Violation(rule="format", start=match.start(), end=match.end(), span=match.group(),
                                        message=_FORMAT_SPEC.message.format(what=label), fix=_FORMAT_SPEC.fix))
    return violations


ECHO_RUN = 6  # this many characters of the complaint in a row, with its 我 or 你们, is the customer's voice
_CUSTOMER_VOICE = re.compile(r"我(?!们)|你们|咱|俺")


def customer_voice(draft: Draft, complaint: str) -> list[Violation]:
    """The customer's words said back in their own voice ("快递显示已签收，可我根本没收到",
    "打了你们客服电话四次"): the reply speaks as 我们 and to 您. A blind reader's first reason
    against model drafts. Quoted words stay allowed."""
    source = compact_view(complaint).text
    return _leaks(draft, ECHO_RUN, source.__contains__, "照搬的客户原话，人称没有转换（客户的“我”应写“您”，“你们”应写“我们”）",
                  keep=lambda run, start, stop: bool(_CUSTOMER_VOICE.search(run)) and not draft.is_quoted(start, stop))
