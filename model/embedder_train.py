"""Build the offline sentence embedder for dense retrieval from the triage encoder.

The encoder already knows this domain's Chinese; mean pooling turns it into sentence
vectors. Optionally it is tuned with an in-batch-negatives contrastive loss on pairs of the
project's own labelled complaints that share industry and topic (and on the case base's
complaint ↔ root-cause pairs), so that complaints about the same kind of problem land close
together. The result is a plain sentence-transformers folder.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import torch
from torch.nn import functional as F

from complaint_desk.text import normalize
from complaint_desk.triage.network import ENCODER_DIR, load_encoder, mean_pool

Progress = Callable[[str, int, int], None]


def _pairs(seed: int) -> list[tuple[str, str]]:
    from complaint_desk.cases.base import load_builtin_cases
    from model.data import load_training

    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for example in load_training():
        industry = example.extra.get("industry") or example.extra.get("source", "review")
        groups[(industry, example.topic or "")].append(example.text)
    pairs: list[tuple[str, str]] = []
    for texts in groups.values():
        rng.shuffle(texts)
        pairs += [(texts[i], texts[i + 1]) for i in range(0, len(texts) - 1, 2)]
    pairs += [(c.complaint, f"{c.root_cause} {c.resolution}") for c in load_builtin_cases()]
    rng.shuffle(pairs)
    return pairs


def contrastive_tune(encoder: torch.nn.Module, tokenizer, epochs: int, seed: int, batch_size: int = 32,  # noqa: ANN001
                     lr: float = 3e-5, temperature: float = 0.05, progress: Progress | None = None) -> None:
    torch.manual_seed(seed)
    pairs = _pairs(seed)
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=lr)
    encoder.train()

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tokenizer([normalize(t) for t in texts], truncation=True, max_length=128, padding=True,
                          return_tensors="pt")
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        return F.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1)

    steps = (len(pairs) + batch_size - 1) // batch_size
    for epoch in range(epochs):
        for step in range(steps):
            chunk = pairs[step * batch_size : (step + 1) * batch_size]
            if len(chunk) < 2:
                continue
            left, right = embed([a for a, _ in chunk]), embed([b for _, b in chunk])
            logits = left @ right.T / temperature
            target = torch.arange(len(chunk))
            loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if progress:
                progress(f"对比学习 第 {epoch + 1}/{epochs} 轮", step + 1, steps)
    encoder.eval()


def train_embedder(triage_dir: Path, output: Path, epochs: int = 1, seed: int = 20261123,
                   progress: Progress | None = None) -> Path:
    """Write a sentence-transformers model (Transformer + mean Pooling) to `output`."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import AutoTokenizer

    source = triage_dir / ENCODER_DIR
    encoder = load_encoder(source)
    tokenizer = AutoTokenizer.from_pretrained(source)
    if epochs > 0:
        contrastive_tune(encoder, tokenizer, epochs, seed, progress=progress)
    staging = output / "_encoder"
    encoder.to(torch.float16).save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    transformer = Transformer(str(staging), model_kwargs={"dtype": torch.float32}, max_seq_length=128)
    model = SentenceTransformer(modules=[transformer, Pooling(encoder.config.hidden_size, "mean")], device="cpu")
    model.half().save(str(output))
    for child in sorted(staging.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    staging.rmdir()
    return output
