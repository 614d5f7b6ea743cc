"""Why an expert is looking at a task, in plain words.

Each flagger writes a technical detail ("median similarity 0.31 < 0.55; least similar to
conv-001845", "min token logprob -6.34 < -6.0"). `why_shown(view)` turns a task's flags into
`Reason`s: a headline and a sentence an expert reads at a glance, figures rounded, with the
flagger's detail kept for a collapsed "details" line. A detail in a shape this module does not
know still gets its reason's plain sentence.

Every task has at least one reason. A task nothing flagged (a spot check drawn at random, or a
gold item whose record has no flags) gets the same neutral reason, `QUALITY_CHECK`: true of
both, and the same words, so an expert cannot tell a gold item by a missing box.

On *Compare* each reason names the response it is about, and the end user's feedback is left out
unless `[review] show_feedback_in_compare` is on: knowing the user disliked one answer biases
what should be a blind judgement.

`other_answers(store, task_id, response)` gives the other answers to the same question that an
inconsistency flag compared this one with, masked like the task, to show read-only.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from annotate.records import FlagReason, last_user_turn
from annotate.review.claims import TaskView, task_masker
from annotate.store import Store

REASON_LABELS: dict[FlagReason, str] = {  # keyed by annotate.records.FLAG_REASONS, every one
    "negative_feedback": "The user was unhappy",
    "low_confidence": "The model was unsure",
    "inconsistency": "Answers to the same question differ",
    "format": "The format looks wrong",
    "pii": "Personal data in the response",
    "refusal": "The model refused",
    "tool_call": "A tool call looks wrong",
    "manual": "Flagged by a colleague",
}
GENERIC: dict[FlagReason, str] = {  # the sentence when a detail's shape is not known
    "negative_feedback": "The person who asked gave this answer bad feedback.",
    "low_confidence": "The model was unsure of some of the words it wrote.",
    "inconsistency": "The model answered the same question differently at other times.",
    "format": "The response does not follow the format this project requires.",
    "pii": "The response contains personal data: check that it belongs there.",
    "refusal": "The model declined to answer: check whether it should have.",
    "tool_call": "One of the model's tool calls looks wrong.",
    "manual": "A colleague asked for a closer look at this response.",
}
QUALITY_CHECK = "quality_check"


@dataclass(frozen=True)
class Reason:
    """One reason an expert is shown this task."""

    reason: str  # a flag reason, or QUALITY_CHECK
    headline: str
    sentence: str
    detail: str  # the flagger's own words, for the collapsed details line ("" for the neutral reason)
    response: str = ""  # "A" or "B" on a comparison


NEUTRAL = Reason(
    QUALITY_CHECK, "Picked for a quality check",
    "Nothing in particular flagged this: it was picked to check the quality of recent answers. "
    "Judge it as carefully as any other.", "",
)  # fmt: skip


@dataclass(frozen=True)
class OtherAnswer:
    """Another answer to the same question, shown read-only beside an inconsistency flag."""

    label: str
    question: str
    response: str
    least_similar: bool


def why_shown(view: TaskView, *, show_feedback: bool = True) -> list[Reason]:
    """The task's reasons in plain words (`NEUTRAL` when there are none to show). `show_feedback`
    False leaves out the end user's feedback (on *Compare*, by default)."""
    sides = view.flag_responses or ("",) * len(view.flags)
    reasons = [
        _plain(reason, detail, side)
        for (reason, detail), side in zip(view.flags, sides)
        if show_feedback or reason != "negative_feedback"
    ]
    return reasons or [NEUTRAL]


def other_answers(store: Store, task_id: int, response: str = "") -> list[OtherAnswer]:
    """Other answers to the question the task's record (response "B": its second record) answers,
    as the inconsistency flag found them; masked as the task is shown."""
    task = store.task(task_id)
    record_id = task.record_b_id if response == "B" else task.record_id
    detail = next((flag["detail"] for flag in store.flags_for([record_id]) if flag["reason"] == "inconsistency"), None)
    if detail is None:
        return []
    least = _LEAST.search(detail)
    labels = [label for label in (least and least["label"], _ANCHOR.search(detail) and _ANCHOR.search(detail)["label"]) if label]
    masker = task_masker(store, task_id)
    shown = []
    for row in store.other_answers(record_id, labels):
        label = row["external_id"] or row["id"][:10]
        question = str(last_user_turn(json.loads(row["messages"])) or "")
        if masker is not None:
            question, answer = masker(question), masker(row["response"])
        else:
            answer = row["response"]
        shown.append(OtherAnswer(label, question or "", answer or "", least is not None and least["label"] == label))
    return shown


def _plain(reason: str, detail: str, side: str) -> Reason:
    headline = REASON_LABELS.get(reason, reason.replace("_", " ").capitalize())
    sentence = _SENTENCES.get(reason, lambda _: None)(detail) or GENERIC.get(reason, "")
    return Reason(reason, headline, sentence, detail, side)


_THUMBS = re.compile(r"\bthumbs down\b")
_RATED = re.compile(r"\brated (\d+)/5\b")
_COMPLAINT = re.compile(r"complaint \((?P<word>.*?)\): (?P<comment>.*)$", re.S)


