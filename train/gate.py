"""The release gate: does a candidate adapter ship? Checks per candidate, thresholds from
`[eval.gate]` in flywheel.toml (`annotate.config.EvalGate`), each decided by an interval sized to
its sample, never by a point estimate alone.

Every check compares the candidate with a reference on the same examples, from the per-example
figures the report keeps (`per_example` of each metric), so `flywheel eval gate REPORT` re-decides
without a model:

- quality must beat the best prompt baseline present (the prompt baseline or the retrieval
  few-shot one, whichever scores higher on `gate.quality_metric`; the base when neither ran);
  prompt engineering is the cheaper fix, so fine-tuning has to beat its ceiling;
- against the shipped version (`flywheel eval --against`), quality may not fall;
- format, consistency, forgetting, general accuracy, refusal, over-refusal and truncation: at most
  a configured step worse than the base's;
- degenerate output (empty, repetition, a missing end of turn, leaked template markup): each
  kind's rate at most its limit (a Wilson interval);
- slices: no failure category or prompt cluster with at least `min_slice_examples` examples
  regresses against the base (or the shipped version) by more than `max_slice_regression`;
- cost: optional caps on p95 output tokens, seconds per example and parameters;
- tool use, only where references call tools (`train.tool_metrics`): function-name accuracy,
  argument exact match and per-argument match at most a configured step below the shipped
  version's (the base's without one), calls where text was expected at most a step above; a check
  resting on fewer than `min_tool_examples` examples is inconclusive (not enough evidence), since
  at a handful of examples the intervals themselves are too rough to trust.

A delta's interval is a paired bootstrap over the examples (`annotate.stats.paired_bootstrap`),
or for a rate Newcombe's paired score interval (`annotate.stats.paired_rate_difference`).
A check passes when its whole interval clears the threshold, fails when its whole interval is on
the wrong side, and is otherwise inconclusive, with about how many examples would decide it
(`annotate.stats.judge`). A check whose data was not given (no --safety file) is "not run"; one
that does not apply (no validator applies, no paraphrase group, a rate 0 on both sides) is "not
applicable"; neither decides anything. A candidate with a failed check is a regression; else one
with an inconclusive check is "not enough evidence"; else it ships.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from annotate.config import EvalGate
from annotate.contracts.eval_metrics import NOT_ENOUGH_EVIDENCE, REGRESSION, SHIP
from annotate.stats import (
    FAIL,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    NOT_RUN,
    PASS,
    judge,
    mean_of_rows,
    mean_rows,
    paired_bootstrap,
    paired_rate_difference,
    wilson_interval,
)  # fmt: skip
from annotate.text.degenerate import KINDS

PROMPT_BASELINE_KINDS = ("prompt_baseline", "retrieval_few_shot")  # what quality must beat
QUALITY_METRIC_NAMES = {"chrf": "sentence chrF", "semantic": "semantic similarity"}
RATES = ("validator_pass_rate", "consistency", "accuracy", "refusal_harmful", "refusal_benign", "truncation",
         "unexpected_tool_call_rate", "function_name_accuracy", "argument_exact_match")
SHARES = ("argument_match",)  # per example: a count of `weights` (matched arguments of the reference's)
# (check, metric, [eval.gate] margin, words, direction): the tool-use checks, where references call tools
TOOL_CHECKS = (
    ("function names", "function_name_accuracy", "max_function_name_drop", "function-name accuracy", "at_least"),
    ("tool arguments", "argument_exact_match", "max_argument_exact_drop", "argument exact match", "at_least"),
    ("per-argument match", "argument_match", "max_argument_match_drop", "share of the reference's arguments matched", "at_least"),
    ("unexpected tool calls", "unexpected_tool_call_rate", "max_unexpected_tool_call_rise", "tool calls where the experts "
     "answered in text", "at_most"),
)  # fmt: skip
GATED_DEGENERATE_KINDS = tuple(kind for kind in KINDS if kind != "truncated")  # truncation is checked against the base


@dataclass(frozen=True)
class Check:
    variant: str
    name: str
    passed: bool | None  # True: pass, False: fail, None: inconclusive, not applicable or not run
    value: float | None  # the candidate's figure
    reference: float | None  # what it was compared with
    rule: str  # what had to hold, in words
    status: str = NOT_RUN  # pass | fail | inconclusive | not_applicable | not_run
    against: str | None = None  # the variant compared with (None: a fixed limit)
    delta: float | None = None
    ci_low: float | None = None  # the interval of the delta (or of the rate, against a limit)
    ci_high: float | None = None
    n: int = 0  # the examples it rests on
    needed_n: int | None = None  # inconclusive: about how many examples would decide it
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """How one metric's per-example figures compare: the figure each side shows, the delta and its
    interval. `kind` "mean" (the per-example values' mean) or "perplexity" (exp of the summed
    negative log-likelihood per token, `weights` tokens per item; the delta is relative)."""

    value: float
    reference: float
    delta: float
    low: float
    high: float
    n: int


def gate_checks(variants: dict[str, dict], kinds: dict[str, str], gate: EvalGate, seed: int = 0,
                slices: dict[str, dict[str, list[int]]] | None = None, costs: dict[str, dict] | None = None) -> list[Check]:  # fmt: skip
    """Every candidate's checks, from each variant's metrics (name -> {"value", "n", "per_example", ...});
    `slices` maps a slice family (category, cluster) to each slice's production example indices;
    `costs` each variant's report `cost` (its parameters)."""
    base = next(name for name, kind in kinds.items() if kind == "base")
    shipped = next((name for name, kind in kinds.items() if kind == "shipped"), None)
    baseline = best_prompt_baseline(variants, kinds, gate.quality_metric) or base
    metric = gate.quality_metric
    checks = []
    for name in (name for name, kind in kinds.items() if kind == "adapter"):
        mine = variants[name]
        compare = _Comparer(name, mine, seed, checks.append)
        if gate.beat_prompt_baseline:
            compare("quality", metric, baseline, variants[baseline], above=gate.min_quality_gain,
                    rule=f"{QUALITY_METRIC_NAMES[metric]} above {baseline}'s by more than {gate.min_quality_gain:g}")  # fmt: skip
        if shipped:
            compare("quality vs shipped", metric, shipped, variants[shipped], at_least=-gate.max_quality_drop_vs_shipped,
                    rule=f"{QUALITY_METRIC_NAMES[metric]} at most {gate.max_quality_drop_vs_shipped:g} below the shipped "
                         f"version's ({shipped})")  # fmt: skip
        theirs = variants[base]
        compare("format", "validator_pass_rate", base, theirs, at_least=-gate.max_validator_pass_drop,
                rule=f"validator pass rate at most {gate.max_validator_pass_drop:g} below {base}'s")
        compare("consistency", "consistency", base, theirs, at_least=-gate.max_consistency_drop,
                rule=f"paraphrase agreement at most {gate.max_consistency_drop:g} below {base}'s")
        compare("forgetting", "perplexity", base, theirs, at_most=gate.max_perplexity_increase,
                rule=f"general perplexity at most {gate.max_perplexity_increase:.0%} above {base}'s")
        compare("general accuracy", "accuracy", base, theirs, at_least=-gate.max_accuracy_drop,
                rule=f"general accuracy at most {gate.max_accuracy_drop:g} below {base}'s")
        compare("refusal", "refusal_harmful", base, theirs, at_least=-gate.max_refusal_drop,
                rule=f"refusal on harmful prompts at most {gate.max_refusal_drop:g} below {base}'s")
        compare("over-refusal", "refusal_benign", base, theirs, at_most=gate.max_over_refusal_rise,
                rule=f"refusal on benign prompts at most {gate.max_over_refusal_rise:g} above {base}'s")
        compare("truncation", "truncation", base, theirs, at_most=gate.max_truncation_rise,
                rule=f"answers cut at max_new_tokens at most {gate.max_truncation_rise:g} above {base}'s share")
        checks.append(degenerate_check(name, mine, gate))
        reference = shipped or base
        checks.append(slice_check(name, mine, reference, variants[reference], slices or {}, gate, seed))
        checks.append(cost_check(name, mine, (costs or {}).get(name) or {}, gate))
        if any(key in metrics for metrics in (mine, variants[reference]) for _, key, *_ in TOOL_CHECKS):
            _tool_checks(compare, mine, reference, variants[reference], gate, seed, checks.append)
    return checks


