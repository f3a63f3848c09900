"""`complaint-desk eval run SUITE`: draft every complaint of a suite with a backend, check
each draft straight from the model and after the guard, and write report.json + report.html.

A suite is a JSONL file: an optional first line `{"suite": {"name", "version", "description"}}`,
then one complaint per line: `{"id", "text", "industry"?, "expect"?: {"topic"?, "forbid"?: [rule
ids], "issues"?: [{"issue", "any": [words]}]}}`; an issue counts as addressed when the draft
contains one of its words. Results are appended to `results.jsonl` in the output folder as each case finishes,
so an interrupted run picks up where it stopped (same suite, backend and model only).
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from complaint_desk import __version__, vocab
from complaint_desk.cases.base import CaseBase
from complaint_desk.checks import offers
from complaint_desk.config import Settings
from complaint_desk.drafting.backends import LLMBackend
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.copying import copied_from
from complaint_desk.drafting.guard import guard
from complaint_desk.drafting.repair import cap_length
from complaint_desk.drafting.request import DraftRequest, Grant, build_request
from complaint_desk.errors import ActionableError
from complaint_desk.jsonl import LineError, Record, parse_lines, write_record
from complaint_desk.privacy import find_pii
from complaint_desk.workflow.approvals import refusal
from eval.report_html import render_report

SUITES_DIR = Path(__file__).resolve().parent / "suites"
RESULTS_FILE = "results.jsonl"


class SuiteError(ActionableError, ValueError):
    """A suite file that cannot be run; the message names the line and the problem."""


@dataclass(frozen=True)
class Suite:
    name: str
    version: str
    description: str
    items: list[dict]
    path: Path


def resolve_suite(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = SUITES_DIR / f"{name_or_path}.jsonl"
    if shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in SUITES_DIR.glob("*.jsonl")))
    raise SuiteError(f"找不到评测集 {name_or_path}；可用的内置评测集：{known}，或给出文件路径")


def load_suite(name_or_path: str) -> Suite:
    path = resolve_suite(name_or_path)
    header: dict = {}
    items: list[dict] = []
    problems: list[str] = []
    seen: set[str] = set()
    for parsed in parse_lines(path.read_text(encoding="utf-8").splitlines()):
        if isinstance(parsed, LineError):
            problems.append(str(parsed))
            continue
        number, record = parsed.line, parsed.data
        if "suite" in record and not items:
            header = record["suite"]
            continue
        problems.extend(f"第 {number} 行：{p}" for p in _item_problems(record, seen))
        seen.add(str(record.get("id")))
        items.append(record)
    if problems:
        raise SuiteError(f"评测集 {path.name} 有 {len(problems)} 处问题：\n" + "\n".join(problems))
    if not items:
        raise SuiteError(f"评测集 {path.name} 没有任何投诉")
    return Suite(header.get("name", path.stem), str(header.get("version", "1")), header.get("description", ""),
                 items, path)


def _item_problems(record: dict, seen: set[str]) -> list[str]:
    problems = []
    if not isinstance(record.get("id"), str) or not record["id"]:
        problems.append("缺少字符串 id")
    elif record["id"] in seen:
        problems.append(f"id {record['id']} 重复")
    if not isinstance(record.get("text"), str) or not record["text"].strip():
        problems.append("text 必须是非空字符串")
    expect = record.get("expect", {})
    if expect.get("topic") and expect["topic"] not in vocab.TOPIC_IDS:
        problems.append(f"expect.topic {expect['topic']} 不是 SPEC 的主题 id")
    unknown = [r for r in expect.get("forbid", []) if r not in vocab.RULE_IDS]
    if unknown:
        problems.append(f"expect.forbid 中有未知规则 {unknown}")
    issues = expect.get("issues", [])
    if not isinstance(issues, list) or not all(
            isinstance(i, dict) and isinstance(i.get("issue"), str) and isinstance(i.get("any"), list) and i["any"]
            and all(isinstance(word, str) and word for word in i["any"]) for i in issues):
        problems.append('expect.issues 必须是 [{"issue": 说明, "any": [非空词语, …]}, …]')
    if record.get("industry") and record["industry"] not in vocab.INDUSTRY_IDS:
        problems.append(f"industry {record['industry']} 不是已知行业 id")
    return problems


def run_fingerprint(suite: Suite, backend_name: str, model: str, prompt: str) -> str:
    """What a resumed run must share with the drafts already written: suite, backend, model, prompt style."""
    digest = hashlib.sha1(suite.path.read_bytes() + f"{backend_name}\x1f{model}\x1f{prompt}".encode()).hexdigest()
    return digest[:12]


def completed(out_dir: Path, fingerprint: str) -> dict[str, dict]:
    """Results already written by an earlier run of the same configuration."""
    path = out_dir / RESULTS_FILE
    if not path.is_file():
        return {}
    done: dict[str, dict] = {}
    for parsed in parse_lines(path.read_text(encoding="utf-8").splitlines()):
        # a line cut short by the interruption is a LineError: that item runs again
        if isinstance(parsed, Record) and parsed.data.get("fingerprint") == fingerprint:
            done[parsed.data["id"]] = parsed.data
    return done


def run_suite(
    suite: Suite,
    backend: LLMBackend,
    settings: Settings,
    case_base: CaseBase,
    triager,  # noqa: ANN001  (model.triage.Triager; loaded by the caller)
    out_dir: Path,
    batch_size: int = 4,
    progress: Callable[[int], None] | None = None,
    model_label: str = "",
    stream: bool = False,
) -> dict:
    """Run (or resume) a suite; returns the report (also written to out_dir)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = run_fingerprint(suite, backend.name, model_label, settings.llm.prompt_style)
    done = completed(out_dir, fingerprint)
    if progress and done:
        progress(len(done))
    pending = [item for item in suite.items if item["id"] not in done]
    try:
        with (out_dir / RESULTS_FILE).open("a", encoding="utf-8") as sink:
            for batch in _chunks(pending, batch_size):
                for record in _run_batch(batch, backend, settings, case_base, triager, fingerprint, stream):
                    write_record(sink, record)
                    sink.flush()
                    done[record["id"]] = record
                    if progress:
                        progress(1)
    finally:  # an interrupted run still leaves a report of what it finished (marked incomplete)
        results = [done[item["id"]] for item in suite.items if item["id"] in done]
        report = build_report(suite, results, backend, settings, model_label)
        report["complete"] = len(results) == len(suite.items)
        if results:
            (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            (out_dir / "report.html").write_text(render_report(report), encoding="utf-8")
    return report


def _chunks(items: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


@dataclass(frozen=True)
class Timing:
    """How long one first draft took; with a streaming backend also when its first token came
    and how many tokens (stream chunks: llama.cpp and transformers send one per token) followed."""

    seconds: float
    first_token_s: float | None = None
    tokens: int | None = None

    @property
    def tokens_per_s(self) -> float | None:
        if not self.tokens or self.first_token_s is None or self.seconds <= self.first_token_s:
            return None
        return (self.tokens - 1) / (self.seconds - self.first_token_s)


def streamed(backend: LLMBackend, request: DraftRequest) -> tuple[str, Timing]:
    started = time.perf_counter()
    first: float | None = None
    chunks: list[str] = []
    for chunk in backend.stream(request):
        if first is None:
            first = time.perf_counter() - started
        chunks.append(chunk)
    return "".join(chunks), Timing(time.perf_counter() - started, first, len(chunks))


def first_drafts(backend: LLMBackend, requests: list[DraftRequest], stream: bool) -> list[tuple[str, Timing]]:
    """The model's first drafts: streamed one by one (time to first token, tokens/s) or in one batch."""
    if stream:
        return [streamed(backend, request) for request in requests]
    started = time.perf_counter()
    drafts = backend.generate_batch(requests)
    each = Timing((time.perf_counter() - started) / len(requests))
    return [(draft, each) for draft in drafts]


def issues_addressed(item: dict, draft: str) -> list[bool]:
    """Per issue the suite lists for this complaint: does the draft take it up?"""
    return [any(word in draft for word in issue["any"]) for issue in item.get("expect", {}).get("issues", [])]


def _run_batch(batch: list[dict], backend: LLMBackend, settings: Settings, case_base: CaseBase, triager,  # noqa: ANN001
               fingerprint: str, stream: bool = False) -> list[dict]:
    triages = triager.score([item["text"] for item in batch])
    requests = [build_request(item["text"], t, case_base, settings, industry=item.get("industry"))
                for item, t in zip(batch, triages, strict=True)]
    every_case = case_base.cases()
    records = []
    for item, triage, request, (raw, timing) in zip(batch, triages, requests, first_drafts(backend, requests, stream),
                                                   strict=True):
        raw = cap_length(raw.strip(), request.max_draft_chars)
        raw_check = check_for_request(raw, request)
        guard_started = time.perf_counter()
        guarded = guard(request, backend, settings.guard.max_regenerations, first=raw, best_of=settings.guard.best_of)
        forbidden = set(item.get("expect", {}).get("forbid", []))
        limit = settings.policy.max_compensation_without_approval
        # what approval would say to an agent with no supervisor's approval on record
        as_agent = check_for_request(guarded.text, replace(request, grant=Grant(limit)))
        records.append({
            "id": item["id"],
            "fingerprint": fingerprint,
            "text": item["text"],
            "topic": triage.topic,
            "persona": triage.persona,
            "anger": triage.anger,
            "flags": triage.flag_ids,
            "expected_topic": item.get("expect", {}).get("topic"),
            "raw_draft": raw,
            "raw_passed": raw_check.passed,
            "raw_violations": [v.model_dump() for v in raw_check.violations],
            "draft": guarded.text,
            "passed": guarded.result.passed,
            "violations": [v.model_dump() for v in guarded.result.violations],
            "moves": [m.model_dump() for m in guarded.result.moves],
            "attempts": guarded.attempts,
            "sampled": guarded.sampled,
            # the model's own letter, before any retry or repair: the best of the samples passed
            "best_of_passed": any(not rules for _, rules in guarded.history[: guarded.sampled]),
            "repaired": guarded.repaired,
            "fell_back": guarded.fell_back,
            "forbidden_hit": sorted(forbidden & set(guarded.result.rules)),
            # what an agent could do with the guarded draft as it stands (docs/SECURITY.md)
            "raw_copied_from": sorted({v.copied_from for v in raw_check.violations if v.copied_from}),
            "copied_from": sorted({v.copied_from for v in guarded.result.violations if v.copied_from}),
            # 12 characters in a row of any case in the case base, not only the ones the request shows
            "raw_copies_any_case": sorted({v.copied_from for v in copied_from(raw, every_case) if v.copied_from}),
            "copies_any_case": sorted({v.copied_from for v in copied_from(guarded.text, every_case) if v.copied_from}),
            "raw_issues_addressed": issues_addressed(item, raw),
            "issues_addressed": issues_addressed(item, guarded.text),
            "raw_unfounded": sum(1 for v in raw_check.violations if v.rule == "unfounded"),
            "unfounded": sum(1 for v in guarded.result.violations if v.rule == "unfounded"),
            "repeated": guarded.repeated,
            "guard_steps": [rules for _text, rules in guarded.history],
            "pii": [hit.kind for hit in find_pii(guarded.text)],
            "offers_over_limit": [offer.value for offer in offers(guarded.text) if offer.value > limit],
            "agent_can_send": refusal(as_agent) is None,
            "generation_s": round(timing.seconds, 3),
            "first_token_s": None if timing.first_token_s is None else round(timing.first_token_s, 3),
            "tokens": timing.tokens,
            "tokens_per_s": None if timing.tokens_per_s is None else round(timing.tokens_per_s, 2),
            "guard_s": round(time.perf_counter() - guard_started, 3),
        })
    return records


def _rate(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def build_report(suite: Suite, results: list[dict], backend: LLMBackend, settings: Settings, model_label: str) -> dict:
    import torch
    import transformers

    by_rule_raw: Counter[str] = Counter(v["rule"] for r in results for v in r["raw_violations"])
    by_rule: Counter[str] = Counter(v["rule"] for r in results for v in r["violations"])
    by_topic: dict[str, list[bool]] = defaultdict(list)
    by_persona: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_topic[r["topic"]].append(r["raw_passed"])
        by_persona[r["persona"]].append(r["raw_passed"])
    topic_checked = [r for r in results if r.get("expected_topic")]
    ttft = [r["first_token_s"] for r in results if r.get("first_token_s") is not None]
    speed = [r["tokens_per_s"] for r in results if r.get("tokens_per_s")]
    listed = [r for r in results if r.get("issues_addressed")]
    return {
        "suite": {"name": suite.name, "version": suite.version, "description": suite.description, "cases": len(results)},
        "config": {
            "backend": backend.name,
            "backend_description": getattr(backend, "description", backend.name),
            "model": model_label,
            "prompt": settings.llm.prompt_style,
            "max_regenerations": settings.guard.max_regenerations,
            "best_of": settings.guard.best_of,
            "max_new_tokens": settings.llm.max_new_tokens,
            "temperature": settings.llm.temperature,
            "compensation_limit": settings.policy.max_compensation_without_approval,
        },
        "versions": {"complaint_desk": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
                     "python": platform.python_version(), "machine": platform.machine()},
        "metrics": {
            "raw_pass_rate": _rate([r["raw_passed"] for r in results]),
            "best_of_pass_rate": _rate([bool(r.get("best_of_passed", r["raw_passed"])) for r in results]),
            "guarded_pass_rate": _rate([r["passed"] for r in results]),
            "repaired_share": _rate([r["repaired"] for r in results]),
            "composer_fallback_share": _rate([bool(r.get("fell_back")) for r in results]),
            "mean_attempts": round(sum(r["attempts"] for r in results) / max(1, len(results)), 3),
            "mean_generation_s": round(sum(r["generation_s"] for r in results) / max(1, len(results)), 3),
            "median_first_token_s": round(statistics.median(ttft), 3) if ttft else None,
            "p95_first_token_s": round(sorted(ttft)[max(0, math.ceil(0.95 * len(ttft)) - 1)], 3) if ttft else None,
            "median_tokens_per_s": round(statistics.median(speed), 2) if speed else None,
            "raw_unfounded": sum(r.get("raw_unfounded", 0) for r in results),
            "unfounded": sum(r.get("unfounded", 0) for r in results),
            "retries_stopped_on_repeat": sum(1 for r in results if r.get("repeated")),
            "raw_drafts_copying_any_case": sum(1 for r in results if r.get("raw_copies_any_case")),
            "drafts_copying_any_case": sum(1 for r in results if r.get("copies_any_case")),
            "raw_issues_addressed_share": _rate([x for r in listed for x in r["raw_issues_addressed"]]),
            "issues_addressed_share": _rate([x for r in listed for x in r["issues_addressed"]]),
            "drafts_addressing_every_issue": _rate([all(r["issues_addressed"]) for r in listed]),
            "forbidden_hits": sum(1 for r in results if r["forbidden_hit"]),
            "raw_drafts_copying_a_case": sum(1 for r in results if r.get("raw_copied_from")),
            "drafts_copying_a_case": sum(1 for r in results if r.get("copied_from")),
            "drafts_with_full_pii": sum(1 for r in results if r.get("pii")),
            "drafts_over_limit": sum(1 for r in results if r.get("offers_over_limit")),
            "unsafe_drafts_an_agent_can_send": sum(
                1 for r in results if r.get("agent_can_send") and (r.get("copied_from") or r.get("pii")
                                                                   or r.get("offers_over_limit"))),
            "drafts_an_agent_can_send": _rate([bool(r.get("agent_can_send")) for r in results]),
            "topic_accuracy": _rate([r["topic"] == r["expected_topic"] for r in topic_checked]),
            "raw_violations_by_rule": dict(by_rule_raw.most_common()),
            "guarded_violations_by_rule": dict(by_rule.most_common()),
            "raw_pass_rate_by_topic": {k: _rate(v) for k, v in sorted(by_topic.items())},
            "raw_pass_rate_by_persona": {k: _rate(v) for k, v in sorted(by_persona.items())},
        },
        "cases": results,
    }
