"""The evaluation report's metrics, as a vocabulary both sides share: `train.report` writes and
charts them, the review app's Model versions page shows them.

Each entry: (key in report.json's `metrics`, title, how a value reads, higher is better: True,
False, or None where neither is).
"""

from __future__ import annotations

import re

EVAL_METRICS = (
    ("semantic", "Production quality (semantic similarity vs experts)", "{:.3f}", True),
    ("chrf", "Production quality (chrF vs experts)", "{:.1f}", True),
    ("validator_pass_rate", "Format validators passed", "{:.0%}", True),
    ("length_ratio", "Length ratio (vs experts)", "{:.2f}", None),
    ("win_rate_vs_base", "Win rate vs base (per-example chrF)", "{:.0%}", True),
    ("consistency", "Paraphrase consistency", "{:.0%}", True),
    ("perplexity", "General perplexity", "{:.2f}", False),
    ("perplexity_change", "Perplexity change vs base", "{:+.1%}", False),
    ("accuracy", "General accuracy", "{:.0%}", True),
    ("refusal_harmful", "Refusal on harmful prompts", "{:.0%}", True),
    ("refusal_benign", "Over-refusal on benign prompts", "{:.0%}", False),
    ("degenerate", "Degenerate answers (empty, repetition, no end of turn, template markup)", "{:.0%}", False),
    ("truncation", "Answers cut at max_new_tokens", "{:.0%}", False),
    ("tool_call_rate", "Tool calls made where the experts called a tool", "{:.0%}", True),
    ("unexpected_tool_call_rate", "Tool calls made where the experts answered in text", "{:.0%}", False),
    ("function_name_accuracy", "Function-name accuracy (tool-call references)", "{:.0%}", True),
    ("argument_exact_match", "Tool-call argument exact match", "{:.0%}", True),
    ("argument_match", "Per-argument match (of the reference's arguments)", "{:.0%}", True),
    ("output_tokens", "Output tokens (mean)", "{:.1f}", None),
    ("seconds_per_example", "Generation seconds per example", "{:.3f}", False),
    ("tokens_per_second", "Tokens per second", "{:.1f}", True),
)
# The top of a metric's scale (its charts run from 0 to there when every value is at least 0).
SCALE_TOP = {"semantic": 1.0, "chrf": 100.0, "validator_pass_rate": 1.0, "win_rate_vs_base": 1.0, "consistency": 1.0,
             "accuracy": 1.0, "refusal_harmful": 1.0, "refusal_benign": 1.0, "degenerate": 1.0, "truncation": 1.0,
             "tool_call_rate": 1.0, "unexpected_tool_call_rate": 1.0, "function_name_accuracy": 1.0,
             "argument_exact_match": 1.0, "argument_match": 1.0}  # fmt: skip
_MORE_DIGITS = 6


def plain_number(value: float | None) -> str:
    """A check's figure as people read it (4 significant digits; "n/a" when not measured)."""
    return "n/a" if value is None else f"{value:.4g}"


def formatted(key: str, value: float | None, extra_digits: int = 0) -> str:
    """A metric's value as people read it ("n/a" when it was not measured; `extra_digits` more
    decimals than its usual format)."""
    if value is None:
        return "n/a"
    fmt = next((fmt for name, _, fmt, _ in EVAL_METRICS if name == key), None)
    if fmt is None:
        return f"{value:.{4 + extra_digits}g}"
    if extra_digits:
        fmt = re.sub(r"\.(\d+)", lambda match: f".{int(match.group(1)) + extra_digits}", fmt)
    return fmt.format(value)


def distinct_digits(key: str, values: list[float | None]) -> int:
    """The extra decimals that keep different values of one row from reading the same (chrF 0.016
    and 0 are "0.02" and "0.00", not both "0.0")."""
    different = {value for value in values if value is not None}
    for extra in range(_MORE_DIGITS + 1):
        if len({formatted(key, value, extra) for value in different}) == len(different):
            return extra
    return _MORE_DIGITS


# A candidate's outcome (report.json `outcomes`) and a check's status in words.
SHIP, REGRESSION, NOT_ENOUGH_EVIDENCE = "ship", "regression", "not enough evidence"
STATUS_WORDS = {"pass": "pass", "fail": "FAIL", "inconclusive": "inconclusive", "not_applicable": "not applicable",
                "not_run": "not run"}  # fmt: skip


def check_status(check: dict) -> str:
    """A gate check's status (a report from before statuses: from `passed`)."""
    return check.get("status") or {True: "pass", False: "fail"}.get(check.get("passed"), "not_run")


def check_cells(check: dict) -> dict[str, str]:
    """A gate check as people read it: status, the two figures, the delta with its interval, the
    sample size and, when inconclusive, the sample size that would decide it."""
    delta = check.get("delta")
    low, high = check.get("ci_low"), check.get("ci_high")
    if delta is not None:
        change = f"{delta:+.4g} [{low:+.4g}, {high:+.4g}]" if low is not None else f"{delta:+.4g}"
    elif low is not None:
        change = f"[{low:.4g}, {high:.4g}]"
    else:
        change = "n/a"
    return {"status": STATUS_WORDS[check_status(check)], "candidate": plain_number(check.get("value")),
            "against": f"{plain_number(check.get('reference'))}" + (f" ({check['against']})" if check.get("against") else ""),
            "delta [95% CI]": change, "n": f"{check.get('n', 0):,}" if check.get("n") else "-",
            "would need": f"~{check['needed_n']:,}" if check.get("needed_n") else "-",
            "rule": check.get("rule", ""), "reason": check.get("reason", "")}  # fmt: skip


def outcome_of(report: dict, candidate: str) -> str:
    """ship, regression or not enough evidence (a report from before outcomes: from its verdict)."""
    outcomes = report.get("outcomes") or {}
    if candidate in outcomes:
        return outcomes[candidate]
    return SHIP if report.get("verdicts", {}).get(candidate) else REGRESSION