def _feedback(detail: str) -> str | None:
    said = []
    if _THUMBS.search(detail):
        said.append("gave it a thumbs down")
    if rated := _RATED.search(detail):
        said.append(f"rated it {rated[1]} out of 5")
    if complaint := _COMPLAINT.search(detail):
        said.append(f"complained: {complaint['comment']}")
    return f"The person who asked {_joined(said)}." if said else None


_MEAN = re.compile(r"mean token logprob (?P<value>-?[\d.]+) < (?P<limit>-?[\d.]+)")
_MIN = re.compile(r"min token logprob (?P<value>-?[\d.]+) < (?P<limit>-?[\d.]+)")


def _confidence(detail: str) -> str | None:
    said = []
    if low := _MIN.search(detail):
        said.append(f"it gave at least one word a chance of only {_one_in(low['value'])} "
                    f"(words less likely than {_one_in(low['limit'])} are flagged)")  # fmt: skip
    if mean := _MEAN.search(detail):
        said.append(f"on average it gave its words a {_percent(math.exp(float(mean['value'])))} chance "
                    f"(an average under {_percent(math.exp(float(mean['limit'])))} is flagged)")  # fmt: skip
    return f"The model was unsure of some of its words: {'; '.join(said)}. Check those parts closely." if said else None


_SPREAD = re.compile(r"\((?P<n>\d+) answers from this model\): median similarity (?P<typical>[\d.]+) < (?P<limit>[\d.]+)")
_LEAST = re.compile(r"least similar to (?P<label>.+) \((?P<score>[\d.]+)\)$")
_ANCHOR = re.compile(r"similar prompts of (?P<label>.+?) \(\d+ answers")


def _inconsistency(detail: str) -> str | None:
    spread = _SPREAD.search(detail)
    if spread is None:
        return None
    others = int(spread["n"]) - 1
    return (f"The model answered the same question {others} other time{'s' if others != 1 else ''}, and this answer "
            f"agrees with few of them (typical agreement {_percent(float(spread['typical']))}; answers agreeing less "
            f"than {_percent(float(spread['limit']))} are flagged). One of them may be right, or none.")  # fmt: skip


_UNEXPECTED_REFUSAL = re.compile(r"^unexpected refusal \((?P<phrase>.*?)\)(?::|$)")


def _format(detail: str) -> str | None:
    """Each violated validator's problem; a refusal validator's as a refusal (its judgement's figures stay in details)."""
    problems, refused = [], []
    for part in (part.strip() for part in detail.split("; ") if part.strip()):
        problem = part.partition(": ")[2] or part
        if found := _UNEXPECTED_REFUSAL.match(problem):
            refused.append(found["phrase"])
        else:
            problems.append(problem)
    said = [f"The model refused what looks like a fair request, saying {refused[0]}."] if refused else []
    if problems:
        said.append(f"The response does not follow the format this project requires: {'; '.join(problems)}.")
    return " ".join(said) or None


_ENTITY = re.compile(r"\b([A-Z][A-Z_]+) \(")
ENTITY_WORDS = {
    "EMAIL_ADDRESS": "an email address", "PHONE_NUMBER": "a phone number", "CREDIT_CARD": "a card number",
    "US_SSN": "a social security number", "IP_ADDRESS": "an IP address", "IBAN_CODE": "a bank account number (IBAN)",
    "PERSON": "a person's name", "LOCATION": "a place", "US_BANK_NUMBER": "a bank account number",
}  # fmt: skip


def _pii(detail: str) -> str | None:
    kinds = list(dict.fromkeys(ENTITY_WORDS.get(name, name.replace("_", " ").lower()) for name in _ENTITY.findall(detail)))
    if not kinds:
        return None
    return f"The response contains {_joined(kinds)}: check that it belongs there and is the asker's own."


_REFUSED = re.compile(r"refused: (?P<said>.*)$", re.S)


def _refusal(detail: str) -> str | None:
    said = _REFUSED.search(detail)
    if said is None:
        return None
    expected = "looks expected" in detail
    judged = "It looks like a request the model should refuse: confirm it." if expected else "Check whether it should have."
    quoted = said["said"].strip()
    stop = "" if quoted.rstrip('"').endswith((".", "!", "?", "…")) else "."
    return f"The model declined to answer, saying {quoted}{stop} {judged}"


def _tool_call(detail: str) -> str | None:
    first = detail.split("; ")[0].strip()
    if not first:
        return None
    subject = "the model " if first.split()[0] in ("calls", "repeats", "ignores") else ""
    more = detail.count("; ")
    return f"A tool call looks wrong: {subject}{first}" + (f" (and {more} more problem{'s' if more > 1 else ''})." if more else ".")


def _manual(detail: str) -> str | None:
    return f"A colleague asked for a closer look: {detail.strip()}" if detail.strip() else None


_SENTENCES = {
    "negative_feedback": _feedback, "low_confidence": _confidence, "inconsistency": _inconsistency, "format": _format,
    "pii": _pii, "refusal": _refusal, "tool_call": _tool_call, "manual": _manual,
}  # fmt: skip


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _one_in(logprob: str) -> str:
    """A token log-probability as odds a person reads: "1 in 570" (two significant figures)."""
    odds = math.exp(-float(logprob))
    return f"1 in {float(f'{odds:.2g}'):,.0f}"


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
