"""The case base (投诉资料库, seed 001 §十一): every resolved case, searchable at once.

Built-in cases ship with the package and are copied into the store on first use; cases
resolved by agents join them (with personal data masked). Indexes live in the data dir
and are extended in place, so a case is retrievable the moment it is added.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from complaint_desk import vocab
from complaint_desk.cases.embedder import EMBEDDERS, Embedder, EmbedderUnavailableError
from complaint_desk.cases.retrieval import BM25Index, DenseIndex, Indexes, Retriever, build_retriever, case_text
from complaint_desk.config import Settings
from complaint_desk.domain import Case, TriageResult
from complaint_desk.jsonl import read_jsonl
from complaint_desk.privacy import mask_pii
from complaint_desk.store import Store

BUILTIN_DIR = Path(__file__).resolve().parent / "data"


def load_builtin_cases(directory: Path = BUILTIN_DIR) -> list[Case]:
    """The shipped case base (every *.jsonl under cases/data), validated against SPEC ids."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.jsonl")):
        for record in read_jsonl(path):
            try:
                cases.append(Case.model_validate({**record.data, "source": "builtin"}))
            except ValueError as error:
                raise ValueError(f"{path.name} 第 {record.line} 行不是合法的案例：{error}") from error
    return cases


def masked(case: Case) -> Case:
    """The case with personal data masked in every text a person wrote."""
    return case.model_copy(update={name: mask_pii(getattr(case, name))
                                   for name in ("complaint", "root_cause", "resolution", "reply")})


@dataclass(frozen=True)
class SimilarCase:
    case: Case
    score: float
    why: tuple[str, ...]


def match_reason(case: Case, triage: TriageResult | None) -> str:
    """Why this case is shown, in words an agent reads at a glance: what it shares with the
    complaint (topic, risk signals, kind of customer, anger) and how it was settled."""
    shared: list[str] = []
    if triage is not None:
        if case.topic == triage.topic:
            shared.append(f"同为{vocab.TOPIC_NAMES[case.topic]}问题")
        flags = [vocab.FLAG_NAMES[f] for f in case.flags if f in triage.flag_ids]
        if flags:
            shared.append("都涉及" + "、".join(flags))
        if case.persona == triage.persona:
            shared.append(f"客户同属「{vocab.PERSONA_NAMES[case.persona]}」")
        if case.anger == triage.anger and case.anger >= 2:
            shared.append(f"客户同样{vocab.ANGER_NAMES[case.anger]}")
    amount = f" {case.amount:g} 元" if case.amount else ""
    settled = f"当时{vocab.REMEDY_NAMES[case.remedy]}{amount}，{vocab.OUTCOME_NAMES[case.outcome]}"
    return f"{'，'.join(shared) or '说法相近'}；{settled}"


@dataclass(frozen=True)
class Precedent:
    """What was usually done for complaints like this one, and how it went."""

    total: int
    by_remedy: tuple[tuple[str, int, int, tuple[float, ...]], ...]  # remedy, cases, satisfied, amounts

    @property
    def summary(self) -> str:
        if not self.total:
            return "暂无相似案例"
        parts = []
        for remedy, count, satisfied, amounts in self.by_remedy:
            detail = f"满意 {satisfied}"
            if amounts:
                low, high = min(amounts), max(amounts)
                detail += f"，{low:g} 元" if low == high else f"，{low:g}–{high:g} 元"
            parts.append(f"{vocab.REMEDY_NAMES[remedy]} {count} 例({detail})")
        return f"相似案例 {self.total} 例：" + "、".join(parts)


def precedent_of(cases: Sequence[Case]) -> Precedent:
    counts: Counter[str] = Counter(c.remedy for c in cases)
    rows = []
    for remedy, count in counts.most_common():
        chosen = [c for c in cases if c.remedy == remedy]
        satisfied = sum(1 for c in chosen if c.outcome == "satisfied")
        amounts = tuple(sorted(c.amount for c in chosen if c.amount))
        rows.append((remedy, count, satisfied, amounts))
    return Precedent(len(cases), tuple(rows))


