"""Similar-case retrieval: BM25 over jieba tokens, dense vectors, and their RRF fusion.

Both indexes are NumPy/SciPy structures persisted in the data dir and extended in place
when a case is added, so a case resolved a second ago is retrievable now. BM25 keeps raw
term frequencies and recomputes its weights (idf, length normalisation) after each
change, which is one sparse operation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import jieba
import numpy as np
from scipy import sparse

from complaint_desk.config import Settings
from complaint_desk.domain import Case
from complaint_desk.privacy import mask_pii
from complaint_desk.registry import Registry
from complaint_desk.text import normalize

jieba.setLogLevel(60)

STOPWORDS = frozenset(
    "的 了 是 我 你 您 他 她 它 们 我们 你们 他们 在 和 与 及 也 都 就 还 又 很 太 非常 这 那 这个 那个 一个 一下 有 没 没有 "
    "不 吗 呢 吧 啊 呀 哦 嘛 啦 把 被 给 让 对 从 到 为 为了 说 要 会 能 可以 就是 但是 但 而且 并且 然后 因为 所以 如果 已经 "
    "还是 什么 怎么 怎么办 为什么 一直 现在 今天 昨天 之前 之后 时候 一 二 三 个 次 又 再 才 去 来 上 下 里 后 前 等 等等 "
    "请 请问 麻烦 谢谢 你好 您好 客服 贵 公司 贵公司".split()
)
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def tokenize(text: str) -> list[str]:
    """jieba search-mode words plus character bigrams of every Chinese run.

    Words carry meaning; bigrams catch what segmentation splits differently in two texts
    ("饭凉了" / "凉透的饭"). Stopwords and punctuation are dropped.
    """
    normalised = normalize(text)
    words = [t for t in jieba.cut_for_search(normalised) if t not in STOPWORDS and _KEEP.search(t) and t.strip()]
    bigrams = [run[i : i + 2] for run in _CJK_RUN.findall(normalised) for i in range(len(run) - 1)]
    return words + [b for b in bigrams if b not in STOPWORDS]


def case_text(case: Case) -> str:
    """What a case is searched by: the complaint, what was wrong, and what was done (what the
    indexes keep of it holds no personal data, even from a case stored before masking)."""
    return mask_pii(f"{case.complaint} {case.root_cause} {case.resolution}")


@dataclass
class Hit:
    case_id: str
    score: float
    why: list[str] = field(default_factory=list)


class BM25Index:
    """Sparse BM25 with weights precomputed per (document, term)."""

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self.vocab: dict[str, int] = {}
        self.tf = sparse.csr_matrix((0, 0), dtype=np.float32)
        self.weights = sparse.csc_matrix((0, 0), dtype=np.float32)

    def add(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        rows, cols, vals = [], [], []
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for token in tokenize(text):
                column = self.vocab.setdefault(token, len(self.vocab))
                counts[column] = counts.get(column, 0) + 1
            rows.extend([row] * len(counts))
            cols.extend(counts)
            vals.extend(counts.values())
        new = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.vocab)), dtype=np.float32)
        old = self.tf
        old.resize((old.shape[0], len(self.vocab)))
        self.tf = sparse.vstack([old, new], format="csr")
        self.ids.extend(ids)
        self._reweight()

    def _reweight(self) -> None:
        if self.tf.shape[0] == 0:
            self.weights = sparse.csc_matrix(self.tf.shape, dtype=np.float32)
            return
        tf = self.tf.tocoo()
        lengths = np.asarray(self.tf.sum(axis=1)).ravel()
        average = max(lengths.mean(), 1e-6)
        df = np.bincount(tf.col, minlength=self.tf.shape[1])
        n = self.tf.shape[0]
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        denominator = tf.data + self.k1 * (1 - self.b + self.b * lengths[tf.row] / average)
        data = idf[tf.col] * tf.data * (self.k1 + 1) / denominator
        self.weights = sparse.csc_matrix((data.astype(np.float32), (tf.row, tf.col)), shape=self.tf.shape)

    def scores(self, query: str) -> tuple[np.ndarray, list[str]]:
        columns = sorted({self.vocab[t] for t in tokenize(query) if t in self.vocab})
        if not columns or self.weights.shape[0] == 0:
            return np.zeros(len(self.ids), dtype=np.float32), []
        return np.asarray(self.weights[:, columns].sum(axis=1)).ravel(), [t for t in tokenize(query) if t in self.vocab]

    def matched_terms(self, query_terms: Sequence[str], row: int) -> list[str]:
        """Shared terms for the "why" column, longest first, without bigrams inside a word."""
        present = set(self.tf.getrow(row).indices)
        shared = sorted({t for t in query_terms if self.vocab[t] in present}, key=lambda t: (-len(t), t))
        return [t for t in shared if not any(t != other and t in other for other in shared)]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(directory / "bm25_tf.npz", self.tf)
        (directory / "bm25_meta.json").write_text(
            json.dumps({"ids": self.ids, "vocab": self.vocab, "k1": self.k1, "b": self.b}, ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> BM25Index | None:
        meta_path, tf_path = directory / "bm25_meta.json", directory / "bm25_tf.npz"
        if not (meta_path.is_file() and tf_path.is_file()):
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        index = cls(meta["k1"], meta["b"])
        index.ids, index.vocab = meta["ids"], meta["vocab"]
        index.tf = sparse.load_npz(tf_path).tocsr().astype(np.float32)
        index._reweight()
        return index


class DenseIndex:
    """Normalised embeddings in one float32 matrix; exact search by a matrix-vector product."""

    def __init__(self, signature: str) -> None:
        self.signature = signature
        self.ids: list[str] = []
        self.vectors = np.zeros((0, 0), dtype=np.float32)

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        self.vectors = vectors if self.vectors.size == 0 else np.vstack([self.vectors, vectors])
        self.ids.extend(ids)

    def scores(self, query_vector: np.ndarray) -> np.ndarray:
        if self.vectors.size == 0:
            return np.zeros(0, dtype=np.float32)
        return self.vectors @ query_vector.astype(np.float32)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "dense_vectors.npy", self.vectors)
        (directory / "dense_meta.json").write_text(
            json.dumps({"ids": self.ids, "signature": self.signature}, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, signature: str) -> DenseIndex | None:
        meta_path, vector_path = directory / "dense_meta.json", directory / "dense_vectors.npy"
        if not (meta_path.is_file() and vector_path.is_file()):
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["signature"] != signature:
            return None  # built with another embedder: vectors are not comparable
        index = cls(signature)
        index.ids = meta["ids"]
        index.vectors = np.load(vector_path)
        return index


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None) -> list[int]:
    """Indices of the k best scores (ties broken by position), restricted to `allowed`."""
    if scores.size == 0:
        return []
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k]
    return sorted(candidates.tolist(), key=lambda i: (-scores[i], i))


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[Hit]: ...


RETRIEVERS: Registry[Callable[..., Retriever]] = Registry("检索")


@dataclass
class Indexes:
    """The indexes one case base keeps, aligned row by row with `ids`."""

    bm25: BM25Index
    dense: DenseIndex | None
    embed: Callable[[Sequence[str]], np.ndarray] | None  # cases (passages)
    embed_query: Callable[[Sequence[str]], np.ndarray] | None = None  # search texts; defaults to embed


class BM25Retriever:
    name = "bm25"

    def __init__(self, indexes: Indexes) -> None:
        self.indexes = indexes

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
        scores, terms = self.indexes.bm25.scores(query)
        rows = [i for i in top_k(scores, k, allowed) if scores[i] > 0]
        return [
            Hit(self.indexes.bm25.ids[i], float(scores[i]),
                [f"共同词：{'、'.join(self.indexes.bm25.matched_terms(terms, i)[:6])}"])
            for i in rows
        ]


class DenseRetriever:
    name = "dense"

    def __init__(self, indexes: Indexes) -> None:
        if indexes.dense is None or indexes.embed is None:
            raise ValueError("dense 检索需要向量模型")
        self.indexes = indexes
        self.embed_query = indexes.embed_query or indexes.embed

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
        scores = self.indexes.dense.scores(self.embed_query([query])[0])  # type: ignore[union-attr]
        return [
            Hit(self.indexes.dense.ids[i], float(scores[i]), [f"语义相似度 {scores[i]:.2f}"])  # type: ignore[union-attr]
            for i in top_k(scores, k, allowed)
        ]


class HybridRetriever:
    """Reciprocal rank fusion of BM25 and dense: robust to either one's blind spots."""

    name = "hybrid"

    def __init__(self, indexes: Indexes, candidates: int = 50, rrf_k: int = 60) -> None:
        self.bm25 = BM25Retriever(indexes)
        self.dense = DenseRetriever(indexes)
        self.candidates, self.rrf_k = candidates, rrf_k

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
        fused: dict[str, Hit] = {}
        for retriever in (self.bm25, self.dense):
            for rank, hit in enumerate(retriever.search(query, self.candidates, allowed)):
                entry = fused.setdefault(hit.case_id, Hit(hit.case_id, 0.0))
                entry.score += 1.0 / (self.rrf_k + rank + 1)
                entry.why.extend(hit.why)
        return sorted(fused.values(), key=lambda h: -h.score)[:k]


RETRIEVERS.register("bm25")(lambda indexes, settings: BM25Retriever(indexes))
RETRIEVERS.register("dense")(lambda indexes, settings: DenseRetriever(indexes))
RETRIEVERS.register("hybrid")(
    lambda indexes, settings: HybridRetriever(indexes, settings.retrieval.candidates, settings.retrieval.rrf_k)
)


@lru_cache(maxsize=1)
def _warm_jieba() -> None:
    jieba.initialize()


def build_retriever(name: str, indexes: Indexes, settings: Settings) -> Retriever:
    _warm_jieba()
    return RETRIEVERS.create(name, indexes, settings)
