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
eval_app = typer.Typer(help="离线评测：分诊、相似案例检索、草稿检查，以及用某个模型跑完整评测集。", no_args_is_help=True)
bench_app = typer.Typer(help="性能测试：打印吞吐量、延迟和内存，不做通过/失败判断。", no_args_is_help=True)
train_app = typer.Typer(help="训练本项目的模型（分诊模型、检索向量模型）。", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(demo_app, name="demo")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(train_app, name="train")

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
    store.audit("cli", "user_add", None, account=username, role=role)
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


# --- similar cases, drafts, checks ----------------------------------------------------------


def case_base_or_fail():  # noqa: ANN201
    from complaint_desk.cases.base import CaseBase

    store = open_store_or_fail()
    base = CaseBase(store, settings())
    base.ensure_seeded()
    base.indexes()
    if base.notice:
        typer.echo(f"提示：{base.notice}", err=True)
    return base


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
    import json

    base = case_base_or_fail()
    hits = base.similar(text, k=k, industry=industry, topic=topic, backend=backend)
    if as_json:
        typer.echo(json.dumps([
            {"id": h.case.id, "score": round(h.score, 4), "topic": h.case.topic, "industry": h.case.industry,
             "remedy": h.case.remedy, "outcome": h.case.outcome, "why": list(h.why)} for h in hits
        ], ensure_ascii=False, indent=2))
        return
    for rank, hit in enumerate(hits, start=1):
        case = hit.case
        typer.echo(f"{rank}. {case.id}  得分 {hit.score:.4f}  {vocab.TOPIC_NAMES[case.topic]} · "
                   f"{vocab.INDUSTRY_NAMES.get(case.industry, case.industry)} · {vocab.REMEDY_NAMES[case.remedy]} · "
                   f"{vocab.OUTCOME_NAMES[case.outcome]}")
        typer.echo(f"   {case.complaint[:80]}")
        typer.echo(f"   原因：{'；'.join(hit.why)}")
    typer.echo(base.precedent(text, industry=industry).summary)


@app.command("check")
def check_command(
    input_file: Annotated[str, typer.Argument(metavar="IN.jsonl", help='每行 {"id","text"}，可带 "complaint" 或 "topic"')],
    output: OutputOption = "-",
) -> None:
    """检查回复草稿：禁用说法、脚本顺序、缺少的步骤、格式和隐私；输出违规位置与建议改法。"""
    from complaint_desk.eval.checks import check_draft

    records, errors = read_records(input_file)
    report_line_errors(errors)
    limit = settings().policy.max_compensation_without_approval
    needs_topic = [r for r in records if "topic" not in r.data and r.data.get("complaint")]
    topics: dict[int, str] = {}
    if needs_topic:
        from complaint_desk.model.triage import Triager

        results = Triager(settings()).score([r.data["complaint"] for r in needs_topic])
        topics = {r.line: t.topic for r, t in zip(needs_topic, results, strict=True)}
    with open_output(output) as handle, progress_bar(len(records), "检查") as bar:
        for record in records:
            topic = record.data.get("topic") or topics.get(record.line)
            result = check_draft(record.data["text"], topic, compensation_limit=limit)
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
    backend: Annotated[str | None, typer.Option(help="transformers、openai 或 composer；默认用配置")] = None,
    model: Annotated[str | None, typer.Option(help="模型 id、目录或 .gguf 文件")] = None,
    output: OutputOption = "-",
) -> None:
    """批量生成回复草稿（经过检查与修复），输出草稿、所用后端和剩余违规。草稿不会自动发送。"""
    from complaint_desk.drafting.backends import load_backend
    from complaint_desk.drafting.guard import guard
    from complaint_desk.eval.runner import _request
    from complaint_desk.model.triage import Triager

    config = settings()
    if model:
        config = config.model_copy(update={"llm": config.llm.model_copy(update={"model": model})})
    records, errors = read_records(input_file)
    report_line_errors(errors)
    loaded = load_backend(config, backend)
    if loaded.notice:
        typer.echo(f"提示：{loaded.notice}", err=True)
    base = case_base_or_fail()
    triager = Triager(config)
    with open_output(output) as handle, progress_bar(len(records), "起草") as bar:
        for record in records:
            triage = triager.triage(record.data["text"])
            request = _request(record.data, config, base, triage)
            if record.data.get("hint"):
                from dataclasses import replace

                request = replace(request, hint=str(record.data["hint"]))
            outcome = guard(request, loaded.backend, config.guard.max_regenerations)
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


# --- eval ------------------------------------------------------------------------------------


