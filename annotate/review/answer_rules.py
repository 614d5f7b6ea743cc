"""What an answer must hold, wherever it is written, and the care checks around accepting.

One rule set for every way an answer comes in: the review app's submit, *My work* edits, a lead's
decision, `flywheel annotations import` (all through `annotate.review.claims.validate_task_answer`)
and `flywheel ls pull` (`answer_problems`). An answer is refused, with every reason, when:

- its verdict or judgment lacks what the project's rule for it requires (`[review.rules.<verdict>]`:
  `require`, every field; `require_one_of`, at least one; fields `categories`, `severity`,
  `rationale`; by default "corrected" needs a category and a severity, "unusable" a rationale or a
  category). A lead's decision counts its reason as a rationale;
- it is "corrected" but its text is the model's (`same_response`: JSON spacing in calls aside);
- its written response (corrected or better) fails a format validator (`[[validators]]`) that
  applies under the task's system prompt: the export's format gate would drop it later.

Care checks for the review app (the app asks; nothing is refused here):
- `to_confirm(flags, settings)`: what an expert must confirm before accepting a response flagged
  for personal data or a refusal (`[review] confirm_accept_flags`);
- `pace_notice(store, annotator)`: a gentle word after `fast_accept_streak` flagged responses in a
  row accepted each in under `fast_accept_seconds`, computed from the stored answers.

The project's settings reach the domain through the store (`annotate.project.Project.open_store`
saves them, as it does the taxonomy); a bare database has the defaults and no validators.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import TypeAdapter

from annotate.config import FormatValidator, RefusalValidator, ReviewSettings
from annotate.errors import ReviewError
from annotate.records import CorrectionAnswer, PreferenceAnswer, last_user_turn, system_prompt
from annotate.review.annotators import active_annotator
from annotate.review.tool_answers import same_response
from annotate.store import Store
from annotate.text.formats import FormatCheck

SETTING = "review_rules"  # store setting: ReviewSettings as a dict
FORMAT_SETTING = "format_validators"  # store setting: {"root": project folder, "validators": [...]}
FIELD_WORDS = {"categories": "a failure category", "severity": "a severity", "rationale": "a rationale"}
_VALIDATORS = TypeAdapter(list[FormatValidator])

Answer = CorrectionAnswer | PreferenceAnswer


def review_settings(store: Store) -> ReviewSettings:
    """The project's `[review]` settings the store was last opened with (the defaults on a bare database)."""
    saved = store.setting(SETTING)
    return ReviewSettings.model_validate(saved) if saved else ReviewSettings()


def format_setting(validators: list[FormatValidator], project_root: Path) -> dict:
    """The store setting that carries the project's validators to the domain."""
    return {"root": str(project_root), "validators": [validator.model_dump(mode="json") for validator in validators]}


def format_check(store: Store) -> FormatCheck | None:
    """The project's validators, ready to check texts (None on a bare database or with none)."""
    saved = store.setting(FORMAT_SETTING)
    if not saved or not saved.get("validators"):
        return None
    return _check(json.dumps(saved, sort_keys=True))


@lru_cache(maxsize=8)
def _check(saved: str) -> FormatCheck:
    data = json.loads(saved)
    return FormatCheck(_VALIDATORS.validate_python(data["validators"]), Path(data["root"]))


def written_text(answer: Answer) -> str | None:
    return answer.corrected_response if isinstance(answer, CorrectionAnswer) else answer.better_response


def rule_problems(answer: Answer, settings: ReviewSettings, model_response: str | None, reason: str | None = None) -> list[str]:
    """What the answer lacks under its verdict's (or judgment's) rule, and a "corrected" text that is the model's."""
    outcome = answer.verdict if isinstance(answer, CorrectionAnswer) else answer.choice
    rule = getattr(settings.rules, outcome)
    given = {"categories": bool(answer.failure_categories), "severity": answer.severity is not None,
             "rationale": bool((answer.rationale or "").strip() or (reason or "").strip())}  # fmt: skip
    problems = []
    missing = [field for field in rule.require if not given[field]]
    if missing:
        problems.append(f"{_article(outcome)} {outcome!r} answer needs {_words(missing, 'and')}")
    if rule.require_one_of and not any(given[field] for field in rule.require_one_of):
        problems.append(f"{_article(outcome)} {outcome!r} answer needs {_words(rule.require_one_of, 'or')}")
    if isinstance(answer, CorrectionAnswer) and answer.verdict == "corrected" and same_response(answer.corrected_response, model_response):
        problems.append("the corrected response is the model's own: edit it, or choose 'acceptable'")
    return problems


