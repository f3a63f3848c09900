"""The measuring commands, added to the product's CLI through the `complaint_desk.cli` entry
point group: `complaint-desk eval …` (offline evaluations) and `complaint-desk bench …`
(throughput and latency figures). Heavy modules are imported by the command that uses them,
so `complaint-desk --help` stays fast."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from complaint_desk.cases.base import CaseBase
from complaint_desk.cli import case_base_or_fail, fail, llm_settings, print_figures, progress_bar, settings
from complaint_desk.drafting.backends import LLM_BACKENDS, BackendUnavailableError, warmed
from complaint_desk.store import open_store
from complaint_desk.triage.network import META_FILE
from complaint_desk.triage.service import TriageService

eval_app = typer.Typer(help="离线评测：分诊、相似案例检索、草稿检查，以及用某个模型跑完整评测集。", no_args_is_help=True)
bench_app = typer.Typer(help="性能测试：打印吞吐量、延迟和内存，不做通过/失败判断。", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
    app.add_typer(bench_app, name="bench")


# --- eval ------------------------------------------------------------------------------------


@eval_app.command("triage")
def eval_triage(
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="不训练 TF-IDF 基线")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="同时把结果写成 JSON")] = None,
    card: Annotated[Path | None, typer.Option(
        "--card", help="评测这个目录里的分诊模型，并把指标写进它的模型卡（README.md）；train triage 训练完会自动调用")] = None,
) -> None:
    """分诊模型在金标集和留出评论上的指标（主题 macro-F1、怒气、AUC、风险信号），并与 TF-IDF 基线对比。"""
    from eval.triage_eval import evaluate_triage, format_triage_report
    from model.card import write_model_card

    config = settings()
    if not config.external_data_dir.is_dir():
        fail(f"找不到评论数据目录 {config.external_data_dir}；请设置 COMPLAINT_DESK_EXTERNAL_DATA_DIR")
    if card:
        config = config.model_copy(update={"triage": config.triage.model_copy(update={"model": str(card)})})
    report = evaluate_triage(config.external_data_dir, TriageService(config).triager, with_baseline=not no_baseline)
    typer.echo(format_triage_report(report))
    if output:
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if card:
        from eval.bench import bench_triage

        meta = json.loads((card / META_FILE).read_text(encoding="utf-8"))
        speed = bench_triage(config)  # the card states quality and speed of the same model, same settings
        typer.echo(f"速度：{json.dumps(speed, ensure_ascii=False)}")
        typer.echo(f"模型卡：{write_model_card(card, meta, {k: report[k] for k in ('model', 'baseline') if k in report}, speed)}")


@eval_app.command("retrieval")
def eval_retrieval(
    industry_filter: Annotated[bool, typer.Option("--industry-filter", help="按查询的行业过滤（部署在单一行业时的用法）")] = False,
) -> None:
    """相似案例检索在作者编写的查询集上的 recall@5 与 MRR@10（BM25、向量、混合）。"""
    from complaint_desk.triage.model import Triager
    from eval.retrieval_eval import (
        evaluate_retrieval,
        format_retrieval_report,
        load_queries,
        triage_topic_accuracy,
    )

    with tempfile.TemporaryDirectory() as tmp:
        user = settings()
        encoders = user.encoder.model_copy(update={"cache_dir": user.encoder.cache_dir or user.data_dir / "encoders"})
        config = user.model_copy(update={"data_dir": Path(tmp), "database_url": None, "encoder": encoders})
        base = CaseBase(open_store(config), config)
        base.ensure_seeded()
        queries = load_queries()
        topics = [r.topic_probabilities for r in Triager(config).score([q["query"] for q in queries])]
        with progress_bar(len(queries) * 6, "检索") as bar:
            results = evaluate_retrieval(base, queries=queries, progress=bar.update, use_industry=industry_filter,
                                         topics=topics)
        typer.echo(format_retrieval_report(results, base.notice))
        typer.echo(f"  分诊主题与查询最相近案例的主题一致：{triage_topic_accuracy(queries, topics):.3f}"
                   f"（按分诊主题排序的权重 {config.retrieval.topic_weight}）")


@eval_app.command("agreement")
def eval_agreement() -> None:
    """金标的一致性：第二位标注者盲标 100 条后的 Cohen's kappa（任何模型在金标上的分数上限）。"""
    from eval.agreement import agreement, format_agreement

    typer.echo(format_agreement(agreement()))