@eval_app.command("triage")
def eval_triage(
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="不训练 TF-IDF 基线")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="同时把结果写成 JSON")] = None,
) -> None:
    """分诊模型在金标集和留出评论上的指标（主题 macro-F1、怒气、AUC、风险信号），并与 TF-IDF 基线对比。"""
    import json

    from complaint_desk.eval.triage_eval import evaluate_triage, format_triage_report
    from complaint_desk.model.triage import Triager

    config = settings()
    if not config.external_data_dir.is_dir():
        fail(f"找不到评论数据目录 {config.external_data_dir}；请设置 COMPLAINT_DESK_EXTERNAL_DATA_DIR")
    report = evaluate_triage(config.external_data_dir, Triager(config), with_baseline=not no_baseline)
    typer.echo(format_triage_report(report))
    if output:
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


@eval_app.command("retrieval")
def eval_retrieval(
    industry_filter: Annotated[bool, typer.Option("--industry-filter", help="按查询的行业过滤（部署在单一行业时的用法）")] = False,
) -> None:
    """相似案例检索在作者编写的查询集上的 recall@5 与 MRR@10（BM25、向量、混合）。"""
    import tempfile

    from complaint_desk.cases.base import CaseBase
    from complaint_desk.eval.retrieval_eval import evaluate_retrieval, format_retrieval_report, load_queries
    from complaint_desk.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        config = settings().model_copy(update={"data_dir": Path(tmp), "database_url": None})
        base = CaseBase(open_store(config), config)
        base.ensure_seeded()
        queries = load_queries()
        with progress_bar(len(queries) * 3, "检索") as bar:
            results = evaluate_retrieval(base, queries=queries, progress=bar.update, use_industry=industry_filter)
        typer.echo(format_retrieval_report(results, base.notice))


@eval_app.command("checks")
def eval_checks(
    check_set: Annotated[list[Path], typer.Argument(help="检查集文件；默认评测全部内置检查集")] = [],  # noqa: B006
    show_mismatches: Annotated[bool, typer.Option("--show-mismatches", help="列出判断不一致的草稿")] = False,
) -> None:
    """草稿检查在标注检查集上的逐规则精确率/召回率、总体召回率和误报率。"""
    from complaint_desk.eval.check_eval import CHECK_SETS, evaluate_check_set, format_check_report

    paths = check_set or [p for p in CHECK_SETS.values() if p.exists()]
    for path in paths:
        report = evaluate_check_set(path)
        typer.echo(format_check_report(report))
        if show_mismatches:
            for case in report["mismatches"]:
                typer.echo(f"  {case['id']} 期望 {case['expected']} 实际 {case['found']}：{case['text'][:60]}")


@eval_app.command("run")
def eval_run(
    suite: Annotated[str, typer.Argument(help="评测集名称（内置）或 JSONL 文件路径")],
    backend: Annotated[str, typer.Option(help="transformers、openai 或 composer")] = "composer",
    model: Annotated[str | None, typer.Option(help="模型 id、目录或 .gguf 文件")] = None,
    device: Annotated[str, typer.Option(help="cpu、cuda 或 auto")] = "auto",
    dtype: Annotated[str | None, typer.Option(help="bfloat16、float16 或 float32")] = None,
    batch: Annotated[int, typer.Option(help="每批生成几条")] = 4,
    out: Annotated[Path, typer.Option("--out", help="报告目录（中断后再次运行会接着跑）")] = Path("eval-runs/latest"),
) -> None:
    """用指定后端为评测集的每条投诉起草回复，检查模型直出与守护后的结果，写出 report.json 和 report.html。"""
    from complaint_desk.drafting.backends import LLM_BACKENDS, BackendUnavailableError
    from complaint_desk.eval.runner import SuiteError, load_suite, run_suite
    from complaint_desk.model.triage import Triager

    config = settings()
    updates = {"backend": backend, "device": device}
    if model:
        updates["model"] = model
    if dtype:
        updates["dtype"] = dtype
    config = config.model_copy(update={"llm": config.llm.model_copy(update=updates)})
    try:
        loaded_suite = load_suite(suite)
        llm = LLM_BACKENDS.create(backend, config)
    except (SuiteError, BackendUnavailableError) as error:
        fail(str(error))
    base = case_base_or_fail()
    with progress_bar(len(loaded_suite.items), f"评测 {loaded_suite.name}") as bar:
        report = run_suite(loaded_suite, llm, config, base, Triager(config), out, batch, bar.update,
                           model_label=config.llm.model if backend != "composer" else "")
    metrics = report["metrics"]
    typer.echo(f"模型直出通过率 {metrics['raw_pass_rate']}，守护后通过率 {metrics['guarded_pass_rate']}，"
               f"报告：{out / 'report.html'}")


