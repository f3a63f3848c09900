"""`complaint-desk eval triage`: the triage model against the gold set and the held-out reviews.

Reported on the gold set (hand-labelled real reviews, never trained on): topic macro-F1
(over the topics present) with its confusion matrix, anger exact and within ±1, each
flag's precision/recall and P1 recall/precision; on the blind flag set (complaints a
separate author wrote to carry risk that keyword lists miss, `gold_flags.jsonl`) the same
flag and P1 figures; on the fixed held-out 20% of the labelled real reviews: ROC-AUC of
anger_score separating negative from positive. A TF-IDF character 1–3-gram +
logistic-regression baseline (one more per flag) is trained on the same training data and
scored on the same splits beside it. Gold P1 follows SPEC's rule: anger 3 or a media,
regulator, legal, safety or crisis flag.
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
from complaint_desk.triage.priority import P1_FLAGS
from model.data import DATA_DIR, Labelled, load_gold, load_labelled, load_training
from model.reviews import Review, load_split


@dataclass(frozen=True)
class Predictions:
    """What a triage system says about a list of texts."""

    topic: list[str]
    anger: list[int]
    anger_score: list[float]
    flags: list[set[str]]
    p1: list[bool]


Predictor = Callable[[Sequence[str]], Predictions]


def topic_macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(gold))
    return float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))


def anger_metrics(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    g, p = np.array(gold), np.array(predicted)
    return {"exact": float((g == p).mean()), "within_1": float((np.abs(g - p) <= 1).mean())}


def is_p1(anger: int, flags: set[str] | Sequence[str]) -> bool:
    """SPEC's hard P1 rule, applied to labels (gold) or predictions alike."""
    return anger == 3 or bool(P1_FLAGS.intersection(flags))


def rule_flags(examples: Sequence[Labelled]) -> list[set[str]]:
    return [{hit.flag for hit in find_flags(e.text)} for e in examples]


def p1_metrics(examples: Sequence[Labelled], predicted: Sequence[bool]) -> dict[str, float | int | None]:
    truth = [is_p1(e.anger or 0, e.flags) for e in examples]
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    return {"support": sum(truth), "predicted": sum(predicted),
            "recall": round(tp / sum(truth), 4) if any(truth) else None,
            "precision": round(tp / sum(predicted), 4) if any(predicted) else None}


def flag_metrics(examples: Sequence[Labelled], found: Sequence[set[str]] | None = None
                 ) -> dict[str, dict[str, float | int | None]]:
    """Precision/recall per flag against hand labels (of the rules alone unless `found` is given)."""
    table: dict[str, dict[str, float | int | None]] = {}
    found = rule_flags(examples) if found is None else found
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


