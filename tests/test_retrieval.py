from __future__ import annotations

from pathlib import Path

import pytest

from complaint_desk.cases.base import CaseBase, load_builtin_cases, precedent_of
from complaint_desk.cases.retrieval import tokenize
from complaint_desk.config import Settings
from complaint_desk.domain import Case
from complaint_desk.store import open_store
from eval.retrieval_eval import score_rankings

BACKENDS = ("bm25", "dense", "hybrid")


@pytest.fixture
def retrieval_settings(settings: Settings, tiny_embedder: Path) -> Settings:
    return settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"backend": "hybrid", "embedder": "sentence-transformers", "embedder_model": str(tiny_embedder)})})


def new_case(case_id: str, complaint: str) -> Case:
    return Case(id=case_id, industry="courier", topic="delivery", anger=2, persona="angry", complaint=complaint,
                root_cause="驿站代收未通知", department="logistics", remedy="redelivery", reply="非常抱歉……",
                outcome="satisfied", source="resolved")


@pytest.mark.parametrize("backend", BACKENDS)
def test_retrieval_contract(retrieval_settings: Settings, backend: str) -> None:
    base = CaseBase(open_store(retrieval_settings), retrieval_settings)
    base.ensure_seeded()
    hits = base.similar("快递放驿站了也没人通知我，等了三天", k=5, backend=backend)
    assert 0 < len(hits) <= 5
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(h.why for h in hits)
    assert len({h.case.id for h in hits}) == len(hits)
    filtered = base.similar("快递放驿站了也没人通知我", k=5, industry="banking", backend=backend)
    assert all(h.case.industry == "banking" for h in filtered)


def test_bm25_explains_with_shared_terms(settings: Settings) -> None:
    base = CaseBase(open_store(settings), settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"backend": "bm25"})}))
    base.ensure_seeded()
    top = base.similar("信用卡年费被扣了", k=1, backend="bm25")[0]
    assert "年费" in top.why[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_resolved_case_is_retrievable_at_once_and_after_restart(retrieval_settings: Settings, backend: str) -> None:
    text = "智能门锁的指纹模块半夜自己报警，吵醒全楼邻居"
    base = CaseBase(open_store(retrieval_settings), retrieval_settings)
    base.ensure_seeded()
    base.add(new_case("res-999", text))
    assert base.similar(text, k=3, backend=backend)[0].case.id == "res-999"
    reopened = CaseBase(open_store(retrieval_settings), retrieval_settings)
    assert reopened.similar(text, k=3, backend=backend)[0].case.id == "res-999"
    index_dir = retrieval_settings.data_dir / "index"
    assert (index_dir / "bm25_tf.npz").is_file() and (index_dir / "dense_vectors.npy").is_file()


def test_index_is_extended_not_rebuilt(retrieval_settings: Settings) -> None:
    base = CaseBase(open_store(retrieval_settings), retrieval_settings)
    base.ensure_seeded()
    before = base.indexes().dense.vectors.copy()
    base.add(new_case("res-1000", "另一条新案例"))
    after = base.indexes().dense.vectors
    assert after.shape[0] == before.shape[0] + 1
    assert (after[: before.shape[0]] == before).all()


def test_without_an_embedder_hybrid_degrades_to_bm25_with_a_notice(settings: Settings, tmp_path: Path) -> None:
    missing = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"backend": "hybrid", "embedder": "default", "embedder_model": str(tmp_path / "none")})})
    base = CaseBase(open_store(missing), missing)
    base.ensure_seeded()
    assert base.similar("外卖送晚了", k=3)
    assert base.notice and "BM25" in base.notice


def test_precedent_summary() -> None:
    cases = [c for c in load_builtin_cases() if c.topic == "delivery"][:8]
    summary = precedent_of(cases).summary
    assert summary.startswith("相似案例 8 例：") and "满意" in summary
    assert precedent_of([]).summary == "暂无相似案例"


def test_tokenize_drops_stopwords_and_punctuation() -> None:
    tokens = tokenize("你们的快递，送得太慢了！！")
    assert "快递" in tokens and "你们" not in tokens and "！" not in "".join(tokens)


def test_metrics() -> None:
    metrics = score_rankings([["a", "x", "b"], ["y", "z"]], [["a", "b"], ["q"]], k=5, mrr_depth=10)
    assert metrics["recall@5"] == 0.5 and metrics["hit@5"] == 0.5 and metrics["mrr@10"] == 0.5


def test_the_large_base_benchmark_times_a_dense_index_filled_from_a_sample(retrieval_settings: Settings) -> None:
    """`bench similar --encode K` embeds K cases and fills the index to n with their vectors:
    the search runs over all n rows, and the full build time is reported as extrapolated."""
    from eval.bench import bench_similar

    report = bench_similar(retrieval_settings, n=300, queries=5, backends=("bm25", "dense"), encode=40)
    assert report["dense_encoded_cases"] == 40 and report["dense_build_s_extrapolated"] >= 0
    assert "dense_index_mb" in report and report["dense_p95_ms"] >= report["dense_p50_ms"] > 0


