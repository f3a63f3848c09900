"""`triage(text) -> TriageResult`: the classifier's labels plus explainable rules.

Backends (registry keyed by `settings.triage.backend`):
- `default`: this project's multi-task checkpoint (`model/checkpoints/triage`, or any
  folder written by `complaint-desk train triage`, set with `triage.model`);
- `hf`: any Hugging Face sequence-classification checkpoint (path or hub id) whose labels
  are SPEC topic, anger or persona ids (or their Chinese names); heads it does not cover
  come from the default checkpoint.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from complaint_desk import vocab
from complaint_desk.base_encoder import resolve_base
from complaint_desk.config import Settings, get_settings, shipped_checkpoint
from complaint_desk.domain import FlagHit, LabelScore, TriageResult, utcnow
from complaint_desk.registry import Registry
from complaint_desk.text import normalize
from complaint_desk.triage import priority as prio
from complaint_desk.triage.flags import find_flags
from complaint_desk.triage.network import FLAG_LABELS, HEADS, NEVER, MissingCheckpointError, load_checkpoint


@dataclass(frozen=True)
class HeadProbabilities:
    """Class probabilities per head for one text, in SPEC label order."""

    anger: np.ndarray
    topic: np.ndarray
    persona: np.ndarray
    flags: np.ndarray | None = None  # per FLAG_LABELS, independent probabilities (a checkpoint with a flag head)
    anger_score: np.ndarray | None = None  # anger level probabilities for ranking, where they differ from `anger`


class TriageBackend(Protocol):
    name: str
    flag_thresholds: dict[str, float]  # learned flag probability at or above which a flag is raised
    rage_threshold: float  # P(暴怒) at or above which a complaint read as calmer is still P1

    def predict(self, texts: Sequence[str]) -> list[HeadProbabilities]: ...


TRIAGE_BACKENDS: Registry[TriageBackend] = Registry("分诊")


def pick_dtype(requested: str, device: str) -> torch.dtype:
    """bfloat16 where the CPU has native support (about 3x faster here), else float32."""
    if requested in ("float32", "int8"):  # int8 quantises a float32 model after loading
        return torch.float32
    if requested == "bfloat16":
        return torch.bfloat16
    if device.startswith("cuda"):
        return torch.bfloat16
    supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)()
    return torch.bfloat16 if supported else torch.float32


def quantized_encoder(encoder: torch.nn.Module) -> torch.nn.Module:
    """The encoder's linear layers with int8 weights (dynamic activation scales): on a 2-core
    CPU with VNNI the e5 encoder runs ~1.5x faster than in bfloat16 (docs/EVAL.md, bench triage)."""
    with warnings.catch_warnings():  # eager dynamic quantisation is deprecated upstream but still the simplest CPU path
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(encoder, {torch.nn.Linear}, dtype=torch.qint8)


Forward = Callable[[list[str]], dict[str, torch.Tensor]]


def _batched_softmax(forward: Forward, texts: Sequence[str], batch_size: int) -> dict[str, np.ndarray]:
    """Run a forward function over length-sorted batches of normalised text; probabilities per head."""
    normalised = [normalize(t) or "。" for t in texts]
    order = sorted(range(len(normalised)), key=lambda i: len(normalised[i]))
    collected: dict[str, list[np.ndarray]] = {}
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            logits = forward([normalised[i] for i in order[start : start + batch_size]])
            for head, values in logits.items():
                probs = torch.sigmoid(values.float()) if head == "flags" else torch.softmax(values.float(), dim=-1)
                collected.setdefault(head, []).append(probs.cpu().numpy())
    inverse = np.argsort(order)
    return {head: np.concatenate(parts)[inverse] for head, parts in collected.items()}


@TRIAGE_BACKENDS.register("default")
class CheckpointBackend:
    """The project's own multi-task checkpoint."""

    name = "default"

    def __init__(self, settings: Settings) -> None:
        path = Path(settings.triage.model) if settings.triage.model else shipped_checkpoint("triage")
        self.device = settings.triage.device
        self.dtype = pick_dtype(settings.triage.dtype, self.device)
        checkpoint = load_checkpoint(path, dtype=self.dtype, device=self.device,
                                     resolve_base=lambda name: resolve_base(name, settings))
        self.net, self.tokenizer, self.meta = checkpoint.net, checkpoint.tokenizer, checkpoint.meta
        self.precision = str(self.dtype).removeprefix("torch.")
        if settings.triage.dtype == "int8" and not self.device.startswith("cuda"):
            self.net.encoder = quantized_encoder(self.net.encoder)
            self.precision = "int8"
        calibration = self.meta.get("calibration", {})
        self.anger_temperature = float(calibration.get("anger_temperature", 1.0))
        self.flag_thresholds: dict[str, float] = calibration.get("flag_thresholds", {}) if self.net.flags else {}
        self.rage_threshold = float(calibration.get("rage_threshold", NEVER))
        self.ngrams = checkpoint.ngrams
        self.max_length = min(settings.triage.max_length, int(self.meta.get("max_length", settings.triage.max_length)))
        self.batch_size = settings.triage.batch_size
        self.version = f"default:{path.name}"

    def _forward(self, chunk: list[str]) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer(chunk, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
        wide = self.ngrams.transform(chunk) if self.ngrams is not None else None
        logits = self.net(encoded["input_ids"].to(self.device), encoded["attention_mask"].to(self.device), wide)
        tempered = {head: logits[head] / self.anger_temperature for head in ("anger", "anger_score") if head in logits}
        return {**logits, **tempered}

    def predict(self, texts: Sequence[str]) -> list[HeadProbabilities]:
        probs = _batched_softmax(self._forward, texts, self.batch_size)
        flags, score = probs.get("flags"), probs.get("anger_score")
        return [HeadProbabilities(probs["anger"][i], probs["topic"][i], probs["persona"][i],
                                  flags[i] if flags is not None else None, score[i] if score is not None else None)
                for i in range(len(texts))]


def _label_index(label: str) -> tuple[str, int] | None:
    """Which head and class a checkpoint label means, by SPEC id or Chinese name."""
    text = label.strip()
    for head, names in (("topic", vocab.TOPIC_NAMES), ("persona", vocab.PERSONA_NAMES)):
        for index, (label_id, name) in enumerate(names.items()):
            if text in (label_id, name):
                return head, index
    for level, name in vocab.ANGER_NAMES.items():
        if text in (str(level), name, f"anger_{level}"):
            return "anger", level
    return None


@TRIAGE_BACKENDS.register("hf")
class HFClassifierBackend:
    """Any sequence-classification checkpoint for one head; the other heads from `default`."""

    name = "hf"

    def __init__(self, settings: Settings, fallback: TriageBackend | None = None) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if not settings.triage.model:
            raise MissingCheckpointError("hf 分诊后端需要设置 COMPLAINT_DESK_TRIAGE__MODEL（模型目录或 Hub id）")
        source = settings.triage.model
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            self.model = AutoModelForSequenceClassification.from_pretrained(source).eval()
        except OSError as error:
            raise MissingCheckpointError(
                f"无法加载分类模型 {source}：{error}。离线时请指向本地目录，或设置 HF_HUB_OFFLINE=0 并联网"
            ) from error
        mapping = {int(i): _label_index(str(label)) for i, label in self.model.config.id2label.items()}
        heads = {m[0] for m in mapping.values() if m}
        if None in mapping.values() or len(heads) != 1:
            raise MissingCheckpointError(
                f"{source} 的标签 {list(self.model.config.id2label.values())} 无法对应到 SPEC 的 topic/anger/persona 标签"
            )
        self.head = heads.pop()
        self.columns = [mapping[i][1] for i in range(len(mapping))]  # type: ignore[index]
        own = settings.model_copy(update={"triage": settings.triage.model_copy(update={"model": settings.triage.fallback_model})})
        self.fallback = fallback or CheckpointBackend(own)
        self.flag_thresholds = self.fallback.flag_thresholds
        # the fallback's threshold was calibrated on its own anger head, not on this model's
        self.rage_threshold = NEVER if self.head == "anger" else self.fallback.rage_threshold
        self.batch_size = settings.triage.batch_size
        self.max_length = settings.triage.max_length
        self.version = f"hf:{source}"

    def _forward(self, chunk: list[str]) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer(chunk, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
        return {self.head: self.model(**{k: v for k, v in encoded.items() if k in ("input_ids", "attention_mask")}).logits}

    def predict(self, texts: Sequence[str]) -> list[HeadProbabilities]:
        base = self.fallback.predict(texts)
        probs = _batched_softmax(self._forward, texts, self.batch_size)[self.head]
        results = []
        for item, row in zip(base, probs, strict=True):
            full = np.zeros(len(HEADS[self.head]))
            full[self.columns] = row
            results.append(HeadProbabilities(**{**item.__dict__, self.head: full}))
        return results


def _top(labels: Sequence[str], probs: np.ndarray, k: int) -> list[LabelScore]:
    order = np.argsort(-probs)[:k]
    return [LabelScore(label=labels[i], probability=round(float(probs[i]), 4)) for i in order]


class Triager:
    """Model probabilities + flag rules + priority rules → TriageResult."""

    def __init__(self, settings: Settings | None = None, backend: TriageBackend | None = None) -> None:
        self.settings = settings or get_settings()
        self.backend = backend or TRIAGE_BACKENDS.create(self.settings.triage.backend, self.settings)

    def score(self, texts: Sequence[str], created_at: Sequence[datetime | None] | None = None,
              now: datetime | None = None) -> list[TriageResult]:
        """Triage a batch; waiting time (from created_at) raises priority as SLA nears."""
        now = now or utcnow()
        created_at = created_at or [None] * len(texts)
        predictions = self.backend.predict(texts)
        return [self._result(text, p, when, now) for text, p, when in zip(texts, predictions, created_at, strict=True)]

    def triage(self, text: str) -> TriageResult:
        return self.score([text])[0]

    def _result(self, text: str, p: HeadProbabilities, created: datetime | None, now: datetime) -> TriageResult:
        settings = self.settings.priority
        anger = int(np.argmax(p.anger))
        anger_score = float(np.dot(p.anger if p.anger_score is None else p.anger_score, np.arange(4)) / 3)
        topic = HEADS["topic"][int(np.argmax(p.topic))]
        rule_hits = find_flags(text)
        hits = rule_hits + self._learned_flags({hit.flag for hit in rule_hits}, p)
        flag_ids = [hit.flag for hit in hits]
        waited = max(0.0, (now - created).total_seconds() / 3600) if created else 0.0
        rage = float(p.anger[3])
        likely_rage = round(rage, 4) if anger < 3 and rage >= self.backend.rage_threshold else None
        score = prio.priority_score(anger_score, anger, flag_ids, waited, settings, likely_rage)
        level = prio.priority_level(score, settings)
        return TriageResult(
            anger=anger,
            anger_score=round(anger_score, 4),
            topic=topic,
            topic_scores=_top(HEADS["topic"], p.topic, 3),
            persona=HEADS["persona"][int(np.argmax(p.persona))],
            persona_top3=_top(HEADS["persona"], p.persona, 3),
            flags=hits,
            priority=level,
            priority_score=score,
            reason=prio.reason(anger, hits, waited, settings, level, likely_rage),
            department=prio.department(topic),
            model=getattr(self.backend, "version", self.backend.name),
            likely_rage=likely_rage,
        )

    def _learned_flags(self, spanned: set[str], p: HeadProbabilities) -> list[FlagHit]:
        """Flags the model is sure of that no rule span already shows: SPEC asks for a span or a
        learned probability above the calibrated threshold, and the reason says which."""
        if p.flags is None:
            return []
        return [FlagHit(start=0, end=0, text="", flag=flag, probability=round(float(p.flags[index]), 4))
                for index, flag in enumerate(FLAG_LABELS)
                if flag not in spanned and p.flags[index] >= self.backend.flag_thresholds.get(flag, NEVER)]


@lru_cache(maxsize=1)
def default_triager() -> Triager:
    return Triager()


def triage(text: str) -> TriageResult:
    """Triage one complaint with the configured backend (loaded once per process)."""
    return default_triager().triage(text)


def triage_batch(texts: Sequence[str]) -> list[TriageResult]:
    """Triage many complaints in batches (for queues and imports)."""
    return default_triager().score(texts)