@eval_app.command("validate")
def eval_validate(
    suites: Annotated[list[str], typer.Argument(help="要检查的评测集；默认全部内置评测集")] = [],  # noqa: B006
) -> None:
    """不加载任何模型，检查评测集格式、每个提示词模板能否渲染、脚本组稿能否通过检查。"""
    from complaint_desk.eval.validate import validate_all

    problems = validate_all(suites)
    for problem in problems:
        typer.echo(f"问题：{problem}")
    typer.echo("全部通过" if not problems else f"共 {len(problems)} 处问题")
    raise typer.Exit(1 if problems else 0)


# --- bench -----------------------------------------------------------------------------------


def print_figures(title: str, figures: dict) -> None:
    import json

    typer.echo(title)
    typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))


@bench_app.command("triage")
def bench_triage_command(
    batch: Annotated[int, typer.Option(help="批大小")] = 256,
    device: Annotated[str, typer.Option(help="cpu 或 cuda")] = "cpu",
) -> None:
    """分诊吞吐量（每秒条数，批量）与单条延迟 p50/p95。"""
    from complaint_desk.eval.bench import bench_triage

    print_figures("分诊性能", bench_triage(settings(), batch=batch, device=device))


@bench_app.command("similar")
def bench_similar_command(
    cases: Annotated[int, typer.Option(help="合成案例库大小")] = 100_000,
    backend: Annotated[list[str], typer.Option(help="要测的检索方式")] = ["bm25", "dense", "hybrid"],  # noqa: B006
) -> None:
    """在合成的大案例库上测建索引时间、查询 p50/p95（top-5）和内存。"""
    from complaint_desk.eval.bench import bench_similar

    print_figures("检索性能", bench_similar(settings(), n=cases, backends=backend,
                                          progress=lambda m: typer.echo(m, err=True)))


@bench_app.command("checks")
def bench_checks_command(
    drafts: Annotated[int, typer.Option(help="检查多少份草稿")] = 5000,
    workers: Annotated[int | None, typer.Option(help="并行进程数；默认等于 CPU 核数")] = None,
    repeats: Annotated[int, typer.Option(help="每项计时重复几遍，报告中位数和范围", min=1)] = 3,
) -> None:
    """草稿检查吞吐量（每秒份数）：单进程，以及按 CPU 核数并行的批量检查。"""
    from complaint_desk.eval.bench import bench_checks

    print_figures("检查性能", bench_checks(drafts, workers, repeats))


@bench_app.command("llm")
def bench_llm_command(
    backend: Annotated[str | None, typer.Option(help="transformers 或 openai；默认用配置")] = None,
    model: Annotated[str | None, typer.Option(help="模型 id、目录或 .gguf 文件")] = None,
    device: Annotated[str, typer.Option(help="cpu、cuda 或 auto")] = "auto",
    dtype: Annotated[str, typer.Option(help="bfloat16、float16 或 float32")] = "bfloat16",
    batch: Annotated[int, typer.Option(help="批量生成的批大小")] = 1,
    random_init: Annotated[str | None, typer.Option(help="不加载权重，按公开结构随机初始化：qwen2.5-1.5b 或 qwen2.5-7b")] = None,
    static_cache: Annotated[bool, typer.Option(help="随机初始化模式：用静态 KV 缓存（transformers 会编译解码步）")] = False,
) -> None:
    """生成速度：首 token 时间与每秒 token 数；随机初始化模式额外给出显存带宽上限。"""
    from complaint_desk.eval.bench import QWEN_SHAPES, bench_llm_backend, bench_llm_random

    if random_init:
        if random_init not in QWEN_SHAPES:
            fail(f"未知结构 {random_init}；可选 {', '.join(QWEN_SHAPES)}")
        import torch

        resolved = device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        batches = (1, batch) if batch > 1 else (1,)
        print_figures("生成性能（随机初始化）", bench_llm_random(random_init, resolved, batches, dtype_name=dtype,
                                                                       static_cache=static_cache))
        return
    config = settings()
    updates = {"device": device, "dtype": dtype}
    if backend:
        updates["backend"] = backend
    if model:
        updates["model"] = model
    config = config.model_copy(update={"llm": config.llm.model_copy(update=updates)})
    from complaint_desk.drafting.backends import BackendUnavailableError

    try:
        figures = bench_llm_backend(config, batch=batch)
    except BackendUnavailableError as error:
        fail(str(error))
    print_figures("生成性能", figures)


# --- train -----------------------------------------------------------------------------------