class CaseBase:
    """Store-backed cases plus their persisted BM25 and dense indexes."""

    def __init__(self, store: Store, settings: Settings, embedder: Embedder | None = None,
                 index_dir: Path | None = None) -> None:
        self.store = store
        self.settings = settings
        self.index_dir = index_dir or settings.data_dir / "index"
        self.notice: str | None = None
        self._lock = threading.RLock()
        self._embedder = embedder
        self._cases: dict[str, Case] = {}
        self._indexes: Indexes | None = None

    # --- building ----------------------------------------------------------------------

    def ensure_seeded(self) -> int:
        """Copy the built-in cases into the store (idempotent); returns how many were new."""
        return self.store.add_cases(load_builtin_cases())

    def _embedder_or_none(self) -> Embedder | None:
        if self._embedder is not None:
            return self._embedder
        if self.settings.retrieval.backend == "bm25":
            return None
        try:
            self._embedder = EMBEDDERS.create(self.settings.retrieval.embedder, self.settings)
            self._embedder.encode(["测试"])  # fail now, not in the middle of a search
        except (EmbedderUnavailableError, OSError, ValueError) as error:
            self.notice = f"向量检索不可用，已改用 BM25 关键词检索：{error}"
            self._embedder = None
        return self._embedder

    def indexes(self) -> Indexes:
        """Load the persisted indexes and bring them up to date with the store."""
        with self._lock:
            if self._indexes is not None:
                return self._indexes
            cases = self.store.list_cases()
            self._cases = {c.id: c for c in cases}
            bm25 = BM25Index.load(self.index_dir)
            if bm25 is None or not _is_prefix(bm25.ids, cases):
                bm25 = BM25Index(self.settings.retrieval.bm25_k1, self.settings.retrieval.bm25_b)
            missing = cases[len(bm25.ids) :]
            if missing:
                bm25.add([c.id for c in missing], [case_text(c) for c in missing])
                bm25.save(self.index_dir)
            embedder = self._embedder_or_none()
            dense = None
            if embedder is not None:
                dense = DenseIndex.load(self.index_dir, embedder.signature)
                if dense is None or not _is_prefix(dense.ids, cases):
                    dense = DenseIndex(embedder.signature)
                missing = cases[len(dense.ids) :]
                if missing:
                    dense.add([c.id for c in missing], embedder.encode([case_text(c) for c in missing]))
                    dense.save(self.index_dir)
            query = (lambda texts: embedder.encode(texts, kind="query")) if embedder else None  # type: ignore[union-attr]
            self._indexes = Indexes(bm25, dense, embedder.encode if embedder else None, query)
            return self._indexes

    def add(self, case: Case) -> None:
        """Store a case, its personal data masked, and make it searchable."""
        case = masked(case)
        self.store.add_case(case)
        self.include(case)

    def include(self, case: Case) -> None:
        """Make a case already in the store searchable; idempotent. Cases the store has but
        the indexes lack (say, after a crash between the two) are caught up by `indexes()`."""
        with self._lock:
            indexes = self.indexes()
            if case.id in self._cases:
                return
            self._cases[case.id] = case
            indexes.bm25.add([case.id], [case_text(case)])
            indexes.bm25.save(self.index_dir)
            if indexes.dense is not None and indexes.embed is not None:
                indexes.dense.add([case.id], indexes.embed([case_text(case)]))
                indexes.dense.save(self.index_dir)

    # --- searching ---------------------------------------------------------------------

    def retriever(self, backend: str | None = None) -> Retriever:
        indexes = self.indexes()
        name = backend or self.settings.retrieval.backend
        if name != "bm25" and indexes.dense is None:
            name = "bm25"
        return build_retriever(name, indexes, self.settings)

    def _allowed(self, industry: str | None, topic: str | None) -> np.ndarray | None:
        if not industry and not topic:
            return None
        ids = self.indexes().bm25.ids
        return np.array([
            (not industry or self._cases[i].industry == industry) and (not topic or self._cases[i].topic == topic)
            for i in ids
        ])

    def similar(self, text: str, k: int | None = None, industry: str | None = None, topic: str | None = None,
                backend: str | None = None, topics: Mapping[str, float] | None = None) -> list[SimilarCase]:
        """The k cases most like `text`. `topic` keeps only that topic's cases; `topics` (triage's
        probability per topic) ranks the likely topics' cases first without hiding the rest, so
        a triage mistake costs a rank, not the case."""
        settings = self.settings.retrieval
        k = k or settings.k
        weight = settings.topic_weight if topics else 0.0
        with self._lock:
            hits = self.retriever(backend).search(text, max(k, settings.rerank_pool) if weight else k,
                                                  self._allowed(industry, topic))
            found = [SimilarCase(self._cases[h.case_id], h.score, tuple(h.why)) for h in hits]
        if weight and topics:  # by rank, not raw score: BM25, cosine and fused scores are on different scales
            ranked = sorted(enumerate(found), key=lambda pair: -((1 - weight) * (1 - pair[0] / len(found))
                                                                  + weight * topics.get(pair[1].case.topic, 0.0)))
            found = [hit for _rank, hit in ranked]
        return found[:k]

    def precedent(self, text: str, industry: str | None = None,
                  topics: Mapping[str, float] | None = None) -> Precedent:
        hits = self.similar(text, self.settings.retrieval.precedent_k, industry=industry, topics=topics)
        return precedent_of([h.case for h in hits])

    def for_complaint(self, text: str, triage: TriageResult | None,
                      industry: str | None = None) -> tuple[list[SimilarCase], Precedent]:
        """What the workbench shows beside a complaint and drafting reads: its similar cases and
        the precedent, both ranked with its triage's topics, from one search (the first k of the
        precedent's list are the similar cases, so searching twice would only repeat the work)."""
        retrieval = self.settings.retrieval
        hits = self.similar(text, max(retrieval.k, retrieval.precedent_k), industry=industry,
                            topics=triage.topic_probabilities if triage else None)
        return hits[: retrieval.k], precedent_of([h.case for h in hits[: retrieval.precedent_k]])

    def cases(self) -> list[Case]:
        self.indexes()
        return list(self._cases.values())


def _is_prefix(ids: Sequence[str], cases: Iterable[Case]) -> bool:
    """A persisted index is reusable when it covers the first len(ids) stored cases in order."""
    ordered = [c.id for c in cases]
    return len(ids) <= len(ordered) and list(ids) == ordered[: len(ids)]
