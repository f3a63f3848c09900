"""How consistent the gold labels are: a second labeller relabelled 100 gold reviews blind
(`model/data/gold_relabel_100.jsonl`, matched by `gold_index`), and Cohen's kappa between
the two is the ceiling any model's score on this gold set can honestly reach."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from complaint_desk import vocab
from complaint_desk.jsonl import read_jsonl

DATA = Path(__file__).resolve().parent.parent / "model" / "data"
GOLD = DATA / "gold_reviews.jsonl"
RELABEL = DATA / "gold_relabel_100.jsonl"


def cohen_kappa(first: Sequence[object], second: Sequence[object]) -> float:
    total = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / total
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[label] * counts_b[label] for label in set(first) | set(second)) / total / total
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def quadratic_kappa(first: Sequence[int], second: Sequence[int], levels: int) -> float:
    """Weighted kappa for an ordinal scale (anger 0–3): a 0-vs-3 disagreement costs 9× a 0-vs-1."""
    total = len(first)
    weight = [[(i - j) ** 2 / (levels - 1) ** 2 for j in range(levels)] for i in range(levels)]
    seen = Counter(zip(first, second, strict=True))
    rows, columns = Counter(first), Counter(second)
    disagreement = sum(weight[i][j] * seen[(i, j)] for i in range(levels) for j in range(levels))
    chance = sum(weight[i][j] * rows[i] * columns[j] / total for i in range(levels) for j in range(levels))
    return 1 - disagreement / chance if chance else 1.0


def agreement(gold_path: Path = GOLD, relabel_path: Path = RELABEL) -> dict:
    gold = [record.data for record in read_jsonl(gold_path)]
    pairs = [(gold[r.data["gold_index"]], r.data) for r in read_jsonl(relabel_path)]
    for first, second in pairs:
        if first["text"] != second["text"]:
            raise ValueError(f"第 {second['gold_index']} 条的文本与金标不一致")
    report: dict = {"items": len(pairs)}
    for field in ("topic", "persona", "anger"):
        a, b = [p[0][field] for p in pairs], [p[1][field] for p in pairs]
        report[field] = {"agreement": round(sum(x == y for x, y in zip(a, b)) / len(a), 3),
                         "kappa": round(cohen_kappa(a, b), 3)}
    anger_a, anger_b = [p[0]["anger"] for p in pairs], [p[1]["anger"] for p in pairs]
    report["anger"]["within_1"] = round(sum(abs(x - y) <= 1 for x, y in zip(anger_a, anger_b)) / len(pairs), 3)
    report["anger"]["quadratic_kappa"] = round(quadratic_kappa(anger_a, anger_b, len(vocab.ANGER_LEVELS)), 3)
    report["flags"] = {flag: {"gold": sum(flag in g["flags"] for g, _ in pairs),
                              "second": sum(flag in s["flags"] for _, s in pairs),
                              "both": sum(flag in g["flags"] and flag in s["flags"] for g, s in pairs)}
                       for flag in vocab.FLAG_IDS}
    return report


def format_agreement(report: dict) -> str:
    lines = [f"金标一致性：第二位标注者盲标 {report['items']} 条",
             f"  {'字段':<8}{'一致率':>8}{'kappa':>8}"]
    for field in ("topic", "anger", "persona"):
        lines.append(f"  {field:<8}{report[field]['agreement']:>8.3f}{report[field]['kappa']:>8.3f}")
    anger = report["anger"]
    lines.append(f"  怒气相差不超过 1：{anger['within_1']:.3f}；加权 kappa：{anger['quadratic_kappa']:.3f}")
    lines.append("  风险信号（金标 / 第二位 / 都标）：" + "，".join(
        f"{flag} {c['gold']}/{c['second']}/{c['both']}" for flag, c in report["flags"].items() if c["gold"] or c["second"]))
    return "\n".join(lines)
