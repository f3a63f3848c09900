"""The guard around every model: check, regenerate with feedback, repair, mark.

1. the backend writes a draft (capped in length); with `best_of` N > 1 it samples up to N
   drafts (more only while none passes) and the checks pick the best: choose, don't patch;
2. the draft checks run; on violations the backend samples again (a new seed) told which
   rules failed, without being shown its failed draft, a bounded number of times, stopping
   early when it gives back a draft it wrote before;
3. what still fails is repaired inside its own sentences where the rule has an approved
   alternative (the offending clause replaced, markdown stripped, personal numbers masked);
4. a draft still wrong (a missing step, facts before feelings, a pasted case, an unfounded
   claim) is replaced whole by the composer's, following the same plan, and marked so;
   only an amount above the sender's limit is left marked for the approval flow.
Nothing is ever sent here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from complaint_desk.domain import CheckResult
from complaint_desk.drafting.backends import LLMBackend
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.composer import compose
from complaint_desk.drafting.repair import cap_length, repair
from complaint_desk.drafting.request import DraftRequest


@dataclass
class GuardedDraft:
    text: str
    result: CheckResult
    backend: str
    first_draft: str
    attempts: int = 1
    repaired: bool = False
    fell_back: bool = False  # the model's draft could not be made sound: the composer wrote this one
    repeated: bool = False  # a retry gave back an earlier draft word for word, so retrying stopped
    sampled: int = 1  # drafts sampled before the checks chose one (best_of)
    history: list[tuple[str, list[str]]] = field(default_factory=list)


def _flaws(result: CheckResult) -> tuple[bool, int, int]:
    """Sort key of a sample: passing first, then fewest flaws only the composer can mend, then fewest flaws."""
    return not result.passed, sum(v.amount is None for v in result.violations), len(result.violations)


def best_sample(request: DraftRequest, backend: LLMBackend, best_of: int,
                first: str | None = None) -> tuple[str, CheckResult, int, list[tuple[str, list[str]]]]:
    """The first draft, or while it fails up to `best_of` samples (each at its own seed, in one
    batch where the backend batches), and the one the checks like best; with every sample's rules."""
    def checked(draft: str) -> tuple[str, CheckResult]:
        text = cap_length(draft.strip(), request.max_draft_chars)
        return text, check_for_request(text, request)

    samples = [checked(first if first is not None else backend.generate(request))]
    wanted = 1 if backend.name == "composer" else best_of  # the composer writes one letter, always the same
    if wanted > 1 and not samples[0][1].passed:
        samples += map(checked, backend.generate_batch([replace(request, attempt=n) for n in range(1, wanted)]))
    text, result = min(samples, key=lambda pair: _flaws(pair[1]))  # min is stable: the earliest of equals
    return text, result, len(samples), [(t, r.rules) for t, r in samples]


def guard(request: DraftRequest, backend: LLMBackend, max_regenerations: int, first: str | None = None,
          best_of: int = 1) -> GuardedDraft:
    """Draft (the best of `best_of` samples), check, regenerate with feedback, repair; `first` is a
    draft already generated (streamed)."""
    text, result, sampled, history = best_sample(request, backend, best_of, first)
    outcome = GuardedDraft(text=text, result=result, backend=backend.name, first_draft=history[0][0],
                           attempts=sampled, sampled=sampled, history=history)
    retry = replace(request, attempt=sampled - 1)  # retries sample at seeds the samples did not use
    while not outcome.result.passed and outcome.attempts - sampled < max_regenerations and backend.name != "composer":
        retry = retry.with_feedback(outcome.result.violations)  # a new sample, told what failed, not shown it
        text = cap_length(backend.generate(retry).strip(), request.max_draft_chars)
        outcome.attempts += 1
        if any(text == earlier for earlier, _ in outcome.history):
            outcome.repeated = True
            break  # the model gives the same draft again: more tries only cost time
        outcome.text, outcome.result = text, check_for_request(text, request)
        outcome.history.append((outcome.text, outcome.result.rules))
    # another customer's case pasted in is not mended by cutting clauses: the letter around it
    # was written for that customer, so the composer writes the whole draft instead (below)
    if not outcome.result.passed and not any(v.copied_from for v in outcome.result.violations):
        # wording is mended in place; a letter missing a step or in the wrong order is not
        # stitched with borrowed sentences (it reads stitched): the composer rewrites it below
        outcome.text = repair(outcome.text, outcome.result, request, structural=False)
        outcome.result = check_for_request(outcome.text, request)
        outcome.repaired = True
        outcome.history.append((outcome.text, outcome.result.rules))
    if any(v.amount is None for v in outcome.result.violations):
        # still broken after regenerating and repairing (another customer's case pasted in,
        # a phrasing no clause swap can mend): the whole draft comes from the composer
        outcome.text = compose(request)
        outcome.result = check_for_request(outcome.text, request)
        outcome.fell_back = True
        outcome.history.append((outcome.text, outcome.result.rules))
    return outcome


@dataclass(frozen=True)
class StreamEvent:
    """A step of a streamed draft: growing text, then the guarded result."""

    text: str
    done: bool = False
    outcome: GuardedDraft | None = None
    status: str = ""


def guard_stream(request: DraftRequest, backend: LLMBackend, max_regenerations: int,
                 best_of: int = 1) -> Iterator[StreamEvent]:
    """Stream the first draft as it is written, then guard it and yield the final result."""
    text = ""
    for chunk in backend.stream(request):
        text += chunk
        yield StreamEvent(text=text, status="正在生成草稿…")
        if len(text) > request.max_draft_chars * 2:
            break
    first = check_for_request(cap_length(text.strip(), request.max_draft_chars), request)
    if not first.passed:
        status = f"草稿未通过检查，正在另外采样 {best_of - 1} 份挑选…" if best_of > 1 and backend.name != "composer" \
            else "草稿未通过检查，正在修改…"
        yield StreamEvent(text=text, status=status)
    outcome = guard(request, backend, max_regenerations, first=text, best_of=best_of)
    yield StreamEvent(text=outcome.text, done=True, outcome=outcome, status="")

