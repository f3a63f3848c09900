"""Train the triage model: optional MLM pretraining from scratch, then multi-task heads.

No pretrained Chinese weights are reachable on the build machines, so the default recipe
builds a character-level WordPiece vocabulary, pretrains a small BERT with whole-word
masking on the real reviews (train side of the fixed split) plus the project's own
complaints and cases, and then trains the anger / topic / persona heads. With `--base` it
starts from any Hugging Face encoder instead (e.g. `hfl/chinese-roberta-wwm-ext`).

Anger is supervised twice: by the hand labels (0..3) and by the published
positive/negative label of every unlabelled training review, read as a partial label
(positive → level 0; negative → "some level above 0"). That is how thousands of real
reviews teach the anger score without anyone labelling their level.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jieba
import numpy as np
import torch
from model.data import Labelled, load_training
from complaint_desk.triage.network import HEADS, TriageNet, WideInputs, load_encoder, save_checkpoint
from complaint_desk.triage.ngrams import NgramFeaturizer
from model.reviews import Review, load_split
from safetensors import safe_open
from safetensors.torch import save_file
from tokenizers import BertWordPieceTokenizer
from torch import nn
from torch.nn import functional as F
from transformers import (
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    BertTokenizer,
    PreTrainedTokenizerBase,
)

from complaint_desk.cases.base import load_builtin_cases
from complaint_desk.text import normalize

jieba.setLogLevel(60)
Progress = Callable[[str, int, int], None]


@dataclass
class TrainConfig:
    """Everything that decides the trained model; written into the model card."""

    output: Path
    external_data_dir: Path
    base: str | None = None  # HF encoder id/path; None = pretrain from scratch
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
    encoder_lr: float | None = None
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
        data.pop("extra_corpus")
        return data


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# --- vocabulary and MLM pretraining ------------------------------------------------------


def build_tokenizer(corpus: Sequence[str], vocab_size: int) -> BertTokenizer:
    """A character-level WordPiece vocabulary for Chinese (plus frequent ASCII pieces)."""
    trainer = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True)
    trainer.train_from_iterator(
        list(corpus),
        vocab_size=vocab_size,
        min_frequency=2,
        limit_alphabet=vocab_size // 2,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        show_progress=False,
    )
    return BertTokenizer(vocab=trainer.get_vocab(), do_lower_case=True, tokenize_chinese_chars=True)


def embeddings_from_gguf(gguf_path: Path, tokenizer: PreTrainedTokenizerBase, dim: int) -> torch.Tensor:
    """Seed our character embeddings from a local LLM's token embeddings.

    Each vocabulary entry is encoded with the LLM's tokenizer and averaged over its token
    embeddings; the result is projected to `dim` with PCA and scaled like BERT's init.
    Characters the small corpus rarely shows still start with a meaningful vector.
    """
    import gguf
    from gguf.quants import dequantize
    from transformers import AutoTokenizer

    reader = gguf.GGUFReader(str(gguf_path))
    tensor = next(t for t in reader.tensors if t.name == "token_embd.weight")
    table = torch.from_numpy(dequantize(tensor.data, tensor.tensor_type))
    teacher = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    vectors = torch.zeros(len(tokenizer), table.shape[1])
    known = torch.zeros(len(tokenizer), dtype=torch.bool)
    for token, index in tokenizer.get_vocab().items():
        if token in tokenizer.all_special_tokens:
            continue
        ids = teacher.encode(token.removeprefix("##"), add_special_tokens=False)
        if ids:
            vectors[index] = table[ids].mean(0)
            known[index] = True
    centred = vectors[known] - vectors[known].mean(0)
    _, _, basis = torch.linalg.svd(centred, full_matrices=False)
    projected = torch.zeros(len(tokenizer), dim)
    projected[known] = centred @ basis[:dim].T
    projected[known] = projected[known] / projected[known].std() * 0.02
    projected[~known] = torch.randn(int((~known).sum()), dim) * 0.02
    return projected


def whole_word_groups(text: str, offsets: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Token positions grouped by the jieba word their first character belongs to."""
    word_of_char: list[int] = []
    for index, word in enumerate(jieba.lcut(text)):
        word_of_char.extend([index] * len(word))
    groups: dict[int, list[int]] = {}
    for position, (start, end) in enumerate(offsets):
        if end <= start or start >= len(word_of_char):
            continue  # special tokens
        groups.setdefault(word_of_char[start], []).append(position)
    return list(groups.values())


