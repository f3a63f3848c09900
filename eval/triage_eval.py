"""`complaint-desk eval triage`: the triage model against the gold set and the held-out reviews.

Reported on the gold set (hand-labelled real reviews, never trained on): topic macro-F1
(over the topics present), anger exact and within ±1, and flag precision/recall per flag;
on the fixed held-out 20% of the labelled real reviews: ROC-AUC of anger_score separating
negative from positive. A TF-IDF character 1–3-gram + logistic-regression baseline is
trained on the same training data and scored on the same splits beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

from complaint_desk import vocab
from complaint_desk.text import normalize
from complaint_desk.triage.flags import find_flags
from model.data import Labelled, load_gold, load_training
from model.reviews import Review, load_split


@dataclass(frozen=True)
class Predictions:
    """What a triage system says about a list of texts."""

    topic: list[str]
    anger: list[int]
    anger_score: list[float]


Predictor = Callable[[Sequence[str]], Predictions]


def topic_macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(gold))
    return float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))


def anger_metrics(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    g, p = np.array(gold), np.array(predicted)
    return {"exact": float((g == p).mean()), "within_1": float((np.abs(g - p) <= 1).mean())}


def flag_metrics(examples: Sequence[Labelled]) -> dict[str, dict[str, float | int | None]]:
    """Precision/recall of the flag rules per flag against hand labels."""
    table: dict[str, dict[str, float | int | None]] = {}
    found = [{hit.flag for hit in find_flags(e.text)} for e in examples]
    for flag in vocab.FLAG_IDS:
        tp = sum(1 for e, f in zip(examples, found, strict=True) if flag in f and flag in e.flags)
        fp = sum(1 for e, f in zip(examples, found, strict=True) if flag in f and flag not in e.flags)
        fn = sum(1 for e, f in zip(examples, found, strict=True) if flag not in f and flag in e.flags)
        table[flag] = {
            "support": tp + fn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        }
    return table


def score_system(predict: Predictor, gold: Sequence[Labelled], held_out: Sequence[Review]) -> dict:
    on_gold = predict([g.text for g in gold])
    on_reviews = predict([r.text for r in held_out])
    truth = [0 if r.positive else 1 for r in held_out]
    predicted_negative = [s >= 0.5 / 3 for s in on_reviews.anger_score]
    return {
        "gold_examples": len(gold),
        "topic_macro_f1": round(topic_macro_f1([g.topic for g in gold], on_gold.topic), 4),
        "topic_accuracy": round(float(np.mean([a == b for a, b in zip(on_gold.topic, [g.topic for g in gold], strict=True)])), 4),
        "anger": {k: round(v, 4) for k, v in anger_metrics([g.anger for g in gold], on_gold.anger).items()},
        "held_out_reviews": len(held_out),
        "anger_score_auc": round(float(roc_auc_score(truth, on_reviews.anger_score)), 4),
        "negative_accuracy_at_anger_ge_1": round(float(np.mean([p == bool(t) for p, t in zip(predicted_negative, truth, strict=True)])), 4),
    }


class TfidfBaseline:
    """TF-IDF char 1–3-grams + logistic regression, one model per label family.

    Anger score = P(negative) from a sentiment model trained on the train-side reviews'
    published labels; topic and anger levels from the hand-labelled training data.
    """

    def __init__(self, training: Sequence[Labelled], reviews: Sequence[Review], seed: int = 0) -> None:
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
        texts = [normalize(t) for t in [e.text for e in training] + [r.text for r in reviews]]
        self.vectorizer.fit(texts)
        features = self.vectorizer.transform
        self.sentiment = LogisticRegression(max_iter=2000, C=4.0, random_state=seed).fit(
            features([normalize(r.text) for r in reviews]), [0 if r.positive else 1 for r in reviews])
        labelled = [e for e in training if e.topic]
        x = features([normalize(e.text) for e in labelled])
        self.topic = LogisticRegression(max_iter=2000, C=8.0, class_weight="balanced", random_state=seed).fit(
            x, [e.topic for e in labelled])
        self.anger = LogisticRegression(max_iter=2000, C=4.0, random_state=seed).fit(x, [e.anger for e in labelled])

    def __call__(self, texts: Sequence[str]) -> Predictions:
        x = self.vectorizer.transform([normalize(t) for t in texts])
        return Predictions(
            topic=list(self.topic.predict(x)),
            anger=[int(a) for a in self.anger.predict(x)],
            anger_score=list(self.sentiment.predict_proba(x)[:, 1]),
        )


def model_predictor(triager) -> Predictor:  # noqa: ANN001  (model.triage.Triager; imported lazily)
    def predict(texts: Sequence[str]) -> Predictions:
        results = triager.score(list(texts))
        return Predictions([r.topic for r in results], [r.anger for r in results], [r.anger_score for r in results])

    return predict


def evaluate_triage(external_data_dir: Path, triager=None, with_baseline: bool = True) -> dict:  # noqa: ANN001
    gold = load_gold()
    held_out = load_split(external_data_dir, "test")
    report: dict = {"flags_on_gold": flag_metrics(gold)}
    training = load_training()
    report["flags_on_training_complaints"] = flag_metrics([e for e in training if "row" not in e.extra])
    if triager is not None:
        report["model"] = score_system(model_predictor(triager), gold, held_out)
        report["model"]["name"] = getattr(triager.backend, "version", triager.backend.name)
    if with_baseline:
        baseline = TfidfBaseline(training, load_split(external_data_dir, "train"))
        report["baseline"] = score_system(baseline, gold, held_out)
        report["baseline"]["name"] = "tfidf-char-1-3 + logistic regression"
    return report


def format_triage_report(report: dict) -> str:
    lines = ["分诊评估"]
    for key in ("model", "baseline"):
        if key not in report:
            continue
        row = report[key]
        lines += [
            f"  [{row['name']}]",
            f"    金标集 {row['gold_examples']} 条：主题 macro-F1 {row['topic_macro_f1']:.3f}（准确率 {row['topic_accuracy']:.3f}），"
            f"怒气完全一致 {row['anger']['exact']:.3f}，相差≤1 {row['anger']['within_1']:.3f}",
            f"    留出评论 {row['held_out_reviews']} 条：anger_score ROC-AUC {row['anger_score_auc']:.4f}，"
            f"负面判定准确率 {row['negative_accuracy_at_anger_ge_1']:.3f}",
        ]
    for title, key in (("金标集上的风险信号", "flags_on_gold"), ("训练投诉上的风险信号（规则未在其上训练）", "flags_on_training_complaints")):
        lines.append(f"  {title}：")
        for flag, row in report[key].items():
            precision = "-" if row["precision"] is None else f"{row['precision']:.2f}"
            recall = "-" if row["recall"] is None else f"{row['recall']:.2f}"
            lines.append(f"    {flag:<11}{vocab.FLAG_NAMES[flag]:<6} 样本 {row['support']:>4}  精确率 {precision:>5}  召回率 {recall:>5}")
    return "\n".join(lines)
