"""The model card written beside a trained triage checkpoint."""

from __future__ import annotations

import json
from pathlib import Path


def write_model_card(directory: Path, meta: dict, metrics: dict) -> Path:
    """A model card beside the weights: data, sizes, metrics and how to reproduce."""
    cfg = meta["train_config"]
    lines = [
        "# 分诊模型 · triage model card",
        "",
        "Multi-task classifier for SPEC's `anger` (0..3 + score), `topic` and `persona`.",
        "Flags, priority, reason and department are explainable rules on top (complaint_desk/triage/flags.py, complaint_desk/triage/priority.py).",
        "",
        "## Architecture",
        f"- encoder: {cfg['base'] or 'BERT trained from scratch (character-level WordPiece)'}; "
        f"hidden {cfg['hidden_size']}, {cfg['layers']} layers, {cfg['heads']} heads, max length {cfg['max_length']}",
        f"- parameters: {meta['parameters']:,}; stored as float16 safetensors",
        "- heads: mean pooling → linear per label family (\"deep\"), plus a linear layer over TF-IDF character",
        "  1–3-grams (\"wide\"); the two logits are summed. The wide half is warm-started with per-head logistic",
        "  regressions (anger: calm vs upset from every training review) and kept fixed while the encoder learns.",
        "- anger_score = expected anger level / 3",
        "- model selection: one example in ten (by text hash; labelled complaints and training-side reviews) is held",
        "  back as validation. After the warm start (epoch 0) and after each epoch, each head's deep logits are",
        "  weighed 0 / 0.25 / 0.5 / 1 against the wide half; the epoch with the best sum of validation topic and",
        "  persona macro-F1, anger exact and calm/upset AUC is kept with each head's best weight.",
        f"  Chosen: {json.dumps(meta['finetuning'].get('selection', {}).get('chosen'), ensure_ascii=False)}",
        "",
        "## Data",
        f"- pretraining: {json.dumps(meta['pretraining'], ensure_ascii=False)}",
        f"- fine-tuning: {json.dumps({k: v for k, v in meta['finetuning'].items() if k != 'selection'}, ensure_ascii=False)}",
        "- the held-out 20% of the real reviews (hash split in model/reviews.py) and the gold set are never used",
        "",
        "## Metrics (complaint-desk eval triage)",
        "```json",
        json.dumps(metrics, ensure_ascii=False, indent=2),
        "```",
        "",
        "## Reproduce",
        "```bash",
        *(["complaint-desk train export-embeddings qwen2.5-coder-1.5b-instruct-q4_k_m.gguf "
           f"-o {cfg['embedding_init']}"] if str(cfg.get("embedding_init") or "").endswith(".safetensors") else []),
        f"complaint-desk train triage --output model/checkpoints/triage --seed {cfg['seed']} "
        f"--mlm-epochs {cfg['mlm_epochs']} --epochs {cfg['epochs']} --device {cfg['device']}"
        + (f" --embedding-init {cfg['embedding_init']}" if cfg.get("embedding_init") else ""),
        "```",
        *(["The character embeddings start from the eval LLM's token embeddings (per vocabulary entry, PCA to our "
           "width); get the .gguf with ../shared/tools/fetch-eval-llm.sh. `export-embeddings` writes them to a 5 MB "
           "file so training can run on a machine the 1 GB model cannot reach."] if cfg.get("embedding_init") else []),
        f"Training took {meta['train_seconds']} s on {cfg['device']}. It runs on CPU too, slowly: on 2 cores, 5 MLM + "
        "4 fine-tuning epochs took 3,312 s (`--mlm-epochs 5 --epochs 4`, a weaker encoder).",
        "",
        "## Limits",
        "- Trained on team-written complaints and labelled food-delivery/hotel reviews: other industries' wording",
        "  (banking, telecom, utilities) is only seen in the written complaints.",
        "- Topics that are rare in real reviews (account, misleading, refund, inquiry) have few real examples;",
        "  the gold set's macro-F1 is dominated by how those few are handled.",
        "- Flags are rules (complaint_desk/triage/flags.py), not learned: phrasings outside their patterns are missed.",
    ]
    path = directory / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