def _update(loss: torch.Tensor, parameters: Iterable[torch.nn.Parameter], optimizer: torch.optim.Optimizer,
            scheduler: torch.optim.lr_scheduler.LRScheduler) -> float:
    """One optimiser step with gradient clipping, shared by pre-training and fine-tuning."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def mask_tokens(
    ids: list[int], groups: list[list[int]], tokenizer: PreTrainedTokenizerBase, probability: float, rng: random.Random
) -> tuple[list[int], list[int]]:
    """Whole-word masking with BERT's 80/10/10 replacement."""
    labels = [-100] * len(ids)
    inputs = list(ids)
    budget = max(1, round(sum(len(g) for g in groups) * probability))
    order = list(range(len(groups)))
    rng.shuffle(order)
    masked = 0
    for group_index in order:
        if masked >= budget:
            break
        for position in groups[group_index]:
            labels[position] = ids[position]
            roll = rng.random()
            if roll < 0.8:
                inputs[position] = tokenizer.mask_token_id
            elif roll < 0.9:
                inputs[position] = rng.randrange(len(tokenizer))
            masked += 1
    return inputs, labels


def _pad(rows: list[list[int]], value: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (width - len(r)) for r in rows])


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def _schedule(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = max(1, total_steps // 20)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def pretrain_mlm(
    corpus: Sequence[str], tokenizer: BertTokenizer, config: TrainConfig, progress: Progress | None = None
) -> tuple[nn.Module, list[float]]:
    """Pretrain a small BERT from scratch; returns the encoder and the loss per epoch."""
    rng = random.Random(config.seed)
    encoded = tokenizer(list(corpus), truncation=True, max_length=config.max_length, return_offsets_mapping=True)
    examples = [
        (ids, whole_word_groups(text, offsets))
        for text, ids, offsets in zip(corpus, encoded["input_ids"], encoded["offset_mapping"], strict=True)
    ]
    bert_config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=max(256, config.max_length),
        pad_token_id=tokenizer.pad_token_id,
    )
    model = BertForMaskedLM(bert_config)
    if config.embedding_init:
        model.bert.embeddings.word_embeddings.weight.data = initial_embeddings(
            config.embedding_init, tokenizer, config.hidden_size)
        model.tie_weights()
    model.to(config.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.mlm_lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(examples) / config.mlm_batch_size)
    scheduler = _schedule(optimizer, steps_per_epoch * config.mlm_epochs)
    losses: list[float] = []
    model.train()
    for epoch in range(config.mlm_epochs):
        total = 0.0
        batches = length_batches([len(ids) for ids, _ in examples], config.mlm_batch_size, rng)
        for step, batch in enumerate(batches):
            pairs = [mask_tokens(examples[i][0], examples[i][1], tokenizer, config.mlm_probability, rng) for i in batch]
            input_ids = _pad([p[0] for p in pairs], tokenizer.pad_token_id).to(config.device)
            labels = _pad([p[1] for p in pairs], -100).to(config.device)
            loss = model(input_ids=input_ids, attention_mask=(input_ids != tokenizer.pad_token_id), labels=labels).loss
            total += _update(loss, model.parameters(), optimizer, scheduler)
            if progress:
                progress(f"MLM 预训练 第 {epoch + 1}/{config.mlm_epochs} 轮", step + 1, len(batches))
        losses.append(total / len(batches))
    return model.bert, losses


# --- multi-task fine-tuning --------------------------------------------------------------


@dataclass
class Example:
    text: str
    anger: int | None
    topic: int | None
    persona: int | None
    negative: bool | None  # published sentiment for unlabelled reviews


def build_examples(labelled: Sequence[Labelled], reviews: Sequence[Review]) -> list[Example]:
    """Hand-labelled examples plus every other training review as a sentiment-only example."""
    labelled_texts = {item.text for item in labelled}
    examples = [
        Example(
            normalize(item.text),
            item.anger,
            HEADS["topic"].index(item.topic) if item.topic else None,
            HEADS["persona"].index(item.persona) if item.persona else None,
            None,
        )
        for item in labelled
    ]
    examples += [
        Example(normalize(r.text), None, None, None, not r.positive) for r in reviews if r.text not in labelled_texts
    ]
    return examples