def test_topic_agreement_is_the_share_of_the_top_five_about_the_querys_topic(settings: Settings) -> None:
    from eval.retrieval_eval import evaluate_retrieval, load_queries

    base = CaseBase(open_store(settings), settings)
    base.ensure_seeded()
    queries = load_queries()[:6]
    topic_of = {case.id: case.topic for case in load_builtin_cases()}
    expected = [sum(h.case.topic == topic_of[q["primary"]] for h in base.similar(q["query"], 10, backend="bm25")[:5]) / 5
                for q in queries]
    result = evaluate_retrieval(base, backends=("bm25",), queries=queries)["bm25"]
    assert result["topic@5"] == pytest.approx(sum(expected) / len(expected), abs=1e-4)


def _bm25_base(settings: Settings, weight: float) -> CaseBase:
    config = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"backend": "bm25", "topic_weight": weight})})
    base = CaseBase(open_store(config), config)
    base.ensure_seeded()
    return base


@pytest.mark.parametrize("topic", ["billing", "delivery", "service"])
def test_triage_topics_rank_that_topics_cases_higher_without_hiding_others(settings: Settings, topic: str) -> None:
    """The workbench ranks the cases of triage's likely topic higher; text similarity still orders
    within a topic, and other topics still appear (a triage mistake costs rank, not the case)."""
    text = "快递三天没到，客服电话也打不通，还多扣了我运费"
    plain = _bm25_base(settings, 0.5).similar(text, k=20)
    ranked = _bm25_base(settings, 0.5).similar(text, k=20, topics={topic: 0.9, "quality": 0.1})
    assert sorted(h.case.id for h in ranked) == sorted(h.case.id for h in plain)
    on_topic = [h.case.id for h in ranked if h.case.topic == topic]
    assert on_topic == [h.case.id for h in plain if h.case.topic == topic]  # text order kept within the topic
    assert sum(h.case.topic == topic for h in ranked[:5]) >= sum(h.case.topic == topic for h in plain[:5])
    top = _bm25_base(settings, 0.5).similar(text, k=5, topics={topic: 0.9})
    assert len(top) == 5
    unranked = _bm25_base(settings, 0.0).similar(text, k=5, topics={topic: 0.9})
    assert [h.case.id for h in unranked] == [h.case.id for h in plain[:5]]


def test_retrieval_eval_scores_the_workbench_ranking_beside_text_only(settings: Settings) -> None:
    from eval.retrieval_eval import TRIAGE_AWARE, evaluate_retrieval, load_queries, triage_topic_accuracy

    base = _bm25_base(settings, 0.5)
    queries = load_queries()[:8]
    topic_of = {case.id: case.topic for case in load_builtin_cases()}
    oracle = [{topic_of[q["primary"]]: 1.0} for q in queries]
    result = evaluate_retrieval(base, backends=("bm25",), queries=queries, topics=oracle)
    assert set(result) == {"bm25", "bm25" + TRIAGE_AWARE}
    assert result["bm25" + TRIAGE_AWARE]["topic@5"] >= result["bm25"]["topic@5"]
    assert triage_topic_accuracy(queries, oracle) == 1.0
    wrong = [{next(t for t in topic_of.values() if t not in o): 1.0} for o in oracle]
    assert triage_topic_accuracy(queries, wrong) == 0.0


def test_a_complaints_cases_and_precedent_come_from_one_search_ranked_by_its_triage(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workbench, drafting and resolving read the same list: the similar cases are the first
    k of the precedent's cases, both ranked with the triage's topics, for one search."""
    from complaint_desk.domain import LabelScore, TriageResult

    base = _bm25_base(settings, 0.5)
    text = "快递三天没到，客服电话也打不通，还多扣了我运费"
    triage = TriageResult(anger=2, anger_score=0.6, topic="billing", persona="angry", priority="P2",
                          priority_score=0.5, reason="", department="finance",
                          topic_scores=[LabelScore(label="billing", probability=0.7),
                                        LabelScore(label="delivery", probability=0.3)])
    from complaint_desk.cases.retrieval import BM25Retriever

    searches: list[int] = []
    original = BM25Retriever.search
    monkeypatch.setattr(BM25Retriever, "search", lambda self, query, k, allowed=None: searches.append(k)
                        or original(self, query, k, allowed))
    similar, precedent = base.for_complaint(text, triage)
    assert len(searches) == 1
    monkeypatch.undo()
    topics = triage.topic_probabilities
    assert [h.case.id for h in similar] == [h.case.id for h in base.similar(text, topics=topics)]
    assert precedent == base.precedent(text, topics=topics)
