"""Searching an expert's own work (*My work*) on what the page shows, and saying where it matched.

`where_found(entry, search)` lists, in the order the page shows them, the parts of one answered
task whose shown text holds `search` (case-insensitively): each conversation turn as "turn N of M
(role)" (its text, tool calls with their arguments, tool results, refusals, attachments, as
`annotate.review.steps` makes them steps), then "the model's response" (a correction) or
"response A" / "response B" (a comparison), "your text" and "your rationale". An empty search
finds everything and names nothing. `annotate.review.claims.history` filters with it, so a row
is listed exactly when the page can say where it matched.
"""

from __future__ import annotations

from annotate.review.steps import Step, conversation_turns, response_steps
from annotate.store.rows import HistoryEntry


def where_found(entry: HistoryEntry, search: str) -> list[str]:
    """Where `search` occurs in what the page shows for `entry` (see the module docstring)."""
    needle = search.strip().lower()
    if not needle:
        return []
    return [place for place, steps in shown_parts(entry) if any(needle in text.lower() for text in _texts(steps))]


def shown_parts(entry: HistoryEntry) -> list[tuple[str, tuple[Step, ...]]]:
    """What *My work* shows for one answered task, as (where, steps) in page order."""
    turns = conversation_turns(entry.messages)
    parts = [(f"turn {number} of {len(turns)} ({turn.role})", turn.steps) for number, turn in enumerate(turns, 1)]
    if entry.task_kind == "correction":
        parts.append(("the model's response", response_steps(entry.response_a or "")))
    else:
        parts += [(f"response {side}", response_steps(text or "")) for side, text in (("A", entry.response_a), ("B", entry.response_b))]
    answer = entry.annotation
    if answer.corrected_response:
        parts.append(("your text", response_steps(answer.corrected_response)))
    if answer.rationale:
        parts.append(("your rationale", (Step("text", answer.rationale),)))
    return parts


def _texts(steps: tuple[Step, ...]) -> list[str]:
    return [text for step in steps for text in (step.body, step.heading) if text]