def class_weights(values: Sequence[int | None], classes: int) -> torch.Tensor:
    """Inverse square-root frequency: rare topics count more without swamping the loss."""
    counts = Counter(v for v in values if v is not None)
    weights = torch.tensor([1.0 / math.sqrt(max(1, counts.get(c, 0))) for c in range(classes)])
    return weights * classes / weights.sum()


def multitask_loss(
    logits: dict[str, torch.Tensor], batch: Sequence[Example], weights: dict[str, torch.Tensor], sentiment_weight: float
) -> torch.Tensor:
    device = logits["anger"].device
    total = torch.zeros((), device=device)
    for head, attribute in (("anger", "anger"), ("topic", "topic"), ("persona", "persona")):
        rows = [i for i, e in enumerate(batch) if getattr(e, attribute) is not None]
        if rows:
            target = torch.tensor([getattr(batch[i], attribute) for i in rows], device=device)
            total = total + F.cross_entropy(logits[head][rows].float(), target, weight=weights[head].to(device))
    rows = [i for i, e in enumerate(batch) if e.negative is not None]
    if rows:
        log_probs = F.log_softmax(logits["anger"][rows].float(), dim=-1)
        negative = torch.tensor([batch[i].negative for i in rows], device=device)
        calm = log_probs[:, 0]
        upset = torch.logsumexp(log_probs[:, 1:], dim=-1)
        total = total - sentiment_weight * torch.where(negative, upset, calm).mean()
    return total


