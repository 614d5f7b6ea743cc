"""`flywheel select --weights learned`: flag weights fitted to the experts' verdicts so far,
printed beside the configured ones, refused while the verdicts are too few."""

from __future__ import annotations

import pytest

from annotate.errors import SelectionError
from annotate.tasks.learned_weights import MIN_JUDGED, learn_weights
from annotate.tasks.selection import select_tasks
from tests.test_flag_precision import answer, experts, flagged_tasks  # noqa: F401 (experts is a fixture)


def _experts_confirm_feedback_and_reject_format(store, n=20):
    """n records flagged for negative feedback, all corrected; n flagged for format, all fine."""
    for task_id in flagged_tasks(store, n, {"negative_feedback": 0.5}):
        answer(store, task_id, "corrected")
    for task_id in flagged_tasks(store, n, {"format": 1.0}):
        answer(store, task_id, "acceptable")


def _fresh_candidates(store, write_jsonl):
    """Two flagged records with no task yet: feedback at 0.5 (configured priority 0.5), format at 1.0 (0.7)."""
    from annotate.ingest import ingest_files
    from tests.conftest import record

    path = write_jsonl([record("How do I close the year?", "Use Reports.", id="new-feedback"),
                        record("How do I close the month?", "Use Ledger.", id="new-format")], "new.jsonl")  # fmt: skip
    ingest_files(store, [path], source="prod")
    ids = {row["external_id"]: row["id"] for row in store.db.query("SELECT id, external_id FROM records WHERE source = 'prod'")}
    store.save_flags([(ids["new-feedback"], "negative_feedback", 0.5, "thumbs down"), (ids["new-format"], "format", 1.0, "bad JSON")])
    return ids


def test_learned_weights_rank_a_reason_experts_always_confirm_above_one_they_always_reject(store, project, experts):
    _experts_confirm_feedback_and_reject_format(store)
    learned = learn_weights(store, project.config)
    assert learned.weights["negative_feedback"] > 0 > learned.weights["format"]
    assert learned.evidence["negative_feedback"] == (20, 20) and learned.evidence["format"] == (20, 0)
    assert learned.weights["pii"] == 0 and learned.evidence["pii"] == (0, 0)  # never judged: adds nothing
    low, high = learned.intervals["negative_feedback"]
    assert low <= learned.weights["negative_feedback"] <= high and low > 0
    assert (learned.judged, learned.confirmed) == (40, 20)
    assert learned.probability({"negative_feedback": 1.0}) > 0.5 > learned.probability({"format": 1.0})


def test_selection_with_learned_weights_puts_what_experts_confirm_first(store, project, experts, write_jsonl):
    _experts_confirm_feedback_and_reject_format(store)
    ids = _fresh_candidates(store, write_jsonl)
    configured = select_tasks(store, project.config, budget=1, seed=1)
    assert configured.selected[0].record_id == ids["new-format"]  # 0.7 × 1.0 beats 1.0 × 0.5
    store.db.execute("DELETE FROM tasks WHERE id = ?", [configured.task_ids[0]])
    store.db.conn.commit()
    learned = select_tasks(store, project.config, budget=1, seed=1, learned=learn_weights(store, project.config))
    (chosen,) = learned.selected
    assert chosen.record_id == ids["new-feedback"] and chosen.why.startswith("learned P(confirmed)")
    assert 0.5 < chosen.priority <= 1


def test_the_cli_prints_learned_weights_beside_the_configured(store, project, experts, write_jsonl, cli):
    _experts_confirm_feedback_and_reject_format(store)
    _fresh_candidates(store, write_jsonl)
    result = cli("select", "--budget", "2", "--weights", "learned")
    assert result.exit_code == 0, result.output
    assert "Learned weights (log-odds per unit of flag score) from 40 judged records, 20 confirmed" in result.output
    weights_table = result.output.split("Priority is the learned model's probability")[0]
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.split("│")[1:-1]]
                                              for line in weights_table.splitlines() if line.startswith("│"))}  # fmt: skip
    configured, learned, judged, confirmed = rows["negative_feedback"]
    assert (configured, judged, confirmed) == ("1", "20", "100%") and float(learned.split()[0]) > 0
    configured, learned, judged, confirmed = rows["format"]
    assert (configured, judged, confirmed) == ("0.7", "20", "0%") and float(learned.split()[0]) < 0
    assert rows["pii"] == ["0.9", "0 (no verdicts)", "0", ""]
    assert "Created 2 correction tasks" in result.output


def test_too_few_verdicts_are_refused_with_what_is_missing(store, project, experts, cli):
    for task_id in flagged_tasks(store, 6, {"negative_feedback": 1.0}):
        answer(store, task_id, "corrected")
    with pytest.raises(SelectionError, match=f"6 judged records \\(6 confirmed, 0 fine\\); learning needs at least {MIN_JUDGED}"):
        learn_weights(store, project.config)
    tasks_before = store.db["tasks"].count
    result = cli("select", "--budget", "5", "--weights", "learned")
    assert result.exit_code == 1
    assert "too few verdicts to learn flag weights from" in result.output and "--weights configured" in result.output
    assert store.db["tasks"].count == tasks_before, "a refused selection creates nothing"
    unknown = cli("select", "--budget", "5", "--weights", "guessed")
    assert unknown.exit_code == 1 and "unknown --weights 'guessed'; choose configured or learned" in unknown.output


def test_one_outcome_only_is_refused_however_many_verdicts(store, project, experts):
    for task_id in flagged_tasks(store, MIN_JUDGED + 5, {"negative_feedback": 1.0}):
        answer(store, task_id, "acceptable")
    with pytest.raises(SelectionError, match=f"{MIN_JUDGED + 5} judged records \\(0 confirmed"):
        learn_weights(store, project.config)
