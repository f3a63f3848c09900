"""The training recipe's settings and the pieces both stages share (seeding, batching,
the optimiser step and schedule)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

Progress = Callable[[str, int, int], None]


@dataclass
class TrainConfig:
    """Everything that decides the trained model; written into the model card."""

    output: Path
    external_data_dir: Path
    base: str | None = None  # HF encoder id/path; None = pretrain from scratch
    continue_from: Path | None = None  # a from-scratch checkpoint whose encoder and tokenizer are trained further
    seed: int = 20261123
    vocab_size: int = 9000
    hidden_size: int = 256
    layers: int = 4
    heads: int = 4
    intermediate_size: int = 1024
    max_length: int = 128
    mlm_epochs: int = 60
    mlm_batch_size: int = 64
    mlm_lr: float = 5e-4
    mlm_probability: float = 0.15
    epochs: int = 6
    batch_size: int = 32
    lr: float = 2e-4
    encoder_lr: float | None = None  # default: lr from scratch, base_encoder_lr on a pretrained base
    base_encoder_lr: float = 3e-5
    flag_head: bool = True
    flag_weight: float = 1.0
    sentiment_weight: float = 0.5
    wide_features: int = 60000  # 0 = no wide (n-gram) half
    wide_lr: float = 0.0  # 0 keeps the warm-started linear half fixed while the encoder learns
    embedding_init: Path | None = None  # a .gguf LLM (or its exported vectors) whose token embeddings seed ours
    device: str = "cpu"
    limit: int | None = None  # use only this many examples of each kind (quick runs, tests)
    validation_buckets: int = 10  # one example in this many (by text hash) picks the epoch and deep scale
    deep_scales: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)
    extra_corpus: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["output"] = str(self.output)
        data["external_data_dir"] = str(self.external_data_dir)
        data["embedding_init"] = self.embedding_init.name if self.embedding_init else None
        data["continue_from"] = str(self.continue_from) if self.continue_from else None
        data.pop("extra_corpus")
        return data


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def update_step(loss: torch.Tensor, parameters: Iterable[torch.nn.Parameter], optimizer: torch.optim.Optimizer,
                scheduler: torch.optim.lr_scheduler.LRScheduler) -> float:
    """One optimiser step with gradient clipping, shared by pre-training and fine-tuning."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def pad(rows: list[list[int]], value: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (width - len(r)) for r in rows])


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def schedule(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = max(1, total_steps // 20)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
