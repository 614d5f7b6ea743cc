"""`flywheel annotations import`: a vendor's answers come in validated, mapped to annotators,
idempotent, with bad lines rejected by line and field and the good ones written together."""

from __future__ import annotations

import json
import re

from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.conftest import EXPERT, OTHER, make_tasks


def _lines(path, rows):
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def test_good_lines_land_bad_ones_are_rejected_by_line_and_field_and_a_re_import_adds_nothing(store, project, cli, tmp_path):
    add_annotator(store, EXPERT)
    corrections = make_tasks(store, 3)
    (comparison,) = make_tasks(store, 1, kind="preference")
    task_b = store.task(comparison)
    record_a, record_b = (store.records_by_id([record_id])[record_id]["external_id"] for record_id in (task_b.record_id, task_b.record_b_id))
    rows = [
        {"task": corrections[0], "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable"}},
        {"record": "correction-1", "source": "test", "annotator": "vendor@x.test",
         "answer": {"kind": "correction", "verdict": "corrected", "corrected_response": "Better.", "failure_categories": ["incomplete"], "severity": "minor"}},
        {"record": record_b, "record_b": record_a, "annotator": EXPERT, "answer": {"kind": "preference", "choice": "b"}},
        {"task": corrections[2], "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "corrected"}},
        {"task": 999, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable"}},
        {"task": corrections[2], "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable", "failure_categories": ["nope"]}},
        "{not json",
    ]  # fmt: skip
    path = _lines(tmp_path / "vendor.jsonl", rows)
    refused = cli("annotations", "import", str(path))
    assert refused.exit_code == 3, refused.output
    assert "vendor@x.test is not registered" in refused.output and store.annotator_by_email("vendor@x.test") is None
    assert len(store.annotations_of(corrections[0])) == 1  # the good lines landed

    result = cli("annotations", "import", str(path), "--add-annotators", "--rejects", str(tmp_path / "rejects.jsonl"))
    assert result.exit_code == 3, result.output
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(4, "answer.correction"), (5, "task"), (6, "answer"), (7, None)]
    assert "a 'corrected' verdict needs the corrected response" in rejects[0]["reason"]
    assert "no task with id 999" in rejects[1]["reason"] and "unknown failure category nope" in rejects[2]["reason"]
    assert "Added 1 annotator(s): vendor@x.test" in result.output
    (vendor,) = store.annotations_of(corrections[1])
    assert (vendor.source, vendor.verdict, vendor.corrected_response) == ("import", "corrected", "Better.")
    (judgment,) = store.annotations_of(comparison)
    assert judgment.choice == "b" and store.task(comparison).status == "done"

    again = cli("annotations", "import", str(_lines(tmp_path / "good.jsonl", rows[:3])))
    assert again.exit_code == 0, again.output
    assert re.search(r"good\.jsonl\s*│\s*3\s*│\s*0\s*│\s*0\s*│\s*3\s*│\s*0", again.output), again.output
    assert len(store.annotations_of(corrections[1])) == 1


def test_a_changed_answer_supersedes_the_earlier_one_and_nothing_is_overwritten(store, project, cli, tmp_path):
    add_annotator(store, EXPERT)
    (task,) = make_tasks(store, 1)
    submit(store, task, EXPERT, {"kind": "correction", "verdict": "acceptable"})
    row = {"task": task, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "unusable", "rationale": "Wrong plan."}}
    result = cli("annotations", "import", str(_lines(tmp_path / "edit.jsonl", [row])))
    assert result.exit_code == 0, result.output
    first, second = store.annotations_of(task)
    assert (first.verdict, second.verdict, second.supersedes) == ("acceptable", "unusable", first.id)


def test_a_spreadsheet_saved_as_csv_imports_with_answer_fields_as_columns(store, project, cli, tmp_path):
    add_annotator(store, EXPERT)
    add_annotator(store, OTHER)
    tasks = make_tasks(store, 2)
    (comparison,) = make_tasks(store, 1, kind="preference")
    path = tmp_path / "vendor.csv"
    path.write_text(
        "task,annotator,kind,verdict,corrected_response,choice,failure_categories,severity,rationale,seconds_spent\n"
        f"{tasks[0]},{EXPERT},correction,corrected,Open Settings > Users.,,incomplete;tone,major,Missed the path.,42\n"
        f"{tasks[1]},{OTHER},,acceptable,,,,,,\n"
        f"{comparison},{OTHER},preference,,,tie,,,,\n"
        f"{tasks[1]},{EXPERT},correction,acceptable,,,,,,soon\n"
    )  # fmt: skip
    result = cli("annotations", "import", str(path))
    assert result.exit_code == 3, result.output
    (first,) = store.annotations_of(tasks[0])
    assert list(first.failure_categories) == ["incomplete", "tone"] and first.seconds_spent == 42.0
    assert (first.severity, first.rationale) == ("major", "Missed the path.")
    assert store.annotations_of(comparison)[0].choice == "tie"
    assert "seconds_spent: a number of seconds, not 'soon'" in result.output


def test_a_file_where_every_line_is_bad_imports_nothing_and_exits_2(store, project, cli, tmp_path):
    rows = [{"annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable"}}, {"task": 1, "answer": {}}]
    result = cli("annotations", "import", str(_lines(tmp_path / "bad.jsonl", rows)))
    assert result.exit_code == 2, result.output
    assert "bad.jsonl:1: task: name the task" in result.output and "bad.jsonl:2: answer.kind: 'correction' or 'preference'" in result.output
