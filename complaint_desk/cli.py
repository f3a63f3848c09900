"""`complaint-desk`: the command line. Thin: every command calls a domain function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from complaint_desk import vocab
from complaint_desk.config import Settings, get_settings
from complaint_desk.jsonl import LineError, open_output, read_records, write_record

app = typer.Typer(
    help="投诉工作台：导入投诉、分诊排队、检索相似案例、生成并检查回复草稿。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
user_app = typer.Typer(help="管理登录账号（坐席、主管、管理员）。", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据：查看或删除首次启动时生成的演示队列和演示账号。", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(demo_app, name="demo")

OutputOption = Annotated[str, typer.Option("-o", "--output", help="输出文件；用 - 表示输出到屏幕")]


def settings() -> Settings:
    return get_settings()


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def progress_bar(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="条", file=sys.stderr, disable=total < 2)


def report_line_errors(errors: list[LineError]) -> None:
    for error in errors:
        typer.echo(f"跳过 {error}", err=True)


def open_store_or_fail():  # noqa: ANN201  (Store protocol)
    from complaint_desk.store import open_store

    try:
        return open_store(settings())
    except Exception as error:  # noqa: BLE001  (any driver error → one readable line)
        fail(f"无法打开数据库 {settings().resolved_database_url}：{error}")


# --- intake ------------------------------------------------------------------------


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="CSV、JSONL 或 Excel(.xlsx) 文件，可多个")],
    no_triage: Annotated[bool, typer.Option("--no-triage", help="只导入，不做分诊")] = False,
    user: Annotated[str, typer.Option(help="记入审计日志的操作人")] = "cli",
) -> None:
    """导入投诉。每个错误行都会列出行号、列名和原因，正确的行照常导入；重复导入不会产生重复记录。"""
    from complaint_desk.importing import ImportFormatError
    from complaint_desk.intake import TriageService, import_and_triage

    store = open_store_or_fail()
    service = TriageService(settings())
    failed = False
    for path in files:
        with progress_bar(0, f"导入 {path.name}") as bar:
            try:
                report = import_and_triage(store, service, path, user, triage=not no_triage, progress=bar.update)
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
) -> None:
    """导出投诉及已发送的回复（CSV 或 JSONL）。"""
    from complaint_desk.importing import export_rows, write_export

    store = open_store_or_fail()
    rows = export_rows(store, tuple(status))
    with open_output(output) as handle:
        write_export(rows, handle, fmt)
    if output != "-":
        typer.echo(f"已导出 {len(rows)} 条到 {output}")


@app.command("triage")
def triage_command(
    input_file: Annotated[str, typer.Argument(metavar="IN.jsonl", help='每行 {"id","text"}；- 表示从标准输入读')],
    output: OutputOption = "-",
) -> None:
    """批量分诊：为每条投诉给出怒气、主题、客户类型、风险信号、优先级、原因和责任部门。"""
    from complaint_desk.model.triage import Triager

    records, errors = read_records(input_file)
    report_line_errors(errors)
    triager = Triager(settings())
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
    password: Annotated[str | None, typer.Option(help="密码（至少 6 位）；不填则交互输入")] = None,
) -> None:
    """新建账号。第一次使用时先建一个管理员：complaint-desk user add admin --role admin"""
    from complaint_desk.domain import User

    if role not in vocab.ROLE_IDS:
        fail(f"未知角色 {role}；可选 {', '.join(vocab.ROLE_IDS)}")
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    store = open_store_or_fail()
    try:
        store.add_user(User(username=username, display_name=name or username, role=role), password)
    except ValueError as error:
        fail(str(error))
    store.audit("cli", "user_add", None, username=username, role=role)
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
    try:
        open_store_or_fail().set_password(username, password)
    except KeyError as error:
        fail(str(error.args[0]))
    typer.echo("密码已更新")


@demo_app.command("remove")
def demo_remove() -> None:
    """删除演示投诉、它们的草稿和演示账号（不影响真实数据）。"""
    store = open_store_or_fail()
    removed = store.remove_demo()
    store.audit("cli", "demo_remove", None, complaints=removed)
    typer.echo(f"已删除 {removed} 条演示投诉和演示账号")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
