"""The Model versions page's readers, on constructed reports and answers with known results: the
gate's outcome and checks, degenerate rates, cost and slices, the answers side by side (filters,
"changed most", degenerate marks, bad lines), paging, the live human evaluation, and what shipped
in each round. Older reports lack every key issue 18 added; each reader is run on one too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.reports.model_versions import (
    CHANGED_MOST,
    GENERAL,
    NOT_ENOUGH_EVIDENCE,
    PARAPHRASES,
    PRODUCTION,
    REGRESSION,
    SAFETY,
    SHIP,
    ReportSummary,
    banner,
    categories_of,
    check_rows,
    cost_rows,
    degenerate_rows,
    human_eval_rows,
    outcomes,
    output_table,
    page_of,
    read_outputs,
    sets_of,
    shipped_by_round,
    slice_rows,
    variants_of,
)
from annotate.store.datasets import RegisteredSnapshot

OLD = {"report": "old", "snapshot": {"name": "support-sft", "version": 1}, "inputs": {"production": {"examples": 10}},
       "variants": [{"name": "base", "kind": "base", "metrics": {"chrf": {"value": 40.0, "n": 10}}},
                    {"name": "sft-1", "kind": "adapter", "metrics": {"chrf": {"value": 44.0, "n": 10}}}],
       "checks": [{"variant": "sft-1", "name": "quality", "passed": False, "value": 44.0, "reference": 50.0, "rule": "≥ 50"},
                  {"variant": "sft-1", "name": "refusal", "passed": None, "value": None, "reference": None, "rule": "≥ base"}],
       "verdicts": {"sft-1": False}, "passed": False, "human_eval": None}  # fmt: skip


def _answer(variant, set_name, id, output, **fields) -> dict:
    prompt = [{"role": "system", "content": "You are Ledgerly."}, {"role": "user", "content": f"Earlier {id}?"},
              {"role": "assistant", "content": "Earlier answer."}, {"role": "user", "content": f"Question {id}?"}]  # fmt: skip
    return {"variant": variant, "set": set_name, "id": id, "prompt": prompt, "output": output, **fields}


def _rows() -> list[dict]:
    """p1..p3 production (semantic spreads 0.4, 0.02, 0.8), s1..s3 safety (1, 2, 0 answers unlike the base's), one general."""
    production = {"p1": ("g1", ["incomplete"], (0.5, 0.9, 0.6)), "p2": (None, [], (0.7, 0.7, 0.72)),
                  "p3": ("g1", ["tone", "incomplete"], (0.2, 0.9, 0.1))}  # fmt: skip
    safety = {"s1": ("I can't.", "I can't.", "Sure."), "s2": ("I can't.", "No.", "Sure."), "s3": ("No.", "No.", "No.")}
    rows = []
    for position, variant in enumerate(("base", "sft-1", "sft-2")):
        for id, (group, categories, scores) in production.items():
            rows.append(_answer(variant, PRODUCTION, id, f"{variant} on {id}", reference=f"Reference {id}.", group=group,
                                categories=categories, semantic=scores[position], chrf=50.0, tokens=12, stop="end_of_turn",
                                degenerate=["repetition"] if (variant, id) == ("sft-1", "p2") else []))  # fmt: skip
        for id, outputs in safety.items():
            rows.append(_answer(variant, SAFETY, id, outputs[position], label="harmful", degenerate=[]))
        rows.append(_answer(variant, GENERAL, "q1", "4", reference="4"))
    return rows


def _ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def test_the_answers_come_side_by_side_per_example_with_the_last_user_turn_and_the_whole_conversation():
    rows = _rows()
    assert variants_of(rows) == ["base", "sft-1", "sft-2"]
    assert sets_of(rows) == [PRODUCTION, PARAPHRASES, GENERAL, SAFETY]
    assert categories_of(rows) == ["incomplete", "tone"]
    first, second, _ = output_table(rows)
    assert (
        first["prompt"] == "Question p1?" and len(first["conversation"]) == 4 and first["reference"] == "Reference p1."
    )
    assert {name: answer["output"] for name, answer in first["answers"].items()} == {
        "base": "base on p1", "sft-1": "sft-1 on p1", "sft-2": "sft-2 on p1"}  # fmt: skip
    assert first["spread"] == pytest.approx(0.4) and first["group"] == "g1" and first["categories"] == ["incomplete"]
    assert second["answers"]["sft-1"]["degenerate"] == ["repetition"]  # marked where it was found, nowhere else
    assert [a["degenerate"] for name, a in second["answers"].items() if name != "sft-1"] == [[], []]


def test_the_set_and_category_filters_keep_only_their_examples():
    rows = _rows()
    assert _ids(output_table(rows, SAFETY)) == ["s1", "s2", "s3"]
    assert output_table(rows, SAFETY)[0]["label"] == "harmful" and output_table(rows, SAFETY)[0]["reference"] is None
    assert _ids(output_table(rows, GENERAL)) == ["q1"]
    assert _ids(output_table(rows, PARAPHRASES)) == ["p1", "p3"]  # production examples with a group
    assert _ids(output_table(rows, PRODUCTION, "incomplete")) == ["p1", "p3"]
    assert _ids(output_table(rows, PRODUCTION, "tone")) == ["p3"]
    assert output_table(rows, PRODUCTION, "wrong") == []


def test_changed_most_orders_by_the_spread_of_semantic_scores_else_by_answers_unlike_the_base():
    rows = _rows()
    assert _ids(output_table(rows, PRODUCTION, order=CHANGED_MOST)) == ["p3", "p1", "p2"]
    safety = output_table(rows, SAFETY, order=CHANGED_MOST)  # no scores: how many answers differ from the base's
    assert _ids(safety) == ["s2", "s1", "s3"] and [item["changed"] for item in safety] == [2, 1, 0]
    assert all(item["spread"] is None for item in safety)


def test_answers_of_an_older_report_lack_scores_and_marks_and_still_show():
    rows = [{key: value for key, value in row.items() if key not in ("semantic", "chrf", "degenerate", "categories", "tokens", "stop")}
            for row in _rows() if row["set"] != GENERAL]  # fmt: skip
    items = output_table(rows, PRODUCTION, order=CHANGED_MOST)
    assert len(items) == 3 and all(item["spread"] is None and item["categories"] == [] for item in items)
    assert all(
        answer["degenerate"] == [] and answer["semantic"] is None
        for item in items
        for answer in item["answers"].values()
    )
    assert [item["changed"] for item in items] == [2, 2, 2] and categories_of(rows) == []


def test_a_bad_line_of_outputs_jsonl_is_skipped_and_named_by_file_and_line(tmp_path):
    good = _rows()[:2]
    lines = [json.dumps(good[0]), "", "{not json", json.dumps({"set": "production", "id": "x"}), "[1, 2]",
             json.dumps({**good[0], "semantic": "high"}), json.dumps(good[1])]  # fmt: skip
    (tmp_path / "outputs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, problems = read_outputs(tmp_path)
    assert rows == good
    path = tmp_path / "outputs.jsonl"
    assert [problem.split(": ", 1)[0] for problem in problems] == [f"{path}:{n}" for n in (3, 4, 5, 6)]
    assert (
        "not valid JSON" in problems[0]
        and "variant missing" in problems[1]
        and "semantic is not a number" in problems[3]
    )
    assert read_outputs(tmp_path / "no-such-report") == ([], [])


def test_a_page_of_answers_is_clamped_to_the_pages_there_are():
    items = list(range(45))
    assert page_of(items, 1) == (list(range(20)), 3)
    assert page_of(items, 3) == (list(range(40, 45)), 3) and page_of(items, 9) == page_of(items, 3)
    assert page_of([], 1) == ([], 1)


def test_the_outcome_of_each_candidate_heads_the_report_and_older_reports_fall_back_to_verdicts():
    assert outcomes(OLD) == {"sft-1": REGRESSION}
    assert banner(ReportSummary(Path("old"), OLD)) == (
        "error", "old: gate failed for sft-1 (snapshot support-sft v1, 10 held-out production examples).")  # fmt: skip
    new = {**OLD, "report": "new", "outcomes": {"sft-1": NOT_ENOUGH_EVIDENCE, "sft-2": SHIP},
           "verdicts": {"sft-1": False, "sft-2": True}, "shipped": {"variant": "live", "source": "reports/r0"}}  # fmt: skip
    level, line = banner(ReportSummary(Path("new"), new))
    assert level == "warning" and "not enough evidence to ship sft-1; sft-2 passed the gate" in line
    assert "against the live version live" in line
    assert ReportSummary(Path("new"), new).label.endswith("· not enough evidence")
    assert banner(ReportSummary(Path("x"), {**OLD, "verdicts": {}}))[0] == "info"
    assert banner(ReportSummary(Path("x"), {**OLD, "verdicts": {"sft-1": True}}))[0] == "success"


def test_gate_checks_show_their_status_difference_interval_and_sample_sizes():
    new_check = {"variant": "sft-1", "name": "quality", "passed": None, "value": 0.81, "reference": 0.8, "rule": "≥ prompt baseline",
                 "status": "inconclusive", "against": "prompt-baseline", "delta": 0.01, "ci_low": -0.02, "ci_high": 0.04,
                 "n": 60, "needed_n": 540, "reason": "the interval straddles 0"}  # fmt: skip
    (row,) = check_rows({"checks": [new_check]})
    assert row["status"] == "inconclusive" and row["delta [interval]"] == "+0.01 [-0.02, +0.04]"
    assert (row["against"], row["n"], row["needed n"]) == ("prompt-baseline", 60, 540)
    assert row["reason"] == "the interval straddles 0"
    assert check_rows({"checks": [{**new_check, "status": "not_applicable"}]})[0]["status"] == "not applicable"
    failed, not_run = check_rows(OLD)
    assert (failed["status"], not_run["status"]) == ("FAIL", "not run")
    assert failed["delta [interval]"] is None and failed["n"] is None and failed["reason"] is None


def test_degenerate_rates_cost_and_slices_are_read_per_variant_and_absent_from_older_reports():
    by_kind = {"repetition": {"count": 3, "rate": 0.05, "ci_low": 0.017, "ci_high": 0.137}}
    metrics = {"degenerate": {"value": 0.05, "n": 60, "unit": "examples", "detail": {"by_kind": by_kind}},
               "output_tokens": {"value": 41.5, "n": 60, "detail": {"p95": 120.0}}, "seconds_per_example": {"value": 0.4, "n": 60},
               "tokens_per_second": {"value": 103.7, "n": 2490}}  # fmt: skip
    report = {"variants": [{"name": "sft-1", "kind": "adapter", "metrics": metrics,
                            "cost": {"parameters": 494_032_768, "adapter_bytes": 8_800_000, "device": "cuda"}},
                           {"name": "base", "kind": "base", "metrics": {}}],
              "slices": {"sft-1": {"category": {"incomplete": {"value": 0.8, "n": 12, "detail": {"ci_low": 0.7, "ci_high": 0.88}}},
                                   "cluster": {"3": {"value": 0.75, "n": 9, "detail": {}}}},
                         "base": {"category": {"incomplete": {"value": 0.6, "n": 12, "detail": {"ci_low": 0.5, "ci_high": 0.7}}}}}}  # fmt: skip
    assert degenerate_rows(report) == [
        {"variant": "sft-1", "answers": 60, "any kind": "5.0%", "repetition": "5.0% [1.7%, 13.7%] (3)"}
    ]
    assert cost_rows(report) == [{"variant": "sft-1", "output tokens (mean)": 41.5, "output tokens (p95)": 120.0,
                                  "seconds / example": 0.4, "tokens / second": 103.7, "parameters": "494,032,768",
                                  "adapter size": "8.8 MB", "device": "cuda"}]  # fmt: skip
    assert slice_rows(report) == [{"by": "category", "slice": "incomplete", "sft-1": "0.8 [0.7, 0.88] (n=12)", "base": "0.6 [0.5, 0.7] (n=12)"},
                                  {"by": "cluster", "slice": "3", "sft-1": "0.75 (n=9)"}]  # fmt: skip
    assert degenerate_rows(OLD) == cost_rows(OLD) == slice_rows(OLD) == []


def test_the_human_evaluation_win_rate_is_computed_live_from_the_experts_answers(store, project):
    from annotate.review.annotators import add_annotator
    from annotate.review.claims import submit
    from annotate.tasks.human_eval import pairs_to_route, route_pairs

    add_annotator(store, "ana@x.test")
    rows = [row for row in _rows() if row["set"] == PRODUCTION and row["variant"] != "sft-2"]
    tasks = route_pairs(store, project.config, "r1", pairs_to_route(rows, ["sft-1"], "base", n=2, seed=0)[0], seed=0)
    report = {"human_eval": {"baseline": "base", "tasks": tasks, "results": None}}
    (before,) = human_eval_rows(store, report)
    assert before["judged"] == "0 of 2 judged" and before["win rate"].startswith("n/a")
    task = tasks[0]  # the other pair stays unjudged
    submit(store, task["task_id"], "ana@x.test", {"kind": "preference", "choice": "a" if task["a"] == "sft-1" else "b"})
    (after,) = human_eval_rows(store, report)
    assert (after["judged"], after["wins"], after["losses"], after["ties"]) == ("1 of 2 judged", 1, 0, 0)
    assert after["win rate"].startswith("100% [") and human_eval_rows(store, OLD) == []


def _snapshot(version: int, round_id: int | None, created_at: str) -> RegisteredSnapshot:
    return RegisteredSnapshot(id=version, name="support-sft", version=version, kind="sft", path=f"exports/support-sft/v{version}",
                              spec={}, counts={}, file_hashes={}, created_at=created_at, round_id=round_id)  # fmt: skip


def test_each_round_shows_the_candidates_shipped_by_reports_on_snapshots_exported_during_it():
    rounds = [{"id": 1, "name": "round-1", "started_at": "2026-01-01T00:00:00+00:00", "ended_at": "2026-02-01T00:00:00+00:00"},
              {"id": 2, "name": "round-2", "started_at": "2026-02-01T00:00:00+00:00", "ended_at": "2026-03-01T00:00:00+00:00"},
              {"id": 3, "name": "round-3", "started_at": "2026-03-01T00:00:00+00:00", "ended_at": None}]  # fmt: skip
    snapshots = {("support-sft", 1): _snapshot(1, 1, "2026-01-20T00:00:00+00:00"),
                 ("support-sft", 2): _snapshot(2, None, "2026-02-10T00:00:00+00:00"),  # no round recorded: by its time
                 ("support-sft", 3): None}  # fmt: skip

    def summary(name, version, created_at, **keys):
        report = {
            "report": name,
            "created_at": created_at,
            "snapshot": {"name": "support-sft", "version": version},
            **keys,
        }
        return ReportSummary(Path(name), report)

    reports = [summary("b", 2, "2026-02-12", verdicts={"sft-3": False}),
               summary("a", 1, "2026-01-21", outcomes={"sft-1": SHIP, "sft-2": REGRESSION}, verdicts={"sft-1": True, "sft-2": False}),
               summary("c", 3, "2026-03-02", verdicts={"sft-4": True}),
               summary("d", 1, "2026-01-25", verdicts={"sft-5": True})]  # an older report: verdicts only  # fmt: skip
    placed, unplaced = shipped_by_round(rounds, reports, snapshots)
    assert [place["round"] for place in placed] == ["round-1", "round-2", "round-3"]
    first, second, third = placed
    assert [r["report"] for r in first["reports"]] == ["a", "d"]
    assert first["shipped"] == ["sft-1 (report a)", "sft-5 (report d)"]
    assert first["reports"][0]["outcomes"] == {"sft-1": SHIP, "sft-2": REGRESSION}
    assert first["reports"][0]["snapshot"] == "support-sft v1"
    assert [r["report"] for r in second["reports"]] == ["b"] and second["shipped"] == []  # a regression ships nothing
    assert third["reports"] == [] and third["shipped"] == []
    assert unplaced == ["c"]  # its snapshot is not in this store
