"""Stage one: a character-level WordPiece vocabulary and a small BERT pretrained from scratch
with whole-word masking (no pretrained Chinese weights are reachable on the build machines),
optionally seeded with a local LLM's token embeddings."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path

import gguf
import jieba
import torch
from gguf.quants import dequantize
from safetensors import safe_open
from safetensors.torch import save_file
from tokenizers import BertWordPieceTokenizer
from torch import nn
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM, BertTokenizer, PreTrainedTokenizerBase

from complaint_desk.cases.base import load_builtin_cases
from complaint_desk.text import normalize
from model.data import Labelled, load_training
from model.recipe import Progress, TrainConfig, length_batches, pad, schedule, update_step
from model.reviews import Review, load_split

jieba.setLogLevel(60)


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
    scheduler = schedule(optimizer, steps_per_epoch * config.mlm_epochs)
    losses: list[float] = []
    model.train()
    for epoch in range(config.mlm_epochs):
        total = 0.0
        batches = length_batches([len(ids) for ids, _ in examples], config.mlm_batch_size, rng)
        for step, batch in enumerate(batches):
            pairs = [mask_tokens(examples[i][0], examples[i][1], tokenizer, config.mlm_probability, rng) for i in batch]
            input_ids = pad([p[0] for p in pairs], tokenizer.pad_token_id).to(config.device)
            labels = pad([p[1] for p in pairs], -100).to(config.device)
            loss = model(input_ids=input_ids, attention_mask=(input_ids != tokenizer.pad_token_id), labels=labels).loss
            total += update_step(loss, model.parameters(), optimizer, scheduler)
            if progress:
                progress(f"MLM 预训练 第 {epoch + 1}/{config.mlm_epochs} 轮", step + 1, len(batches))
        losses.append(total / len(batches))
    return model.bert, losses


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
