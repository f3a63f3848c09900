"""Calibration on the validation slice, run at the end of training (model/train.py): the
anger temperature, the P(暴怒) threshold for P1, anger_score's own encoder weight, the flags'
n-gram half and each flag's threshold. A flag raises priority, so a threshold needs evidence
(validation examples, or the n-gram half's out-of-fold predictions) and precision."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from complaint_desk.triage.network import FLAG_LABELS, NEVER, TriageNet, WideInputs
from model.examples import Example

ValidationBatch = tuple[torch.Tensor, torch.Tensor, WideInputs | None]

MIN_FLAG_PRECISION = 0.5
RAGE_BETA = 2.0  # P1 is recall first (SPEC): a missed 暴怒 complaint weighs twice a false alarm


def precision_at(scores: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    predicted = scores >= threshold
    return int((predicted & truth).sum()) / int(predicted.sum()) if predicted.any() else 0.0


def f1_at(scores: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    predicted = scores >= threshold
    return 2 * int((predicted & truth).sum()) / max(1, int(predicted.sum()) + int(truth.sum()))


def flag_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The most F1 among thresholds at least MIN_FLAG_PRECISION precise; NEVER without that evidence."""
    precise = [t for t in np.arange(0.2, 0.96, 0.05).round(2) if precision_at(scores, truth, t) >= MIN_FLAG_PRECISION]
    if int(truth.sum()) < 3 or not precise:
        return NEVER
    return float(max(precise, key=lambda t: f1_at(scores, truth, t)))


def rage_threshold(levels: np.ndarray, truth: np.ndarray, beta: float = RAGE_BETA) -> float:
    """The P(暴怒) threshold with the best F-beta for "is 暴怒" (the level's own argmax counts
    as a hit whatever the threshold): recall first, because every 暴怒 complaint is P1. NEVER
    without three 暴怒 examples to set it on."""
    if int(truth.sum()) < 3:
        return NEVER
    read_as_rage = levels.argmax(1) == 3

    def f_beta(threshold: float) -> float:
        predicted = read_as_rage | (levels[:, 3] >= threshold)
        hits = int((predicted & truth).sum())
        return (1 + beta**2) * hits / max(1, beta**2 * int(truth.sum()) + int(predicted.sum()))

    return float(max(np.arange(0.05, 0.96, 0.05).round(2), key=f_beta))