@train_app.command("triage")
def train_triage(
    output: Annotated[Path, typer.Option(help="模型输出目录")] = Path("model/checkpoints/triage"),
    base: Annotated[str | None, typer.Option(help="从这个 Hugging Face 编码器开始（id 或目录）；不填则从零预训练")] = None,
    embedding_init: Annotated[Path | None, typer.Option(
        help="用这个 .gguf 大模型的词向量初始化字向量（可选）；也可给 train export-embeddings 导出的 .safetensors")] = None,
    seed: Annotated[int, typer.Option(help="随机种子")] = 20261123,
    mlm_epochs: Annotated[int | None, typer.Option(help="MLM 预训练轮数；默认 60（发布模型的设置，GPU 上约 4 分钟；2 核 CPU 上很慢，可用 5）")] = None,
    epochs: Annotated[int | None, typer.Option(help="多任务训练轮数；默认 6（发布模型的设置；按验证集挑最好的一轮）")] = None,
    device: Annotated[str, typer.Option(help="cpu 或 cuda")] = "cpu",
) -> None:
    """训练分诊模型（怒气、主题、客户类型），写出模型卡和评测指标。"""
    from complaint_desk.eval.triage_eval import evaluate_triage
    from complaint_desk.model.train import TrainConfig, train, write_model_card
    from complaint_desk.model.triage import Triager

    config = settings()
    epochs_given = {k: v for k, v in (("mlm_epochs", mlm_epochs), ("epochs", epochs)) if v is not None}
    train_config = TrainConfig(output=output, external_data_dir=config.external_data_dir, base=base, seed=seed,
                               device=device, embedding_init=embedding_init, **epochs_given)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, step: int, total: int) -> None:
        bar = bars.get(stage) or bars.setdefault(stage, progress_bar(total, stage))
        bar.update(step - bar.n)
        if step == total:
            bar.close()

    meta = train(train_config, progress)
    trained = config.model_copy(update={"triage": config.triage.model_copy(update={"model": str(output)})})
    report = evaluate_triage(config.external_data_dir, Triager(trained), with_baseline=True)
    card = write_model_card(output, meta, {k: report[k] for k in ("model", "baseline")})
    typer.echo(f"模型已保存到 {output}，模型卡：{card}")


@train_app.command("export-embeddings")
def export_embeddings_command(
    gguf: Annotated[Path, typer.Argument(help=".gguf 大模型文件")],
    output: Annotated[Path, typer.Option("-o", "--output", help="导出的字向量文件")] = Path("embedding-init.safetensors"),
    seed: Annotated[int, typer.Option(help="随机种子（与 train triage 相同）")] = 20261123,
) -> None:
    """把 .gguf 大模型的词向量按分诊模型的字表导出成小文件，供没有该大模型的机器（如 GPU 机）训练时用。"""
    from complaint_desk.model.train import TrainConfig, export_initial_embeddings

    if not gguf.is_file():
        fail(f"找不到 {gguf}；可用 ../shared/tools/fetch-eval-llm.sh 获取")
    config = TrainConfig(output=Path("."), external_data_dir=settings().external_data_dir, seed=seed)
    typer.echo(f"已导出：{export_initial_embeddings(config, gguf, output)}")


@train_app.command("embedder")
def train_embedder_command(
    output: Annotated[Path, typer.Option(help="向量模型输出目录")] = Path("model/checkpoints/embedder"),
    triage_model: Annotated[Path, typer.Option(help="取其编码器的分诊模型目录")] = Path("model/checkpoints/triage"),
    epochs: Annotated[int, typer.Option(help="对比学习轮数（0 表示只做平均池化）")] = 1,
    seed: Annotated[int, typer.Option(help="随机种子")] = 20261123,
) -> None:
    """由分诊模型的编码器生成 sentence-transformers 向量模型（平均池化，可选对比学习）。"""
    from complaint_desk.model.embedder_train import train_embedder

    path = train_embedder(triage_model, output, epochs=epochs, seed=seed,
                          progress=lambda stage, step, total: None)
    typer.echo(f"向量模型已保存到 {path}")


# --- serve -----------------------------------------------------------------------------------


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="监听地址，默认 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="端口，默认 7860")] = None,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="数据库为空时也不生成演示数据")] = False,
) -> None:
    """启动网页工作台（坐席工作台、主管队列、看板）。数据库为空时会生成演示数据和演示账号。"""
    from complaint_desk.ui.server import serve

    config = settings()
    serve(config, host or config.ui.host, port or config.ui.port, demo=config.ui.demo_on_empty and not no_demo)


def main() -> None:
    """Entry point: errors the user can act on print as one plain message, not a traceback."""
    from complaint_desk.errors import ActionableError

    try:
        app()
    except ActionableError as error:
        typer.echo(f"错误：{error}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
