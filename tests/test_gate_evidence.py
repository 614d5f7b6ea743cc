"""Evaluation a release manager can trust: degenerate answers caught by kind, intervals that match
the sample size (a clear win, a clear loss, inconclusive at small n with the sample it would need,
not applicable at 0 against 0), the gate's "not enough evidence" exit code, slices, cost caps, and
a human-evaluation router that never shows an expert a degenerate answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotate.config import EvalGate
from annotate.stats import judge, mean_of_rows, mean_rows, paired_bootstrap, paired_rate_difference, wilson_interval
from annotate.tasks.human_eval import pairs_to_route
from annotate.text.degenerate import END_OF_TURN, LENGTH, OTHER_TOKEN, Generation, degenerate_kinds
from tests.test_eval import BASE, _metrics, _write_report
from train import metrics as M
from train.gate import gate_checks, outcomes, verdicts

KINDS = {"base": "base", "sft-1": "adapter"}


# --- degenerate answers ------------------------------------------------------------------------


@pytest.mark.parametrize(("generation", "kinds"), [
    (Generation("Open Settings > Users and press Invite.", 9, END_OF_TURN), []),
    (Generation("", 0, END_OF_TURN), ["empty"]),
    (Generation("   \n", 2, END_OF_TURN), ["empty"]),
    (Generation("q" * 48, 48, LENGTH), ["repetition", "truncated"]),
    (Generation("ab" * 12, 12, END_OF_TURN), ["repetition"]),
    (Generation("I can help you. " * 6, 30, END_OF_TURN), ["repetition"]),
    (Generation("Go to Reports, then choose Export and pick the dates you want for the", 16, LENGTH), ["truncated"]),
    (Generation("Go to Reports.", 4, OTHER_TOKEN, "<|endoftext|>"), ["no_end_of_turn"]),
    (Generation("Go to Reports.", 4, OTHER_TOKEN, "<|im_start|>"), ["no_end_of_turn", "template_leak"]),
    (Generation("Sure.<|im_end|>\n<|im_start|>user\nThanks", 12, END_OF_TURN), ["template_leak"]),
    (Generation("Sure.\nassistant\nAnything else?", 8, END_OF_TURN), ["template_leak"]),
    (Generation("[INST] What next? [/INST]", 8, END_OF_TURN), ["template_leak"]),
    (Generation("Invoices: 1, 2, 3. Payments: 4, 5. Totals: 10,000.", 20), []),  # numbers are not a run
])  # fmt: skip
def test_each_kind_of_degenerate_answer_is_caught(generation, kinds):
    assert degenerate_kinds(generation) == kinds


def test_degeneracy_rates_carry_counts_wilson_intervals_and_keep_truncation_apart():
    answers = [Generation("q" * 48, 48, LENGTH)] * 3 + [Generation("Fine answer here.", 4, END_OF_TURN)] * 7
    degenerate, truncation, kinds = M.degeneracy(answers)
    assert degenerate.value == pytest.approx(0.3) and degenerate.n == 10 and truncation.value == pytest.approx(0.3)
    repetition = degenerate.detail["by_kind"]["repetition"]
    assert repetition["count"] == 3 and (repetition["ci_low"], repetition["ci_high"]) == pytest.approx(wilson_interval(3, 10))
    assert degenerate.detail["by_kind"]["empty"]["count"] == 0 and kinds[0] == ["repetition", "truncated"]
    cost = M.cost([Generation("a", 10, END_OF_TURN, seconds=0.5), Generation("b", 30, LENGTH, seconds=1.5)])
    assert cost["output_tokens"].value == 20 and cost["output_tokens"].detail["p95"] == pytest.approx(29)
    assert cost["seconds_per_example"].value == 1.0 and cost["tokens_per_second"].value == pytest.approx(20)


# --- intervals and what they decide ------------------------------------------------------------


def test_a_paired_bootstrap_on_constructed_data_separates_a_clear_win_a_clear_loss_and_noise():
    rng = np.random.default_rng(7)
    base = rng.uniform(0.3, 0.6, 200)

    def delta(candidate):
        return paired_bootstrap(mean_rows(list(candidate)), mean_rows(list(base)), lambda a, b: mean_of_rows(a) - mean_of_rows(b))

    win, low, high = delta(base + 0.1 + rng.normal(0, 0.02, 200))
    assert win == pytest.approx(0.1, abs=0.01) and judge(low, high, win, 200, above=0.0).status == "pass"
    loss, low, high = delta(base - 0.1 + rng.normal(0, 0.02, 200))
    assert judge(low, high, loss, 200, above=0.0).status == "fail"
    assert judge(low, high, loss, 200, at_least=-0.02).status == "fail"  # clearly below a non-inferiority margin too
    small = base[:6]
    noisy = small + rng.normal(0.02, 0.1, 6)
    point, low, high = paired_bootstrap(mean_rows(list(noisy)), mean_rows(list(small)), lambda a, b: mean_of_rows(a) - mean_of_rows(b))
    judgement = judge(low, high, point, 6, above=0.0)
    assert low < 0 < high and judgement.status == "inconclusive" and judgement.needed_n > 6


def test_a_wilson_interval_is_wide_at_small_n_and_never_leaves_0_to_1():
    low, high = wilson_interval(0, 5)
    assert low == pytest.approx(0, abs=1e-12) and 0.4 < high < 0.5
    low, high = wilson_interval(300, 1000)
    assert 0.27 < low < 0.3 < high < 0.33
    assert wilson_interval(0, 0) is None


def _scores(values: list[float]) -> dict:
    return {"value": float(np.mean(values)), "n": len(values), "per_example": values}


def test_the_gate_says_pass_fail_inconclusive_or_not_applicable_from_the_same_examples():
    rng = np.random.default_rng(3)
    base_scores = list(rng.uniform(0.3, 0.6, 60))
    clear = [s + 0.15 for s in base_scores]
    gate = EvalGate()

    def quality(candidate: list[float], base: list[float]):
        checks = gate_checks({"base": {"semantic": _scores(base)}, "sft-1": {"semantic": _scores(candidate)}}, KINDS, gate)
        return next(c for c in checks if c.name == "quality")

    won = quality(clear, base_scores)
    assert won.status == "pass" and won.passed is True and won.ci_low > 0 and won.n == 60 and won.against == "base"
    lost = quality([s - 0.15 for s in base_scores], base_scores)
    assert lost.status == "fail" and lost.passed is False and lost.ci_high < 0
    few = quality([s + rng.normal(0.02, 0.15) for s in base_scores[:5]], base_scores[:5])
    assert few.status == "inconclusive" and few.passed is None and few.ci_low < 0 < few.ci_high
    assert few.needed_n and few.needed_n > 5 and f"about {few.needed_n:,} would decide it" in few.reason
    same = quality(base_scores, base_scores)
    assert same.status == "fail"  # equal is not better: the whole interval [0, 0] is not above 0

    rates = {"base": {**_metrics(semantic=0.5), "refusal_harmful": _scores([0.0] * 20), "refusal_benign": _scores([0.0] * 20)},
             "sft-1": {**_metrics(semantic=0.7), "refusal_harmful": _scores([0.0] * 20), "refusal_benign": _scores([0.0] * 20)}}
    checks = {c.name: c for c in gate_checks(rates, KINDS, gate)}
    assert checks["refusal"].status == "not_applicable" and checks["over-refusal"].status == "not_applicable"
    assert checks["refusal"].passed is None and "0 on both sides" in checks["refusal"].reason
    assert outcomes(list(checks.values())) == {"sft-1": "ship"}  # not applicable decides nothing


def test_one_inconclusive_check_makes_not_enough_evidence_and_a_failed_one_a_regression():
    rng = np.random.default_rng(5)
    base = list(rng.uniform(0.3, 0.6, 6))
    noisy = {"base": {"semantic": _scores(base)}, "sft-1": {"semantic": _scores([s + rng.normal(0.02, 0.15) for s in base])}}
    checks = gate_checks(noisy, KINDS, EvalGate())
    assert outcomes(checks) == {"sft-1": "not enough evidence"} and verdicts(checks) == {"sft-1": False}
    worse = {"base": {"semantic": _scores(base)}, "sft-1": {"semantic": _scores([s - 0.2 for s in base])}}
    assert outcomes(gate_checks(worse, KINDS, EvalGate())) == {"sft-1": "regression"}


def test_a_degenerate_candidate_fails_the_gate_naming_the_kind():
    answers = [Generation("q" * 48, 48, LENGTH)] * 30 + [Generation("Open Settings.", 4, END_OF_TURN)] * 10
    degenerate, truncation, _ = M.degeneracy(answers)
    fine, fine_truncation, _ = M.degeneracy([Generation("", 0, END_OF_TURN)] + [Generation("Open Settings.", 4, END_OF_TURN)] * 39)
    variants = {"base": {**_metrics(semantic=0.1), "degenerate": fine.as_dict(), "truncation": fine_truncation.as_dict()},
                "sft-1": {**_metrics(semantic=0.3), "degenerate": degenerate.as_dict(), "truncation": truncation.as_dict()}}
    checks = {c.name: c for c in gate_checks(variants, KINDS, EvalGate())}
    assert checks["quality"].status == "pass"  # a higher score does not save it...
    assert checks["degenerate output"].status == "fail" and "degenerate output: repetition 30/40" in checks["degenerate output"].reason
    assert checks["truncation"].status == "fail"  # 75% cut against the base's 0%
    assert outcomes(list(checks.values())) == {"sft-1": "regression"}
    base_checks = gate_checks({**variants, "sft-1": variants["base"]}, KINDS, EvalGate())
    assert next(c for c in base_checks if c.name == "degenerate output").status == "pass"  # 1 empty of 40: under 0.2


def test_a_slice_that_regresses_fails_even_when_the_average_improves():
    base = [0.5] * 40
    candidate = [0.8] * 30 + [0.2] * 10  # better on average, much worse on one category
    slices = {"category": {"factual_error": list(range(30)), "unwarranted_refusal": list(range(30, 40))}}
    variants = {"base": {"semantic": _scores(base)}, "sft-1": {"semantic": _scores(candidate)}}
    checks = {c.name: c for c in gate_checks(variants, KINDS, EvalGate(), slices=slices)}
    assert checks["quality"].status == "pass" and checks["slices"].status == "fail"
    assert "category unwarranted_refusal" in checks["slices"].reason and checks["slices"].n == 10
    small = {"category": {"factual_error": list(range(35)), "unwarranted_refusal": list(range(35, 40))}}
    assert next(c for c in gate_checks(variants, KINDS, EvalGate(), slices=small) if c.name == "slices").status == "pass"


def test_cost_caps_fail_a_candidate_over_them():
    variants = {"base": _metrics(semantic=0.5),
                "sft-1": {**_metrics(semantic=0.7), "output_tokens": {"value": 80, "n": 40, "detail": {"p95": 120}}}}
    capped = EvalGate(max_p95_output_tokens=100, max_parameters=1e6)
    checks = {c.name: c for c in gate_checks(variants, KINDS, capped, costs={"sft-1": {"parameters": 2_000_000}})}
    assert checks["cost"].status == "fail" and "p95 output tokens 120 over 100" in checks["cost"].reason
    assert "parameters 2e+06 over 1e+06" in checks["cost"].reason


def test_eval_gate_exits_4_on_not_enough_evidence_and_3_when_the_project_counts_it_as_failure(cli, project, tmp_path):
    rng = np.random.default_rng(11)
    base = list(rng.uniform(0.3, 0.6, 6))
    candidate = {**BASE, **_metrics(chrf=55.0), "semantic": _scores([s + rng.normal(0.02, 0.15) for s in base])}
    folder = _write_report(tmp_path / "reports" / "round-1", candidate)
    report = json.loads((folder / "report.json").read_text())
    report["variants"][0]["metrics"]["semantic"] = _scores(base)
    report["variants"][1]["metrics"]["semantic"] = _scores(base)  # the prompt baseline: no better than the base
    (folder / "report.json").write_text(json.dumps(report))
    unsure = cli("eval", "gate", str(folder))
    assert unsure.exit_code == 4, unsure.output
    assert "inconclusive" in unsure.output and "sft-1: not enough evidence to ship" in unsure.output
    project.config_path.write_text(project.config_path.read_text().replace("inconclusive_is_failure = false", "inconclusive_is_failure = true"))
    assert cli("eval", "gate", str(folder)).exit_code == 3


# --- human evaluation ----------------------------------------------------------------------------


def test_the_router_never_sends_an_expert_an_empty_or_degenerate_answer():
    prompt = [{"role": "user", "content": "How do I export?"}]
    answers = {"t0": ("", "Open Reports > Export."), "t1": ("q" * 48, "Open Reports > Export."),
               "t2": ("Go to Reports and press Export.", "Open Reports > Export."),
               "t3": ("Sure.<|im_start|>user", "Open Reports > Export."), "t4": ("Open Reports > Export.", "")}  # fmt: skip
    rows = [{"variant": variant, "set": "production", "id": example, "prompt": prompt, "output": text}
            for example, pair in answers.items() for variant, text in zip(("sft-1", "base"), pair)]  # fmt: skip
    pairs, identical, degenerate = pairs_to_route(rows, ["sft-1"], "base", n=5)
    assert [pair.example_id for pair in pairs] == ["t2"] and degenerate == {"sft-1": 4} and identical == {"sft-1": 0}
    assert rows[4]["id"] == "t2" and rows[4]["variant"] == "sft-1"
    rows[4]["degenerate"] = ["template_leak"]  # the evaluation's own finding (from its stop token) is trusted too
    assert pairs_to_route(rows, ["sft-1"], "base", n=5)[0] == []
    rows[4]["degenerate"] = ["truncated"]  # a cut answer is the token budget: still shown
    assert [p.example_id for p in pairs_to_route(rows, ["sft-1"], "base", n=5)[0]] == ["t2"]


def test_a_report_from_before_intervals_is_not_enough_evidence_on_a_second_look():
    old = {"base": {"semantic": {"value": 0.4, "n": 20}}, "sft-1": {"semantic": {"value": 0.6, "n": 20}}}  # no per_example
    (quality,) = [c for c in gate_checks(old, KINDS, EvalGate()) if c.name == "quality"]
    assert quality.status == "inconclusive" and "evaluate again" in quality.reason
    assert outcomes([quality]) == {"sft-1": "not enough evidence"}


def test_a_rate_both_sides_share_on_few_examples_proves_nothing_and_a_clear_drop_fails():
    same = {"base": {**_metrics(semantic=0.5), "refusal_harmful": _scores([1, 0, 0, 0, 0])},
            "sft-1": {**_metrics(semantic=0.7), "refusal_harmful": _scores([1, 0, 0, 0, 0])}}
    (refusal,) = [c for c in gate_checks(same, KINDS, EvalGate()) if c.name == "refusal"]
    assert refusal.status == "inconclusive" and refusal.ci_low < -0.3 and refusal.ci_high > 0.3  # Newcombe, not [0, 0]
    delta, low, high = paired_rate_difference([1, 0, 0, 0, 0], [1, 0, 0, 0, 0])
    assert delta == 0 and low == pytest.approx(-0.3935, abs=1e-3) and high == pytest.approx(0.3935, abs=1e-3)
    agree = [1] * 30 + [0] * 170
    kept = {"base": {**_metrics(semantic=0.5), "refusal_harmful": _scores(agree)},
            "sft-1": {**_metrics(semantic=0.7), "refusal_harmful": _scores(agree)}}
    assert next(c for c in gate_checks(kept, KINDS, EvalGate()) if c.name == "refusal").status == "pass"  # 200 agree: within 5 points
    dropped = {**kept, "sft-1": {**_metrics(semantic=0.7), "refusal_harmful": _scores([0] * 200)}}
    assert next(c for c in gate_checks(dropped, KINDS, EvalGate()) if c.name == "refusal").status == "fail"
