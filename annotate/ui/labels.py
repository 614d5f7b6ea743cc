"""Human labels for the internal names the pages would otherwise show (column names, measures,
counters), rounding, and the small-sample note: written once, used by every lead and engineer page.

`human(name)` gives a name's label (the map below, else the name with spaces for underscores);
`readable(frame)` is a table ready to show: columns labelled, floats rounded. `sample_note(n)` says
when a figure rests on few items.
"""

from __future__ import annotations

import pandas as pd

SMALL_SAMPLE = 30  # a figure on fewer items than this gets "based on N items"
DIGITS = 2
ROW_HEIGHT, HEADER_HEIGHT, MAX_ROWS = 35, 38, 20  # st.dataframe's pixels

LABELS = {
    # queue and overview counters
    "open_slots": "open slots", "claimed_slots": "claimed", "overdue_slots": "overdue (lease expired)",
    "done_slots": "done", "gold_tasks": "gold tasks", "required_annotations": "answers needed",
    "done_annotations": "answers given", "n_read": "read", "n_ingested": "ingested", "n_present": "already present",
    "n_rejected": "rejected", "started_at": "started", "n_records": "records", "n_tasks": "tasks",
    "n_items": "items", "n_answers": "answers", "task_id": "task", "record_id": "record", "created_at": "created",
    "closed_at": "closed", "opened_at": "opened",
    # agreement measures
    "krippendorff_alpha_nominal": "Krippendorff's alpha (nominal)",
    "krippendorff_alpha_ordinal": "Krippendorff's alpha (ordinal)",
    "text_similarity": "mean text similarity (0 to 1)",
}  # fmt: skip


FIELD_LABELS = {  # the agreement fields (annotate.consensus.agreement.FIELDS and the edit alpha)
    "verdict": "Verdict",
    "failure_category": "Failure categories",
    "severity": "Severity",
    "preference": "Preference",
    "correction": "Corrected text (similarity)",
    "correction_edit": "Needs editing (verdict 'corrected' or not)",
}


def human(name: object) -> str:
    """The label of an internal name."""
    text = str(name)
    return LABELS.get(text, text.replace("_", " "))


def readable(frame: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """The table with human column labels and its float columns rounded to `digits`."""
    floats = frame.select_dtypes("float").columns
    return frame.round({column: digits for column in floats}).rename(columns=human)


def sample_note(n_items: int, what: str = "items") -> str | None:
    """'based on 9 items: read it as a rough sign' when n is small, else None."""
    if n_items >= SMALL_SAMPLE:
        return None
    return f"based on {n_items:,} {what} (under {SMALL_SAMPLE}): read it as a rough sign, not a result"


def table_height(rows: int, max_rows: int = MAX_ROWS) -> int:
    """A dataframe height that shows every row up to `max_rows` (no inner scroll hiding a few)."""
    return HEADER_HEIGHT + ROW_HEIGHT * max(1, min(rows, max_rows))