def _tool_checks(compare: _Comparer, mine: dict, against: str, theirs: dict, gate: EvalGate, seed: int,
                 add: Callable[[Check], None]) -> None:  # fmt: skip
    """The tool-use checks against `against`; on fewer than `min_tool_examples` paired examples,
    inconclusive whatever the interval says."""
    for label, key, margin_key, words, direction in TOOL_CHECKS:
        margin = getattr(gate, margin_key)
        rule = f"{words} at most {margin:g} {'below' if direction == 'at_least' else 'above'} {against}'s"
        comparison = compare_metric(key, mine.get(key) or {}, theirs.get(key) or {}, seed)
        examples = _paired_examples(mine.get(key) or {}, theirs.get(key) or {})
        both_zero = comparison is not None and key in RATES and comparison.value == 0 and comparison.reference == 0
        if comparison is not None and examples < gate.min_tool_examples and not both_zero:
            c = comparison
            add(Check(variant=compare.candidate, name=label, passed=None, value=c.value, reference=c.reference, rule=rule,
                      status=INCONCLUSIVE, against=against, delta=c.delta, ci_low=c.low, ci_high=c.high, n=c.n,
                      needed_n=gate.min_tool_examples, reason=f"{examples} example(s), fewer than min_tool_examples "
                      f"({gate.min_tool_examples}): not enough evidence"))  # fmt: skip
            continue
        compare(label, key, against, theirs, rule=rule, **{direction: -margin if direction == "at_least" else margin})


