"""Sixteen experts in sixteen processes, claiming and submitting at once against one SQLite file."""

import multiprocessing
from collections import Counter

import pytest

from annotate.review.annotators import add_annotator
from annotate.store import Store
from tests.conftest import make_tasks

PROCESSES, TASKS, OVERLAP = 16, 1_000, 2


def annotate_until_empty(db_path: str, email: str, results) -> None:
    """One expert: claim and submit until the queue has nothing left for them; report errors."""
    from annotate.review.claims import next_task, submit

    done, errors = 0, []
    with Store(db_path) as store:
        while True:
            try:
                view = next_task(store, email)
                if view is None:
                    break
                submit(store, view.task_id, email, {"kind": "correction", "verdict": "acceptable", "seconds_spent": 1})
                done += 1
            except Exception as exc:  # the test fails on any error a caller would see
                errors.append(f"{type(exc).__name__}: {exc}")
                break
    results.put((email, done, errors))


@pytest.mark.slow
def test_concurrent_experts_fill_every_slot_exactly_once(store):
    make_tasks(store, TASKS, required=OVERLAP)
    emails = [f"expert{number}@example.com" for number in range(PROCESSES)]
    for email in emails:
        add_annotator(store, email)

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=annotate_until_empty, args=(str(store.path), email, results)) for email in emails]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert [error for _, _, errors in reports for error in errors] == []
    assert sum(done for _, done, _ in reports) == TASKS * OVERLAP
    pairs = [(row["task_id"], row["annotator_id"]) for row in store.db.query("SELECT task_id, annotator_id FROM annotations")]
    assert len(pairs) == len(set(pairs)), "an annotator answered one task twice"
    per_task = Counter(task for task, _ in pairs)
    assert set(per_task.values()) == {OVERLAP} and len(per_task) == TASKS, "a slot was filled twice or not at all"
    counters = next(store.db.query(
        "SELECT SUM(status = 'done') AS done, SUM(active_claims) AS held, SUM(done_annotations) AS answers FROM tasks"
    ))  # fmt: skip
    assert counters == {"done": TASKS, "held": 0, "answers": TASKS * OVERLAP}
    assert next(store.db.query("SELECT COUNT(*) AS n FROM claims WHERE outcome = 'active'"))["n"] == 0