def fit_flag_wide(net: TriageNet, wide_rows: Sequence[tuple[list[int], list[float]]], examples: Sequence[Example],
                  seed: int) -> dict[str, float]:
    """The flags' n-gram half: per flag a logistic regression on the labelled texts' n-grams
    (a TF-IDF flag classifier). Returns, per flag, the threshold its out-of-fold (5-fold)
    probabilities on the training texts support: the evidence for flags too rare in the
    validation slice to set one there (crisis)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if net.flags_wide is None or net.flags_wide_bias is None:
        return {}
    out_of_fold: dict[str, float] = {}
    rows = [i for i, e in enumerate(examples) if e.flags is not None]
    matrix = sparse_rows([wide_rows[i] for i in rows], net.flags_wide.num_embeddings)
    weight = torch.zeros_like(net.flags_wide.weight)
    bias = torch.full((len(FLAG_LABELS),), -10.0)  # a flag nobody labelled stays off
    for column in range(len(FLAG_LABELS)):
        truth = [column in (examples[i].flags or ()) for i in rows]
        if len(set(truth)) < 2:
            continue
        model = LogisticRegression(max_iter=3000, C=8.0, class_weight="balanced", random_state=seed)
        if sum(truth) >= 5:
            folds = StratifiedKFold(5, shuffle=True, random_state=seed)
            scores = cross_val_predict(model, matrix, truth, cv=folds, method="predict_proba")[:, 1]
            out_of_fold[FLAG_LABELS[column]] = flag_threshold(scores, np.array(truth))
        model.fit(matrix, truth)
        weight[:, column] = torch.from_numpy(model.coef_[0]).float()
        bias[column] = float(model.intercept_[0])
    with torch.no_grad():
        net.flags_wide.weight.copy_(weight)
        net.flags_wide_bias.copy_(bias)
    return out_of_fold


def sparse_rows(rows: Sequence[tuple[list[int], list[float]]], width: int):  # noqa: ANN201  (scipy csr_matrix)
    from scipy.sparse import csr_matrix

    indptr = np.cumsum([0] + [len(indices) for indices, _ in rows])
    data = np.concatenate([w for _, w in rows]) if rows else np.zeros(0)
    columns = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, dtype=int)
    return csr_matrix((data, columns, indptr), shape=(len(rows), width))


@torch.no_grad()
def calibrate(net: TriageNet, batches: Sequence[ValidationBatch], examples: Sequence[Example],
              scales: Sequence[float] = (0.0, 0.25, 0.5, 1.0), out_of_fold: dict[str, float] | None = None) -> dict:
    """On the validation slice: the anger temperature with the lowest log loss; the P(暴怒)
    threshold that makes a complaint P1 though read calmer (recall first); the encoder's
    weight in anger_score with the best calm/upset AUC (ranking; the level keeps its own); the
    deep flag head's weight against the flags' n-gram half with the best mean flag F1; and each
    flag's threshold with the best F1 among those at least MIN_FLAG_PRECISION precise. A flag
    raises priority, so where validation has fewer than three examples of it, or no threshold
    is precise enough, the model never raises it alone (threshold above 1): the rules decide —
    unless the flags' n-gram half alone is used (deep weight 0) and its out-of-fold
    probabilities on the training texts set a threshold (`out_of_fold`)."""
    if not examples:
        return {}
    parts = {"anger_deep": [], "anger_rest": [], "flags_deep": [], "flags_wide": []}
    for ids, mask, wide in batches:
        pooled = net.pooled(ids, mask)
        parts["anger_deep"].append(F.linear(pooled, net.heads["anger"].weight).float())
        parts["anger_rest"].append(net.fixed_logits(pooled, wide)["anger"].float())
        if net.flags is not None:
            parts["flags_deep"].append(net.flags(pooled).float())
            parts["flags_wide"].append(net.wide_flag_logits(pooled, wide).float())
    deep, rest = torch.cat(parts["anger_deep"]), torch.cat(parts["anger_rest"])
    calibration: dict = {}
    rows = [i for i, e in enumerate(examples) if e.anger is not None]
    temperature = 1.0
    if rows:
        level = (rest + net.deep_scale["anger"] * deep)[rows]
        target = torch.tensor([examples[i].anger for i in rows])
        losses = {t: F.cross_entropy(level / t, target).item() for t in np.arange(0.5, 3.01, 0.1).round(2)}
        temperature = calibration["anger_temperature"] = float(min(losses, key=losses.get))
        levels = torch.softmax(level / temperature, dim=-1).numpy()
        calibration["rage_threshold"] = rage_threshold(levels, target.numpy() == 3)
    net.score_scale = _best_score_scale(deep, rest, examples, scales, temperature, net.deep_scale["anger"])
    calibration["score_scale"] = net.score_scale
    if net.flags is None:
        return calibration
    flag_deep, flag_wide = torch.cat(parts["flags_deep"]), torch.cat(parts["flags_wide"])
    rows = [i for i, e in enumerate(examples) if e.flags is not None]
    truth = np.zeros((len(rows), len(FLAG_LABELS)), dtype=bool)
    for row, i in enumerate(rows):
        truth[row, list(examples[i].flags or ())] = True
    trained = bool(net.flags.weight.abs().sum() > 0)
    options = (scales if trained else (0.0,)) if net.flags_wide is not None else (1.0,)
    choices = []
    for scale in options:
        probs = torch.sigmoid(flag_deep * scale + flag_wide).numpy()[rows]
        thresholds = {flag: flag_threshold(probs[:, c], truth[:, c]) for c, flag in enumerate(FLAG_LABELS)}
        if scale == 0 and out_of_fold:  # the n-gram half alone: its out-of-fold evidence counts too
            thresholds |= {flag: t for flag, t in out_of_fold.items()
                           if thresholds[flag] > 1 and int(truth[:, FLAG_LABELS.index(flag)].sum()) < 3}
        quality = np.mean([f1_at(probs[:, c], truth[:, c], thresholds[flag]) if thresholds[flag] <= 1 else 0.0
                           for c, flag in enumerate(FLAG_LABELS)])
        choices.append((quality, scale, thresholds))
    _quality, net.flag_deep_scale, thresholds = max(choices, key=lambda choice: choice[0])
    calibration["flag_deep_scale"] = net.flag_deep_scale
    calibration["flag_thresholds"] = thresholds
    return calibration


def _best_score_scale(deep: torch.Tensor, rest: torch.Tensor, examples: Sequence[Example], scales: Sequence[float],
                      temperature: float, level_scale: float) -> float | None:
    """The encoder weight whose anger_score best separates the validation reviews' calm from
    upset; None when it is the level's own."""
    from sklearn.metrics import roc_auc_score

    rows = [i for i, e in enumerate(examples) if e.negative is not None]
    truth = [examples[i].negative for i in rows]
    if len(set(truth)) < 2:
        return None
    levels = torch.arange(deep.shape[1]).float()

    def auc(scale: float) -> float:
        probs = torch.softmax((rest[rows] + scale * deep[rows]) / temperature, dim=-1)
        return float(roc_auc_score(truth, (probs @ levels).numpy()))

    best = max(scales, key=auc)
    return None if best == level_scale or auc(best) <= auc(level_scale) else float(best)
