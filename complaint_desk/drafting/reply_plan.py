"""The reply plan as data: what a reply will say, move by move, as labelled Chinese lines
the agent can read and edit and the program can read back (drafting/plan.py builds one)."""

from __future__ import annotations

from dataclasses import dataclass

from complaint_desk.errors import ActionableError

KINDS = {"complaint": "投诉", "inquiry": "咨询", "suggestion": "建议", "praise": "表扬"}
LABELS = {  # plan line label → field
    "类型": "kind", "问题": "issues", "安抚": "feeling", "道歉": "apology", "确认": "ask", "方案": "remedies",
    "征求意见": "consult", "跟进": "contact",
}


class PlanError(ActionableError, ValueError):
    """An edited plan the program cannot read; the message names the line."""


@dataclass(frozen=True)
class ReplyPlan:
    kind: str  # KINDS id: a complaint is apologised for; an inquiry is answered; a suggestion or praise is thanked
    issues: tuple[str, ...]  # each point the complaint raises, in the customer's words (pronouns turned)
    feeling: str
    apology: str  # empty: nothing to apologise for (an inquiry, praise)
    ask: str  # what to ask for, or what the notes say was found
    remedies: tuple[str, ...]  # remedy names (SPEC remedy ids' Chinese names), amounts only from policy or approval
    consult: str
    contact: str  # when we will contact the customer

    def render(self) -> str:
        """The plan as labelled lines, the form the agent edits and the prompt shows."""
        lines = [f"类型：{KINDS[self.kind]}"] + [f"问题：{issue}" for issue in self.issues]
        lines += [f"安抚：{self.feeling}", f"道歉：{self.apology or '无'}", f"确认：{self.ask or '无'}"]
        lines += [f"方案：{remedy}" for remedy in self.remedies]
        lines += [f"征求意见：{self.consult}", f"跟进：{self.contact}"]
        return "\n".join(lines)


def parse_plan(text: str) -> ReplyPlan:
    """The agent's edited plan back into its fields; a line that is not `标签：内容` is refused by number."""
    fields: dict[str, list[str]] = {name: [] for name in LABELS.values()}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        label, sep, value = line.replace(":", "：", 1).partition("：")
        if not sep or label.strip() not in LABELS:
            raise PlanError(f"回复要点第 {number} 行「{line[:20]}」看不懂：每行以 {'、'.join(LABELS)} 之一开头，后接冒号")
        value = value.strip()
        if value and value != "无":
            fields[LABELS[label.strip()]].append(value)
    single = {name: "；".join(values) for name, values in fields.items() if name not in ("kind", "issues", "remedies")}
    kinds = {name: kind for kind, name in KINDS.items()}
    kind = "；".join(fields["kind"]) or KINDS["complaint"]
    if kind not in kinds:
        raise PlanError(f"回复要点的类型「{kind}」看不懂：请写 {'、'.join(KINDS.values())} 之一")
    return ReplyPlan(kind=kinds[kind], issues=tuple(fields["issues"]), remedies=tuple(fields["remedies"]), **single)