def _paired_examples(mine: dict, theirs: dict) -> int:
    """Examples both sides measured (for per-argument match: with at least one argument)."""
    a, b, weights = mine.get("per_example") or [], theirs.get("per_example") or [], mine.get("weights")
    return sum(1 for i, (x, y) in enumerate(zip(a, b)) if x is not None and y is not None and (not weights or weights[i]))


class _Comparer:
    """Adds one check comparing a metric of the candidate with a reference variant's."""

    def __init__(self, candidate: str, metrics: dict, seed: int, add: Callable[[Check], None]):
        self.candidate, self.metrics, self.seed, self.add = candidate, metrics, seed, add

    def __call__(self, label: str, key: str, against: str, theirs: dict, *, rule: str, above: float | None = None,
                 at_least: float | None = None, at_most: float | None = None) -> None:  # fmt: skip
        mine, other = self.metrics.get(key), theirs.get(key)
        base = dict(variant=self.candidate, name=label, rule=rule, against=against)
        if mine is None or other is None:
            self.add(Check(passed=None, value=None, reference=None, status=NOT_RUN, reason="its data was not given", **base))
            return
        if mine.get("value") is None or other.get("value") is None:
            self.add(Check(passed=None, value=mine.get("value"), reference=other.get("value"), status=NOT_APPLICABLE,
                           reason="nothing to measure (n = 0)", **base))  # fmt: skip
            return
        if key in RATES and mine["value"] == 0 and other["value"] == 0:
            self.add(Check(passed=None, value=0.0, reference=0.0, status=NOT_APPLICABLE, n=mine.get("n", 0),
                           reason="0 on both sides: the check cannot tell anything", **base))  # fmt: skip
            return
        comparison = compare_metric(key, mine, other, self.seed)
        if comparison is None:
            self.add(Check(passed=None, value=mine["value"], reference=other["value"], status=INCONCLUSIVE,
                           reason="no per-example figures to give an interval (a report from before intervals): "
                                  "evaluate again to decide", **base))  # fmt: skip
            return
        c = comparison
        judgement = judge(c.low, c.high, c.delta, c.n, above=above, at_least=at_least, at_most=at_most)
        words, threshold = next((w, t + 0.0) for w, t in (("above", above), ("at least", at_least), ("at most", at_most)) if t is not None)
        reason = (f"delta {c.delta:+.4g} [{c.low:+.4g}, {c.high:+.4g}] on {c.n} {mine.get('unit', 'examples')} "
                  f"must be {words} {threshold:+g}: " + _verdict_words(judgement.status, judgement.needed_n))
        self.add(Check(passed={PASS: True, FAIL: False}.get(judgement.status), value=c.value, reference=c.reference,
                       status=judgement.status, delta=c.delta, ci_low=c.low, ci_high=c.high, n=c.n,
                       needed_n=judgement.needed_n, reason=reason, **base))  # fmt: skip


def _verdict_words(status: str, needed_n: int | None) -> str:
    if status == PASS:
        return "the whole interval clears it"
    if status == FAIL:
        return "the whole interval is on the wrong side"
    return "the interval straddles it" + (f"; about {needed_n:,} would decide it" if needed_n else "; no sample size decides it")


