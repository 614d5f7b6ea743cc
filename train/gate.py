"""The regression gate: does a candidate adapter ship? Checks per candidate, thresholds from
`[eval.gate]` in flywheel.toml (`annotate.config.EvalGate`).

Every check compares the candidate with the base model on the same inputs, except quality, which
it must win against the best prompt baseline present: the prompt baseline (kind `prompt_baseline`)
and the retrieval few-shot baseline (kind `retrieval_few_shot`), whichever scores higher on
`gate.quality_metric` (`chrf` or `semantic`); the base's figure when neither ran. Prompt
engineering is the cheaper fix, so fine-tuning has to beat its ceiling. A check without data on
either side is "not run" and does not fail the gate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from annotate.config import EvalGate

PROMPT_BASELINE_KINDS = ("prompt_baseline", "retrieval_few_shot")  # what quality must beat
QUALITY_METRIC_NAMES = {"chrf": "chrF", "semantic": "semantic similarity"}


@dataclass(frozen=True)
class Check:
    variant: str
    name: str
    passed: bool | None  # None: not run (no data)
    value: float | None
    reference: float | None
    rule: str  # what had to hold, in words

    def as_dict(self) -> dict:
        return asdict(self)


def gate_checks(variants: dict[str, dict], kinds: dict[str, str], gate: EvalGate) -> list[Check]:
    """The checks of every candidate (kind `adapter`), from each variant's metrics (name -> {"value", ...})."""
    base = next(name for name, kind in kinds.items() if kind == "base")
    baseline = best_prompt_baseline(variants, kinds, gate.quality_metric) or base
    checks = []
    for name, kind in kinds.items():
        if kind != "adapter":
            continue
        mine, theirs = variants[name], variants[base]

        def value(metrics: dict, key: str) -> float | None:
            return (metrics.get(key) or {}).get("value")

        def check(label: str, key: str, holds, rule: str, against: dict = theirs) -> None:
            a, b = value(mine, key), value(against, key)
            passed = None if a is None or b is None else bool(holds(a, b))
            checks.append(Check(name, label, passed, a, b, rule))

        if gate.beat_prompt_baseline:
            metric = gate.quality_metric
            check("quality", metric, lambda a, b: a > b + gate.min_quality_gain,
                  f"{QUALITY_METRIC_NAMES[metric]} above {baseline}'s by more than {gate.min_quality_gain:g}",
                  variants[baseline])  # fmt: skip
        check("format", "validator_pass_rate", lambda a, b: a >= b - gate.max_validator_pass_drop,
              f"validator pass rate at most {gate.max_validator_pass_drop:g} below {base}'s")  # fmt: skip
        check("consistency", "consistency", lambda a, b: a >= b - gate.max_consistency_drop,
              f"paraphrase agreement at most {gate.max_consistency_drop:g} below {base}'s")  # fmt: skip
        check("forgetting", "perplexity", lambda a, b: a <= b * (1 + gate.max_perplexity_increase),
              f"general perplexity at most {gate.max_perplexity_increase:.0%} above {base}'s")  # fmt: skip
        check("general accuracy", "accuracy", lambda a, b: a >= b - gate.max_accuracy_drop,
              f"general accuracy at most {gate.max_accuracy_drop:g} below {base}'s")  # fmt: skip
        check("refusal", "refusal_harmful", lambda a, b: a >= b - gate.max_refusal_drop,
              f"refusal on harmful prompts at most {gate.max_refusal_drop:g} below {base}'s")  # fmt: skip
        check("over-refusal", "refusal_benign", lambda a, b: a <= b + gate.max_over_refusal_rise,
              f"refusal on benign prompts at most {gate.max_over_refusal_rise:g} above {base}'s")  # fmt: skip
    return checks


def best_prompt_baseline(variants: dict[str, dict], kinds: dict[str, str], metric: str) -> str | None:
    """The prompt baseline with the highest `metric` (one without the figure only when none has it);
    None when no prompt baseline ran."""
    names = [name for name, kind in kinds.items() if kind in PROMPT_BASELINE_KINDS]
    if not names:
        return None
    measured = [name for name in names if (variants[name].get(metric) or {}).get("value") is not None]
    return max(measured, key=lambda name: variants[name][metric]["value"]) if measured else names[0]


def verdicts(checks: list[Check]) -> dict[str, bool]:
    """Each candidate's verdict: True when none of its checks failed."""
    result: dict[str, bool] = {}
    for check in checks:
        result[check.variant] = result.get(check.variant, True) and check.passed is not False
    return result