def format_problems(check: FormatCheck | None, text: str | None, messages: list[dict],
                    only: list[str] | None = None) -> list[tuple[str, str]]:  # fmt: skip
    """(validator name, what is wrong) for each validator that applies under the conversation's
    system prompt (of those named in `only`, when given) and that `text` fails; [] without a text or validators."""
    if check is None or not text:
        return []
    problems = check.problems(text, system_prompt(messages), last_user_turn(messages), only=only)
    return [(validator.name, problem) for validator, problem in problems]


def applicable_validators(check: FormatCheck | None, messages: list[dict]) -> list[str]:
    """The names of the validators that apply to this conversation, besides the refusal check
    every conversation gets: what the Correct page checks live as the expert edits."""
    if check is None:
        return []
    return [validator.name for validator in check.applicable(system_prompt(messages))
            if not (isinstance(validator, RefusalValidator) and not validator.when_system_contains)]  # fmt: skip


def answer_problems(store: Store, record_ids: list[str | None], answer: Answer, reason: str | None = None) -> list[str]:
    """Every rule the answer breaks for a task showing these records (the first one's conversation
    and response are the model's); `reason`, a lead's reason, counts as a rationale."""
    records = store.records_by_id([record_id for record_id in record_ids if record_id])
    first = records.get(record_ids[0]) or {}
    problems = rule_problems(answer, review_settings(store), first.get("response"), reason)
    field = "corrected_response" if isinstance(answer, CorrectionAnswer) else "better_response"
    problems += [f"{field} fails the format check {name}: {problem}"
                 for name, problem in format_problems(format_check(store), written_text(answer), first.get("messages") or [])]  # fmt: skip
    return problems


def check_answer_rules(store: Store, record_ids: list[str | None], answer: Answer, reason: str | None = None) -> None:
    """`ReviewError` naming every rule the answer breaks (see `answer_problems`)."""
    problems = answer_problems(store, record_ids, answer, reason)
    if problems:
        raise ReviewError("; ".join(problems))


def to_confirm(flags: list[tuple[str, str]], settings: ReviewSettings, store: Store | None = None) -> list[str]:
    """The flag reasons an expert must confirm having checked before accepting the response: those
    in `confirm_accept_flags`, and "refusal" also for a format flag from a refusal validator."""
    wanted = set(settings.confirm_accept_flags)
    refusal_names = _refusal_validator_names(store) if "refusal" in wanted and store is not None else []
    found = []
    for reason, detail in flags:
        if reason == "format" and any(f"{name}: " in (detail or "") for name in refusal_names):
            reason = "refusal"
        if reason in wanted and reason not in found:
            found.append(reason)
    return found


def _refusal_validator_names(store: Store) -> list[str]:
    check = format_check(store)
    return [validator.name for validator, _ in check.checks if isinstance(validator, RefusalValidator)] if check else []


def pace_notice(store: Store, annotator: str) -> str | None:
    """A gentle notice when the annotator's last `fast_accept_streak` answers in the app each
    accepted a flagged response in under `fast_accept_seconds` (None otherwise, or when off)."""
    settings = review_settings(store)
    if not settings.fast_accept_seconds:
        return None
    person = active_annotator(store, annotator)
    recent = store.recent_app_answers(person["id"], settings.fast_accept_streak)
    fast = [row for row in recent if row["kind"] == "correction" and row["verdict"] == "acceptable" and row["flag_reasons"]
            and row["seconds_spent"] is not None and row["seconds_spent"] < settings.fast_accept_seconds]  # fmt: skip
    if len(recent) < settings.fast_accept_streak or len(fast) < len(recent):
        return None
    return (f"You accepted {len(fast)} flagged responses in a row in under {settings.fast_accept_seconds:g} s each: "
            "take a closer look at the next one.")  # fmt: skip


def _words(fields: list[str], joiner: str) -> str:
    words = [FIELD_WORDS[field] for field in fields]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {joiner} " + words[-1]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