@eval_app.command("checks")
def eval_checks(
    check_set: Annotated[list[Path], typer.Argument(help="检查集文件；默认评测全部内置检查集")] = [],  # noqa: B006
    show_mismatches: Annotated[bool, typer.Option("--show-mismatches", help="列出判断不一致的草稿")] = False,
) -> None:
    """草稿检查在标注检查集上的逐规则精确率/召回率、总体召回率和误报率。"""
    from eval.check_eval import CHECK_SETS, evaluate_check_set, format_check_report

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
    backend: Annotated[str, typer.Option(help="transformers、llamacpp、openai 或 composer")] = "composer",
    model: Annotated[str | None, typer.Option(help="模型 id、目录或 .gguf 文件")] = None,
    device: Annotated[str, typer.Option(help="cpu、cuda 或 auto")] = "auto",
    dtype: Annotated[str | None, typer.Option(help="bfloat16、float16 或 float32")] = None,
    batch: Annotated[int, typer.Option(help="每批生成几条")] = 4,
    out: Annotated[Path, typer.Option("--out", help="报告目录（中断后再次运行会接着跑）")] = Path("eval-runs/latest"),
    stream: Annotated[bool | None, typer.Option(
        "--stream/--no-stream", help="逐条流式生成并记录首字延迟和每秒字数；默认 openai 和 llamacpp 后端流式，其余整批")] = None,
) -> None:
    """用指定后端为评测集的每条投诉起草回复，检查模型直出与守护后的结果，写出 report.json 和 report.html。"""
    from eval.runner import SuiteError, load_suite, run_suite

    config = llm_settings(backend=backend, device=device, model=model, dtype=dtype)
    try:
        loaded_suite = load_suite(suite)
        llm = warmed(LLM_BACKENDS.create(backend, config), config)  # as the workbench loads it
    except (SuiteError, BackendUnavailableError) as error:
        fail(str(error))
    base = case_base_or_fail()
    with progress_bar(len(loaded_suite.items), f"评测 {loaded_suite.name}") as bar:
        report = run_suite(loaded_suite, llm, config, base, TriageService(config).triager, out, batch, bar.update,
                           model_label=config.llm.model if backend != "composer" else "",
                           stream=stream if stream is not None else backend in ("openai", "llamacpp"))
    metrics = report["metrics"]
    best_of = report["config"]["best_of"]
    chosen = f"{best_of} 份里挑一份的通过率 {metrics['best_of_pass_rate']}，" if best_of > 1 and backend != "composer" else ""
    typer.echo(f"模型直出通过率 {metrics['raw_pass_rate']}，{chosen}守护后通过率 {metrics['guarded_pass_rate']}，"
               f"报告：{out / 'report.html'}")
    if metrics["median_tokens_per_s"]:
        typer.echo(f"首字延迟中位数 {metrics['median_first_token_s']} 秒（p95 {metrics['p95_first_token_s']}），"
                   f"生成速度中位数 {metrics['median_tokens_per_s']} token/秒")


@eval_app.command("validate")
def eval_validate(
    suites: Annotated[list[str], typer.Argument(help="要检查的评测集；默认全部内置评测集")] = [],  # noqa: B006
) -> None:
    """不加载任何模型，检查评测集格式、每个提示词模板能否渲染、脚本组稿能否通过检查。"""
    from eval.validate import validate_all

    problems = validate_all(suites)
    for problem in problems:
        typer.echo(f"问题：{problem}")
    typer.echo("全部通过" if not problems else f"共 {len(problems)} 处问题")
    raise typer.Exit(1 if problems else 0)


# --- bench -----------------------------------------------------------------------------------


@bench_app.command("triage")
def bench_triage_command(
    batch: Annotated[int, typer.Option(help="批大小")] = 256,
    device: Annotated[str, typer.Option(help="cpu 或 cuda")] = "cpu",
) -> None:
    """分诊吞吐量（每秒条数，批量）与单条延迟 p50/p95。"""
    from eval.bench import bench_triage

    print_figures("分诊性能", bench_triage(settings(), batch=batch, device=device))


@bench_app.command("similar")
def bench_similar_command(
    cases: Annotated[int, typer.Option(help="合成案例库大小")] = 100_000,
    backend: Annotated[list[str], typer.Option(help="要测的检索方式")] = ["bm25", "dense", "hybrid"],  # noqa: B006
    encode: Annotated[int | None, typer.Option(
        help="只对这么多条案例算向量，其余重复使用（只测查询速度和内存，整体建库时间按测得的速度推算）")] = None,
) -> None:
    """在合成的大案例库上测建索引时间、查询 p50/p95（top-5）和内存。"""
    from eval.bench import bench_similar

    print_figures("检索性能", bench_similar(settings(), n=cases, backends=backend, encode=encode,
                                          progress=lambda m: typer.echo(m, err=True)))


@bench_app.command("checks")
def bench_checks_command(
    drafts: Annotated[int, typer.Option(help="检查多少份草稿")] = 5000,
    workers: Annotated[int | None, typer.Option(help="并行进程数；默认等于 CPU 核数")] = None,
    repeats: Annotated[int, typer.Option(help="每项计时重复几遍，报告中位数和范围", min=1)] = 3,
) -> None:
    """草稿检查吞吐量（每秒份数）：单进程，以及按 CPU 核数并行的批量检查。"""
    from eval.bench import bench_checks

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
    from eval.bench import QWEN_SHAPES, bench_llm_backend, bench_llm_random

    if random_init:
        if random_init not in QWEN_SHAPES:
            fail(f"未知结构 {random_init}；可选 {', '.join(QWEN_SHAPES)}")
        import torch

        resolved = device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        batches = (1, batch) if batch > 1 else (1,)
        print_figures("生成性能（随机初始化）", bench_llm_random(random_init, resolved, batches, dtype_name=dtype,
                                                                       static_cache=static_cache))
        return
    config = llm_settings(device=device, dtype=dtype, backend=backend, model=model)
    try:
        figures = bench_llm_backend(config, batch=batch)
    except BackendUnavailableError as error:
        fail(str(error))
    print_figures("生成性能", figures)