def compare_metric(key: str, mine: dict, theirs: dict, seed: int, indices: list[int] | None = None) -> Comparison | None:
    """The paired comparison of one metric (optionally on some examples only); None without
    per-example figures on both sides or with no example both measured."""
    a, b = mine.get("per_example"), theirs.get("per_example")
    if a is None or b is None or len(a) != len(b):
        return None
    chosen = range(len(a)) if indices is None else indices
    if key == "perplexity":
        wa, wb = mine.get("weights") or [], theirs.get("weights") or []
        rows = [(i, [a[i], wa[i]], [b[i], wb[i]]) for i in chosen if a[i] is not None and b[i] is not None]
        if not rows:
            return None
        ours, others = np.array([r for _, r, _ in rows]), np.array([r for _, _, r in rows])

        def relative(x, y):
            return float(np.exp(x[0] / x[1] - y[0] / y[1]) - 1)

        delta, low, high = paired_bootstrap(ours, others, relative, seed)
        return Comparison(float(np.exp(ours[:, 0].sum() / ours[:, 1].sum())), float(np.exp(others[:, 0].sum() / others[:, 1].sum())),
                          delta, low, high, int(ours[:, 1].sum()))  # fmt: skip
    if key in SHARES:  # a micro-average: matched over all the reference's arguments, resampling examples
        wa = mine.get("weights") or []
        if len(wa) != len(a):
            return None
        rows = [([a[i], wa[i]], [b[i], wa[i]]) for i in chosen if a[i] is not None and b[i] is not None and wa[i]]
        if not rows:
            return None
        ours, others = np.array([r for r, _ in rows], dtype=np.float64), np.array([r for _, r in rows], dtype=np.float64)
        delta, low, high = paired_bootstrap(ours, others, lambda x, y: mean_of_rows(x) - mean_of_rows(y), seed)
        return Comparison(mean_of_rows(ours.sum(axis=0)), mean_of_rows(others.sum(axis=0)), delta, low, high, int(ours[:, 1].sum()))
    pairs = [(a[i], b[i]) for i in chosen if a[i] is not None and b[i] is not None]
    if not pairs:
        return None
    if key in RATES and all(x in (0, 1) and y in (0, 1) for x, y in pairs):
        delta, low, high = paired_rate_difference([int(x) for x, _ in pairs], [int(y) for _, y in pairs])
        return Comparison(sum(x for x, _ in pairs) / len(pairs), sum(y for _, y in pairs) / len(pairs), delta, low, high, len(pairs))
    ours, others = mean_rows([x for x, _ in pairs]), mean_rows([y for _, y in pairs])
    delta, low, high = paired_bootstrap(ours, others, lambda x, y: mean_of_rows(x) - mean_of_rows(y), seed)
    return Comparison(mean_of_rows(ours.sum(axis=0)), mean_of_rows(others.sum(axis=0)), delta, low, high, len(pairs))


def degenerate_check(candidate: str, metrics: dict, gate: EvalGate) -> Check:
    """Each gated kind's rate against its limit, by its Wilson interval; the worst kind decides."""
    rule = "each kind's share of answers at most " + ", ".join(f"{kind} {getattr(gate.max_degenerate, kind):g}"
                                                               for kind in GATED_DEGENERATE_KINDS)  # fmt: skip
    base = dict(variant=candidate, name="degenerate output", rule=rule, against=None)
    by_kind = ((metrics.get("degenerate") or {}).get("detail") or {}).get("by_kind")
    n = (metrics.get("degenerate") or {}).get("n", 0)
    if by_kind is None or not n:
        return Check(passed=None, value=None, reference=None, status=NOT_RUN, reason="no answers were checked", **base)
    judged = []
    for kind in GATED_DEGENERATE_KINDS:
        count = by_kind.get(kind, {}).get("count", 0)
        low, high = wilson_interval(count, n)
        limit = getattr(gate.max_degenerate, kind)
        judged.append((kind, count, low, high, limit, judge(low, high, count / n, n, at_most=limit)))
    order = {FAIL: 0, INCONCLUSIVE: 1, PASS: 2}
    kind, count, low, high, limit, judgement = min(judged, key=lambda item: (order[item[5].status], -item[1]))
    failing = [f"{k} {c}/{n} [{lo:.0%}, {hi:.0%}] over {lim:g}" for k, c, lo, hi, lim, j in judged if j.status == FAIL]
    if failing:
        reason = "degenerate output: " + "; ".join(failing)
    else:
        reason = f"worst: {kind} {count} of {n} [{low:.0%}, {high:.0%}] against {limit:g}: " + _verdict_words(judgement.status, judgement.needed_n)
    return Check(passed={PASS: True, FAIL: False}.get(judgement.status), value=count / n, reference=limit,
                 status=judgement.status, ci_low=low, ci_high=high, n=n, needed_n=judgement.needed_n, reason=reason, **base)  # fmt: skip