def _wide_batch(rows: Sequence[tuple[list[int], list[float]]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    indices, weights, offsets = [], [], []
    for row_indices, row_weights in rows:
        offsets.append(len(indices))
        indices.extend(row_indices)
        weights.extend(row_weights)
    return torch.tensor(indices, dtype=torch.long), torch.tensor(weights), torch.tensor(offsets, dtype=torch.long)


def warm_start_wide(net: TriageNet, wide_rows: Sequence[tuple[list[int], list[float]]], examples: Sequence[Example],
                    seed: int) -> None:
    """Fit the wide half convexly before the encoder is tuned.

    Per head, a logistic regression on the same TF-IDF n-grams (exactly a TF-IDF baseline)
    gives the linear half its best solution, so the network starts where such a classifier
    ends; fine-tuning then trains the encoder on what n-grams miss. The anger head's wide
    part is the calm-vs-upset sentiment model, shared by levels 1–3 (every review teaches
    it); how upset is left to the encoder.
    """
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    assert net.wide is not None
    indptr = np.cumsum([0] + [len(indices) for indices, _ in wide_rows])
    matrix = csr_matrix((np.concatenate([w for _, w in wide_rows]), np.concatenate([i for i, _ in wide_rows]), indptr),
                        shape=(len(wide_rows), net.wide.num_embeddings))
    weight = torch.zeros_like(net.wide.weight)
    columns = {name: sum(len(HEADS[h]) for h in list(HEADS)[:index]) for index, name in enumerate(HEADS)}

    def fit(rows: list[int], targets: list[int], c: float, balanced: bool) -> LogisticRegression:
        return LogisticRegression(max_iter=3000, C=c, class_weight="balanced" if balanced else None,
                                  random_state=seed).fit(matrix[rows], targets)

    upset = [(i, int(e.negative if e.negative is not None else e.anger > 0)) for i, e in enumerate(examples)
             if e.negative is not None or e.anger is not None]
    if len({t for _, t in upset}) < 2:
        return
    sentiment = fit([i for i, _ in upset], [t for _, t in upset], 4.0, False)
    start = columns["anger"]
    for level in range(1, len(HEADS["anger"])):
        weight[:, start + level] = torch.from_numpy(sentiment.coef_[0]).float()
    with torch.no_grad():
        net.heads["anger"].weight.zero_()
        net.heads["anger"].bias.copy_(torch.tensor(
            [0.0] + [float(sentiment.intercept_[0]) - math.log(len(HEADS["anger"]) - 1)] * (len(HEADS["anger"]) - 1)))
    for head in ("topic", "persona"):
        labelled = [(i, getattr(e, head)) for i, e in enumerate(examples) if getattr(e, head) is not None]
        if len({t for _, t in labelled}) < 2:
            continue
        model = fit([i for i, _ in labelled], [t for _, t in labelled], 8.0 if head == "topic" else 4.0, True)
        # binary fits give one row for the second class against the first
        coef = model.coef_ if len(model.classes_) > 2 else np.vstack([np.zeros_like(model.coef_[0]), model.coef_[0]])
        intercept = model.intercept_ if len(model.classes_) > 2 else np.array([0.0, model.intercept_[0]])
        with torch.no_grad():
            net.heads[head].weight.zero_()
            net.heads[head].bias.fill_(-10.0)  # a class never seen in training stays unlikely
            for row, label in enumerate(model.classes_):
                weight[:, columns[head] + int(label)] = torch.from_numpy(coef[row]).float()
                net.heads[head].bias[int(label)] = float(intercept[row])
    with torch.no_grad():
        net.wide.weight.copy_(weight)


def finetune(
    net: TriageNet,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[Example],
    config: TrainConfig,
    ngrams: NgramFeaturizer | None = None,
    progress: Progress | None = None,
    validation: Sequence[Example] = (),
) -> tuple[list[float], dict]:
    """Train the heads and encoder; keep the epoch and deep scale that score best on validation."""
    rng = random.Random(config.seed + 1)
    encoded = tokenizer([e.text for e in examples], truncation=True, max_length=config.max_length)["input_ids"]
    wide_rows: list[tuple[list[int], list[float]]] = []
    if ngrams is not None:
        for e in examples:
            indices, weights, _ = ngrams.transform([e.text])
            wide_rows.append((indices.tolist(), weights.tolist()))
    weights = {
        "anger": class_weights([e.anger for e in examples], len(HEADS["anger"])),
        "topic": class_weights([e.topic for e in examples], len(HEADS["topic"])),
        "persona": class_weights([e.persona for e in examples], len(HEADS["persona"])),
    }
    if net.wide is not None:
        if progress:
            progress("拟合 n-gram 线性部分", 0, 1)
        warm_start_wide(net, wide_rows, examples, config.seed)
        if progress:
            progress("拟合 n-gram 线性部分", 1, 1)
    encoder_lr = config.encoder_lr or config.lr
    groups = [
        {"params": net.encoder.parameters(), "lr": encoder_lr},
        {"params": net.heads.parameters(), "lr": config.lr * 5},
    ]
    if net.wide is not None:
        net.wide.weight.requires_grad_(config.wide_lr > 0)
        if config.wide_lr > 0:
            groups.append({"params": net.wide.parameters(), "lr": config.wide_lr, "weight_decay": 0.0})
    optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(examples) / config.batch_size)
    scheduler = _schedule(optimizer, steps_per_epoch * config.epochs)
    losses: list[float] = []
    net.to(config.device)
    selection = Selection()
    held_out = validation_batches(tokenizer, validation, config, ngrams)
    if validation:
        net.eval()  # no dropout while scoring
        selection.consider(net, 0, validation_logits(net, held_out), validation, config)
    net.train()
    for epoch in range(config.epochs):
        total = 0.0
        batches = length_batches([len(ids) for ids in encoded], config.batch_size, rng)
        for step, batch in enumerate(batches):
            input_ids = _pad([encoded[i] for i in batch], tokenizer.pad_token_id).to(config.device)
            wide = _wide_batch([wide_rows[i] for i in batch]) if wide_rows else None
            logits = net(input_ids, (input_ids != tokenizer.pad_token_id).long(), wide)
            loss = multitask_loss(logits, [examples[i] for i in batch], weights, config.sentiment_weight)
            total += _update(loss, net.parameters(), optimizer, scheduler)
            if progress:
                progress(f"多任务训练 第 {epoch + 1}/{config.epochs} 轮", step + 1, len(batches))
        losses.append(total / len(batches))
        if validation:
            net.eval()
            selection.consider(net, epoch + 1, validation_logits(net, held_out), validation, config)
            net.train()
    net.eval()
    selection.restore(net)
    return losses, selection.summary()


# --- model selection on a validation slice -----------------------------------------------


def is_validation(text: str, buckets: int) -> bool:
    """A fixed slice by text hash (salted apart from the reviews' held-out split)."""
    digest = hashlib.sha1(("validation:" + text).encode("utf-8")).hexdigest()
    return buckets > 0 and int(digest[:8], 16) % buckets == 0


ValidationBatch = tuple[torch.Tensor, torch.Tensor, WideInputs | None]


def validation_batches(tokenizer: PreTrainedTokenizerBase, examples: Sequence[Example], config: TrainConfig,
                       ngrams: NgramFeaturizer | None) -> list[ValidationBatch]:
    """Token ids, mask and n-gram inputs of the validation slice, built once for every epoch."""
    batches: list[ValidationBatch] = []
    for start in range(0, len(examples), 256):
        chunk = examples[start : start + 256]
        ids = _pad(tokenizer([e.text for e in chunk], truncation=True, max_length=config.max_length)["input_ids"],
                   tokenizer.pad_token_id).to(config.device)
        wide = None
        if ngrams is not None:
            wide = _wide_batch([tuple(x.tolist() for x in ngrams.transform([e.text])[:2]) for e in chunk])
        batches.append((ids, (ids != tokenizer.pad_token_id).long(), wide))
    return batches


@torch.no_grad()
def validation_logits(net: TriageNet, batches: Sequence[ValidationBatch]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per head, the deep logits without biases and the rest (biases + wide), so any deep scale can be scored."""
    parts: dict[str, tuple[list, list]] = {name: ([], []) for name in HEADS}
    for ids, mask, wide in batches:
        pooled = net.pooled(ids, mask)
        rest = net.fixed_logits(pooled, wide)
        for name, head in net.heads.items():
            parts[name][0].append(F.linear(pooled, head.weight).float().cpu().numpy())
            parts[name][1].append(rest[name].float().cpu().numpy())
    return {name: (np.concatenate(deep), np.concatenate(fixed)) for name, (deep, fixed) in parts.items()}

def _macro_f1(logits: np.ndarray, examples: Sequence[Example], attribute: str) -> float | None:
    from sklearn.metrics import f1_score

    rows = [i for i, e in enumerate(examples) if getattr(e, attribute) is not None]
    if not rows:
        return None
    gold = [getattr(examples[i], attribute) for i in rows]
    return float(f1_score(gold, logits[rows].argmax(1), labels=sorted(set(gold)), average="macro", zero_division=0))


def head_figures(head: str, logits: np.ndarray, examples: Sequence[Example]) -> dict[str, float]:
    """What the triage report leads with, per head: topic/persona macro-F1; anger exact + calm/upset AUC."""
    from sklearn.metrics import roc_auc_score

    if head != "anger":
        f1 = _macro_f1(logits, examples, head)
        return {} if f1 is None else {f"{head}_macro_f1": f1}
    figures: dict[str, float] = {}
    rows = [i for i, e in enumerate(examples) if e.anger is not None]
    if rows:
        figures["anger_exact"] = float(np.mean(logits[rows].argmax(1) == np.array([examples[i].anger for i in rows])))
    rows = [i for i, e in enumerate(examples) if e.negative is not None]
    truth = [examples[i].negative for i in rows]
    if len(set(truth)) == 2:
        probs = np.exp(logits[rows] - logits[rows].max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        figures["anger_score_auc"] = float(roc_auc_score(truth, probs @ np.arange(probs.shape[1])))
    return figures


class Selection:
    """The best epoch, with each head's best deep scale at that epoch and a copy of its weights."""

    def __init__(self) -> None:
        self.best: dict | None = None
        self.state: dict[str, torch.Tensor] | None = None
        self.history: list[dict] = []

    def consider(self, net: TriageNet, epoch: int, logits: dict[str, tuple[np.ndarray, np.ndarray]],
                 examples: Sequence[Example], config: TrainConfig) -> None:
        entry: dict = {"epoch": epoch, "deep_scale": {}, "score": 0.0}
        for head, (deep, rest) in logits.items():
            options = [(scale, head_figures(head, rest + scale * deep, examples)) for scale in config.deep_scales]
            scale, figures = max(options, key=lambda option: sum(option[1].values()))
            entry["deep_scale"][head] = scale
            entry.update({name: round(value, 4) for name, value in figures.items()})
            entry["score"] = round(entry["score"] + sum(figures.values()), 4)
        self.history.append(entry)
        if self.best is None or entry["score"] > self.best["score"]:
            self.best = entry
            self.state = {k: v.detach().clone() for k, v in net.state_dict().items()}

    def restore(self, net: TriageNet) -> None:
        if self.best is None or self.state is None:
            return
        net.load_state_dict(self.state)
        net.deep_scale = dict(self.best["deep_scale"])

    def summary(self) -> dict:
        return {"chosen": self.best, "history": self.history}

def pretraining_corpus(reviews: Sequence[Review], labelled: Sequence[Labelled], config: TrainConfig) -> list[str]:
    """Unlabelled text for MLM: train-side reviews, our own complaints, case texts."""
    cases = [] if config.limit else [t for c in load_builtin_cases() for t in (c.complaint, c.reply)]
    extra = list(config.extra_corpus) + cases
    texts = {normalize(t) for t in [r.text for r in reviews] + [e.text for e in labelled] + extra}
    return sorted(t for t in texts if t)


def initial_embeddings(source: Path, tokenizer: PreTrainedTokenizerBase, dim: int) -> torch.Tensor:
    """Character embeddings from a .gguf LLM, or from a file `export_initial_embeddings` wrote
    (so training can run where the 1 GB model cannot travel, e.g. a lent GPU machine)."""
    if source.suffix == ".gguf":
        return embeddings_from_gguf(source, tokenizer, dim)
    with safe_open(str(source), framework="pt") as handle:
        tokens = json.loads(handle.metadata()["tokens"])
        table = handle.get_tensor("vectors")
    if table.shape[1] != dim:
        raise ValueError(f"{source} 的字向量是 {table.shape[1]} 维，模型需要 {dim} 维")
    vectors = torch.randn(len(tokenizer), dim) * 0.02
    row = {token: index for index, token in enumerate(tokens)}
    for token, index in tokenizer.get_vocab().items():
        if token in row:
            vectors[index] = table[row[token]]
    return vectors


def export_initial_embeddings(config: TrainConfig, gguf_path: Path, output: Path) -> Path:
    """Save the .gguf-derived embeddings for the vocabulary `train` will build from the same data."""
    corpus = pretraining_corpus(load_split(config.external_data_dir, "train"), load_training(), config)
    tokenizer = build_tokenizer(corpus, config.vocab_size)
    vectors = embeddings_from_gguf(gguf_path, tokenizer, config.hidden_size)
    tokens = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    save_file({"vectors": vectors.contiguous()}, str(output),
              metadata={"tokens": json.dumps(tokens, ensure_ascii=False), "source": gguf_path.name})
    return output


def train(config: TrainConfig, progress: Progress | None = None) -> dict:
    """Full recipe → checkpoint folder; returns the metadata written beside the weights."""
    started = time.time()
    seed_everything(config.seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    labelled = load_training()
    reviews = load_split(config.external_data_dir, "train")
    if config.limit:
        rng = random.Random(config.seed)
        labelled = rng.sample(labelled, min(config.limit, len(labelled)))
        reviews = rng.sample(reviews, min(config.limit, len(reviews)))
    meta: dict = {"train_config": config.to_json()}
    if config.base:
        tokenizer = AutoTokenizer.from_pretrained(config.base)
        encoder = load_encoder(config.base)
        meta["pretraining"] = {"base": config.base}
    else:
        corpus = pretraining_corpus(reviews, labelled, config)
        tokenizer = build_tokenizer(corpus, config.vocab_size)
        encoder, mlm_losses = pretrain_mlm(corpus, tokenizer, config, progress)
        meta["pretraining"] = {"corpus_texts": len(corpus), "corpus_chars": sum(map(len, corpus)),
                               "vocab_size": len(tokenizer), "mlm_loss_per_epoch": [round(x, 4) for x in mlm_losses]}
    everything = build_examples(labelled, reviews)
    validation = [e for e in everything if is_validation(e.text, config.validation_buckets)]
    examples = [e for e in everything if not is_validation(e.text, config.validation_buckets)]
    ngrams = NgramFeaturizer.fit([e.text for e in examples], config.wide_features) if config.wide_features else None
    net = TriageNet(encoder, wide_features=len(ngrams) if ngrams else 0)
    losses, selection = finetune(net, tokenizer, examples, config, ngrams, progress, validation)
    meta["finetuning"] = {
        "labelled_examples": sum(1 for e in examples if e.negative is None),
        "validation_examples": len(validation),
        "sentiment_only_reviews": sum(1 for e in examples if e.negative is not None),
        "loss_per_epoch": [round(x, 4) for x in losses],
        "selection": selection,
        "labelled_sources": dict(Counter(item.source for item in labelled)),
    }
    meta["max_length"] = config.max_length
    meta["parameters"] = sum(p.numel() for p in net.parameters())
    meta["train_seconds"] = round(time.time() - started, 1)
    net.to("cpu", torch.float32)
    save_checkpoint(config.output, net, tokenizer, meta, ngrams)
    return meta


def write_model_card(directory: Path, meta: dict, metrics: dict) -> Path:
    """A model card beside the weights: data, sizes, metrics and how to reproduce."""
    cfg = meta["train_config"]
    lines = [
        "# 分诊模型 · triage model card",
        "",
        "Multi-task classifier for SPEC's `anger` (0..3 + score), `topic` and `persona`.",
        "Flags, priority, reason and department are explainable rules on top (model/flags.py, model/priority.py).",
        "",
        "## Architecture",
        f"- encoder: {cfg['base'] or 'BERT trained from scratch (character-level WordPiece)'}; "
        f"hidden {cfg['hidden_size']}, {cfg['layers']} layers, {cfg['heads']} heads, max length {cfg['max_length']}",
        f"- parameters: {meta['parameters']:,}; stored as float16 safetensors",
        "- heads: mean pooling → linear per label family (\"deep\"), plus a linear layer over TF-IDF character",
        "  1–3-grams (\"wide\"); the two logits are summed. The wide half is warm-started with per-head logistic",
        "  regressions (anger: calm vs upset from every training review) and kept fixed while the encoder learns.",
        "- anger_score = expected anger level / 3",
        "- model selection: one example in ten (by text hash; labelled complaints and training-side reviews) is held",
        "  back as validation. After the warm start (epoch 0) and after each epoch, each head's deep logits are",
        "  weighed 0 / 0.25 / 0.5 / 1 against the wide half; the epoch with the best sum of validation topic and",
        "  persona macro-F1, anger exact and calm/upset AUC is kept with each head's best weight.",
        f"  Chosen: {json.dumps(meta['finetuning'].get('selection', {}).get('chosen'), ensure_ascii=False)}",
        "",
        "## Data",
        f"- pretraining: {json.dumps(meta['pretraining'], ensure_ascii=False)}",
        f"- fine-tuning: {json.dumps({k: v for k, v in meta['finetuning'].items() if k != 'selection'}, ensure_ascii=False)}",
        "- the held-out 20% of the real reviews (hash split in model/reviews.py) and the gold set are never used",
        "",
        "## Metrics (complaint-desk eval triage)",
        "```json",
        json.dumps(metrics, ensure_ascii=False, indent=2),
        "```",
        "",
        "## Reproduce",
        "```bash",
        *(["complaint-desk train export-embeddings qwen2.5-coder-1.5b-instruct-q4_k_m.gguf "
           f"-o {cfg['embedding_init']}"] if str(cfg.get("embedding_init") or "").endswith(".safetensors") else []),
        f"complaint-desk train triage --output model/checkpoints/triage --seed {cfg['seed']} "
        f"--mlm-epochs {cfg['mlm_epochs']} --epochs {cfg['epochs']} --device {cfg['device']}"
        + (f" --embedding-init {cfg['embedding_init']}" if cfg.get("embedding_init") else ""),
        "```",
        *(["The character embeddings start from the eval LLM's token embeddings (per vocabulary entry, PCA to our "
           "width); get the .gguf with ../shared/tools/fetch-eval-llm.sh. `export-embeddings` writes them to a 5 MB "
           "file so training can run on a machine the 1 GB model cannot reach."] if cfg.get("embedding_init") else []),
        f"Training took {meta['train_seconds']} s on {cfg['device']}. It runs on CPU too, slowly: on 2 cores, 5 MLM + "
        "4 fine-tuning epochs took 3,312 s (`--mlm-epochs 5 --epochs 4`, a weaker encoder).",
        "",
        "## Limits",
        "- Trained on team-written complaints and labelled food-delivery/hotel reviews: other industries' wording",
        "  (banking, telecom, utilities) is only seen in the written complaints.",
        "- Topics that are rare in real reviews (account, misleading, refund, inquiry) have few real examples;",
        "  the gold set's macro-F1 is dominated by how those few are handled.",
        "- Flags are rules (model/flags.py), not learned: phrasings outside their patterns are missed.",
    ]
    path = directory / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