def topic_confusion(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    """Rows: gold topic; columns: predicted topic (only non-zero cells)."""
    table: dict[str, dict[str, int]] = {}
    for g, p in zip(gold, predicted, strict=True):
        table.setdefault(g, {}).setdefault(p, 0)
        table[g][p] += 1
    return {g: dict(sorted(row.items(), key=lambda kv: -kv[1])) for g, row in sorted(table.items())}


def score_system(predict: Predictor, gold: Sequence[Labelled], held_out: Sequence[Review],
                 blind_flags: Sequence[Labelled] = ()) -> dict:
    on_gold = predict([g.text for g in gold])
    on_reviews = predict([r.text for r in held_out])
    truth = [0 if r.positive else 1 for r in held_out]
    predicted_negative = [s >= 0.5 / 3 for s in on_reviews.anger_score]
    risk: dict = {"gold": {"p1": p1_metrics(gold, on_gold.p1), "flags": flag_metrics(gold, on_gold.flags)}}
    if blind_flags:
        on_blind = predict([e.text for e in blind_flags])
        risk["blind_flags"] = {"examples": len(blind_flags), "p1": p1_metrics(blind_flags, on_blind.p1),
                               "flags": flag_metrics(blind_flags, on_blind.flags),
                               "anger_within_1": round(anger_metrics([e.anger for e in blind_flags],
                                                                     on_blind.anger)["within_1"], 4)}
    return {
        "gold_examples": len(gold),
        "topic_macro_f1": round(topic_macro_f1([g.topic for g in gold], on_gold.topic), 4),
        "topic_accuracy": round(float(np.mean([a == b for a, b in zip(on_gold.topic, [g.topic for g in gold], strict=True)])), 4),
        "anger": {k: round(v, 4) for k, v in anger_metrics([g.anger for g in gold], on_gold.anger).items()},
        "held_out_reviews": len(held_out),
        "anger_score_auc": round(float(roc_auc_score(truth, on_reviews.anger_score)), 4),
        "negative_accuracy_at_anger_ge_1": round(float(np.mean([p == bool(t) for p, t in zip(predicted_negative, truth, strict=True)])), 4),
        "topic_confusion": topic_confusion([g.topic for g in gold], on_gold.topic),
        "risk": risk,
    }


class TfidfBaseline:
    """TF-IDF char 1–3-grams + logistic regression, one model per label family.

    Anger score = P(negative) from a sentiment model trained on the train-side reviews'
    published labels; topic and anger levels from the hand-labelled training data; each flag
    a one-vs-rest model on the labelled texts (a flag raised at probability ≥ 0.5).
    """

    def __init__(self, training: Sequence[Labelled], reviews: Sequence[Review], seed: int = 0,
                 flag_training: Sequence[Labelled] | None = None) -> None:
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
        flag_training = training if flag_training is None else flag_training
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
        flagged = [e for e in flag_training if e.topic]
        x = x if flagged == labelled else features([normalize(e.text) for e in flagged])
        self.flags = {flag: LogisticRegression(max_iter=2000, C=8.0, class_weight="balanced", random_state=seed)
                      .fit(x, [flag in e.flags for e in flagged])
                      for flag in vocab.FLAG_IDS if any(flag in e.flags for e in flagged)}

    def __call__(self, texts: Sequence[str]) -> Predictions:
        x = self.vectorizer.transform([normalize(t) for t in texts])
        anger = [int(a) for a in self.anger.predict(x)]
        raised = {flag: model.predict_proba(x)[:, 1] >= 0.5 for flag, model in self.flags.items()}
        flags = [{flag for flag, rows in raised.items() if rows[i]} for i in range(len(texts))]
        return Predictions(
            topic=list(self.topic.predict(x)),
            anger=anger,
            anger_score=list(self.sentiment.predict_proba(x)[:, 1]),
            flags=flags,
            p1=[is_p1(a, f) for a, f in zip(anger, flags, strict=True)],
        )


def model_predictor(triager) -> Predictor:  # noqa: ANN001  (model.triage.Triager; imported lazily)
    def predict(texts: Sequence[str]) -> Predictions:
        results = triager.score(list(texts))
        return Predictions([r.topic for r in results], [r.anger for r in results], [r.anger_score for r in results],
                           [set(r.flag_ids) for r in results], [r.priority == "P1" for r in results])

    return predict


BLIND_FLAGS_FILE = "gold_flags.jsonl"


def load_blind_flags(data_dir: Path = DATA_DIR) -> list[Labelled]:
    path = data_dir / BLIND_FLAGS_FILE
    return load_labelled([path]) if path.is_file() else []


def trained_on(training: Sequence[Labelled], triager=None, part: str = "heads") -> list[Labelled]:  # noqa: ANN001
    """The labelled examples from the files the model's `part` was fitted on (its card records them:
    the heads at training, the flags' n-gram half at `train refinish` if later), so the baseline
    learns from exactly the same data; files labelled since wait for the next training."""
    meta = getattr(getattr(triager, "backend", None), "meta", {})
    sources = meta.get("finetuning", {}).get("labelled_sources")
    if part == "flags" and meta.get("refinish_sources"):
        sources = meta["refinish_sources"]
    return [e for e in training if e.source in sources] if sources else list(training)


def evaluate_triage(external_data_dir: Path, triager=None, with_baseline: bool = True) -> dict:  # noqa: ANN001
    gold = load_gold()
    blind = load_blind_flags()
    held_out = load_split(external_data_dir, "test")
    report: dict = {"flags_on_gold": flag_metrics(gold)}
    if blind:
        report["rules_on_blind_flags"] = flag_metrics(blind)
    training = load_training()
    report["baseline_sources"] = {part: sorted({e.source for e in trained_on(training, triager, part)})
                                  for part in ("heads", "flags")}
    report["flags_on_training_complaints"] = flag_metrics([e for e in training if "row" not in e.extra])
    if triager is not None:
        report["model"] = score_system(model_predictor(triager), gold, held_out, blind)
        report["model"]["name"] = getattr(triager.backend, "version", triager.backend.name)
    if with_baseline:
        baseline = TfidfBaseline(trained_on(training, triager), load_split(external_data_dir, "train"),
                                 flag_training=trained_on(training, triager, "flags"))
        report["baseline"] = score_system(baseline, gold, held_out, blind)
        report["baseline"]["name"] = "tfidf-char-1-3 + logistic regression"
    return report


def _pr(row: dict) -> str:
    precision = "-" if row["precision"] is None else f"{row['precision']:.2f}"
    recall = "-" if row["recall"] is None else f"{row['recall']:.2f}"
    return f"{precision:>5}/{recall:<5}"


def format_triage_report(report: dict) -> str:
    systems = [key for key in ("model", "baseline") if key in report]
    lines = ["分诊评估"]
    for key in systems:
        row = report[key]
        lines += [
            f"  [{row['name']}]",
            f"    金标集 {row['gold_examples']} 条：主题 macro-F1 {row['topic_macro_f1']:.3f}（准确率 {row['topic_accuracy']:.3f}），"
            f"怒气完全一致 {row['anger']['exact']:.3f}，相差≤1 {row['anger']['within_1']:.3f}",
            f"    留出评论 {row['held_out_reviews']} 条：anger_score ROC-AUC {row['anger_score_auc']:.4f}，"
            f"负面判定准确率 {row['negative_accuracy_at_anger_ge_1']:.3f}",
        ]
        for part, title in (("gold", "金标集"), ("blind_flags", "盲测风险集")):
            if part in row["risk"]:
                p1 = row["risk"][part]["p1"]
                lines.append(f"    {title} P1：应为 P1 {p1['support']} 条，判为 P1 {p1['predicted']} 条，"
                             f"精确率/召回率 {_pr(p1)}")
    if "baseline" in report and report.get("baseline_sources"):
        sources = report["baseline_sources"]
        lines.append(f"  基线与模型用同样的训练文件：主题/怒气/类型 {'、'.join(sources['heads'])}；"
                     f"风险信号 {'、'.join(sources['flags'])}")
    sets = [("金标集", "flags_on_gold", "gold"), ("盲测风险集", "rules_on_blind_flags", "blind_flags")]
    for title, rules_key, part in sets:
        if rules_key not in report:
            continue
        header = "规则".ljust(12) + "".join(report[k]["name"][:10].ljust(12) for k in systems)
        lines.append(f"  {title}上的风险信号（精确率/召回率）：          {header}")
        for flag, row in report[rules_key].items():
            cells = "".join(_pr(report[k]["risk"][part]["flags"][flag]).ljust(12) for k in systems)
            lines.append(f"    {flag:<11}{vocab.FLAG_NAMES[flag]:<6} 样本 {row['support']:>4}  {_pr(row).ljust(12)}{cells}")
    lines.append("  训练投诉上的规则（规则未在其上训练）：")
    for flag, row in report["flags_on_training_complaints"].items():
        lines.append(f"    {flag:<11}{vocab.FLAG_NAMES[flag]:<6} 样本 {row['support']:>4}  {_pr(row)}")
    if "model" in report:
        lines.append("  主题混淆（金标 → 模型判断）：")
        for topic, row in report["model"]["topic_confusion"].items():
            lines.append(f"    {topic:<11}" + "  ".join(f"{p} {n}" for p, n in row.items()))
    return "\n".join(lines)
