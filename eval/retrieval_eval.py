"""Retrieval metrics on the authored query set: recall@5 and MRR@10 per backend.

recall@k is the share of a query's relevant cases found in the top k, out of at most k
(a query with 5 relevant cases can reach 1.0 at k=5); MRR@10 is the mean reciprocal rank
of the first relevant case within the top 10. Queries are new complaint texts written
against the built-in case base, never copies of case text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from complaint_desk.cases.base import CaseBase, load_builtin_cases
from complaint_desk.jsonl import read_jsonl

QUERIES = Path(__file__).resolve().parent / "data" / "retrieval_queries.jsonl"


def load_queries(path: Path = QUERIES) -> list[dict]:
    return [record.data for record in read_jsonl(path)]


def score_rankings(rankings: Sequence[Sequence[str]], relevant: Sequence[Sequence[str]], k: int = 5,
                   mrr_depth: int = 10) -> dict[str, float]:
    recalls, reciprocal, hits = [], [], []
    for ranked, wanted in zip(rankings, relevant, strict=True):
        wanted_set = set(wanted)
        found = len(wanted_set & set(ranked[:k]))
        recalls.append(found / min(k, len(wanted_set)))
        hits.append(float(found > 0))
        rank = next((i + 1 for i, case_id in enumerate(ranked[:mrr_depth]) if case_id in wanted_set), None)
        reciprocal.append(1.0 / rank if rank else 0.0)
    count = max(1, len(rankings))
    return {
        f"recall@{k}": round(sum(recalls) / count, 4),
        f"hit@{k}": round(sum(hits) / count, 4),
        f"mrr@{mrr_depth}": round(sum(reciprocal) / count, 4),
        "queries": len(rankings),
    }


def primary_topics() -> dict[str, str]:
    """What a query is about: the topic of the case its author named as the closest (by case id)."""
    return {case.id: case.topic for case in load_builtin_cases()}


TRIAGE_AWARE = "·分诊"  # suffix of a row ranked with triage's topics, as the workbench ranks


def evaluate_retrieval(case_base: CaseBase, backends: Sequence[str] = ("bm25", "dense", "hybrid"),
                       queries: list[dict] | None = None, progress: Callable[[int], None] | None = None,
                       use_industry: bool = False, topics: Sequence[Mapping[str, float]] | None = None
                       ) -> dict[str, dict[str, float]]:
    """Metrics per backend; a backend the case base cannot serve (no embedder) is skipped.

    With `use_industry`, each query searches only its own industry's cases, as a
    deployment configured for one industry does. With `topics` (triage's topic
    probabilities per query), each backend is scored a second time ranked the way the
    workbench ranks: likely topics first.
    """
    queries = queries if queries is not None else load_queries()
    relevant = [q["relevant"] for q in queries]
    topic_of = primary_topics()
    results: dict[str, dict[str, float]] = {}
    has_dense = case_base.indexes().dense is not None
    runs = [(backend, None) for backend in backends] + ([(b, topics) for b in backends] if topics else [])
    for backend, ranked_by in runs:
        if backend != "bm25" and not has_dense:
            continue
        rankings, agreement = [], []
        for i, query in enumerate(queries):
            industry = query.get("industry") if use_industry else None
            hits = case_base.similar(query["query"], 10, industry=industry, backend=backend,
                                     topics=ranked_by[i] if ranked_by else None)
            rankings.append([hit.case.id for hit in hits])
            wanted = topic_of.get(query.get("primary", ""))
            if wanted and hits[:5]:
                agreement.append(sum(hit.case.topic == wanted for hit in hits[:5]) / len(hits[:5]))
            if progress:
                progress(1)
        row = results[backend + (TRIAGE_AWARE if ranked_by else "")] = score_rankings(rankings, relevant)
        row["topic@5"] = round(sum(agreement) / len(agreement), 4) if agreement else None
    return results


def triage_topic_accuracy(queries: Sequence[dict], topics: Sequence[Mapping[str, float]]) -> float:
    """How often triage's top topic is the topic of the query's closest case (the ceiling of ranking by it)."""
    topic_of = primary_topics()
    pairs = [(topic_of[q["primary"]], max(t, key=t.__getitem__)) for q, t in zip(queries, topics, strict=True)
             if q.get("primary") in topic_of]
    return round(sum(a == b for a, b in pairs) / max(1, len(pairs)), 4)


def format_retrieval_report(results: dict[str, dict[str, float]], notice: str | None = None) -> str:
    lines = [f"相似案例检索（作者编写的查询集；主题一致@5：前 5 条与查询同主题的比例；{TRIAGE_AWARE}：按分诊主题排序，工作台的排法）",
             f"  {'方式':<10}{'recall@5':>10}{'hit@5':>8}{'MRR@10':>8}{'主题一致@5':>10}{'查询数':>8}"]
    for backend, row in results.items():
        topic = "-" if row.get("topic@5") is None else f"{row['topic@5']:.3f}"
        lines.append(f"  {backend:<10}{row['recall@5']:>10.3f}{row['hit@5']:>8.3f}{row['mrr@10']:>8.3f}{topic:>10}"
                     f"{row['queries']:>8}")
    if notice:
        lines.append(f"  注意：{notice}")
    return "\n".join(lines)