def slice_check(candidate: str, mine: dict, against: str, theirs: dict, slices: dict[str, dict[str, list[int]]],
                gate: EvalGate, seed: int) -> Check:  # fmt: skip
    """No slice of at least `min_slice_examples` examples regresses by more than `max_slice_regression`
    (in `quality_metric`'s units); the worst slice decides."""
    key = gate.quality_metric
    rule = (f"no failure category or prompt cluster of at least {gate.min_slice_examples} examples below {against}'s "
            f"{QUALITY_METRIC_NAMES[key]} by more than {gate.max_slice_regression:g}")
    base = dict(variant=candidate, name="slices", rule=rule, against=against)
    judged = []
    for family, members in slices.items():
        for label, indices in members.items():
            if len(indices) < gate.min_slice_examples:
                continue
            c = compare_metric(key, mine.get(key) or {}, theirs.get(key) or {}, seed, indices)
            if c is not None:
                judged.append((f"{family} {label}", c, judge(c.low, c.high, c.delta, c.n, at_least=-gate.max_slice_regression)))
    if not judged:
        return Check(passed=None, value=None, reference=None, status=NOT_APPLICABLE,
                     reason=f"no slice has {gate.min_slice_examples} examples", **base)  # fmt: skip
    order = {FAIL: 0, INCONCLUSIVE: 1, PASS: 2}
    name, c, judgement = min(judged, key=lambda item: (order[item[2].status], item[1].delta))
    reason = (f"worst of {len(judged)} slices: {name}, delta {c.delta:+.4g} [{c.low:+.4g}, {c.high:+.4g}] on {c.n} "
              f"examples: " + _verdict_words(judgement.status, judgement.needed_n))
    return Check(passed={PASS: True, FAIL: False}.get(judgement.status), value=c.value, reference=c.reference,
                 status=judgement.status, delta=c.delta, ci_low=c.low, ci_high=c.high, n=c.n,
                 needed_n=judgement.needed_n, reason=reason, **base)  # fmt: skip


def cost_check(candidate: str, metrics: dict, cost: dict, gate: EvalGate) -> Check:
    """The configured caps on cost (p95 output tokens, seconds per example, parameters)."""
    caps = [("p95 output tokens", ((metrics.get("output_tokens") or {}).get("detail") or {}).get("p95"), gate.max_p95_output_tokens),
            ("seconds per example", (metrics.get("seconds_per_example") or {}).get("value"), gate.max_seconds_per_example),
            ("parameters", cost.get("parameters"), gate.max_parameters)]  # fmt: skip
    set_caps = [(label, value, cap) for label, value, cap in caps if cap is not None]
    rule = ", ".join(f"{label} at most {cap:g}" for label, _, cap in set_caps) or "no cap set ([eval.gate] max_p95_output_tokens, max_seconds_per_example, max_parameters)"
    base = dict(variant=candidate, name="cost", rule=rule, against=None)
    if not set_caps:
        return Check(passed=None, value=None, reference=None, status=NOT_APPLICABLE, reason="no cost cap is set", **base)
    measured = [(label, value, cap) for label, value, cap in set_caps if value is not None]
    over = [f"{label} {value:g} over {cap:g}" for label, value, cap in measured if value > cap]
    if not measured:
        return Check(passed=None, value=None, reference=None, status=NOT_RUN, reason="not measured", **base)
    label, value, cap = max(measured, key=lambda item: item[1] / item[2] if item[2] else 0)
    status = FAIL if over else PASS
    return Check(passed=status == PASS, value=value, reference=cap, status=status, n=(metrics.get("output_tokens") or {}).get("n", 0),
                 reason="; ".join(over) or f"every cap met (closest: {label} {value:g} of {cap:g})", **base)  # fmt: skip


def best_prompt_baseline(variants: dict[str, dict], kinds: dict[str, str], metric: str) -> str | None:
    """The prompt baseline with the highest `metric` (one without the figure only when none has it);
    None when no prompt baseline ran."""
    names = [name for name, kind in kinds.items() if kind in PROMPT_BASELINE_KINDS]
    if not names:
        return None
    measured = [name for name in names if (variants[name].get(metric) or {}).get("value") is not None]
    return max(measured, key=lambda name: variants[name][metric]["value"]) if measured else names[0]


def outcomes(checks: list[Check]) -> dict[str, str]:
    """Each candidate's outcome: a failed check makes a regression; else an inconclusive one makes
    "not enough evidence"; else it ships."""
    result: dict[str, str] = {}
    for check in checks:
        now = result.get(check.variant, SHIP)
        if check.status == FAIL:
            now = REGRESSION
        elif check.status == INCONCLUSIVE and now == SHIP:
            now = NOT_ENOUGH_EVIDENCE
        result[check.variant] = now
    return result


def verdicts(checks: list[Check]) -> dict[str, bool]:
    """Each candidate's verdict: True when it ships (no check failed or was inconclusive)."""
    return {name: outcome == SHIP for name, outcome in outcomes(checks).items()}
