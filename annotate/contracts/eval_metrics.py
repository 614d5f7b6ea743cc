"""The evaluation report's metrics, as a vocabulary both sides share: `train.report` writes and
charts them, the review app's Model versions page shows them.

Each entry: (key in report.json's `metrics`, title, how a value reads, higher is better: True,
False, or None where neither is).
"""

from __future__ import annotations

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
)


def plain_number(value: float | None) -> str:
    """A check's figure as people read it (4 significant digits; "n/a" when not measured)."""
    return "n/a" if value is None else f"{value:.4g}"


def formatted(key: str, value: float | None) -> str:
    """A metric's value as people read it ("n/a" when it was not measured)."""
    if value is None:
        return "n/a"
    return next(fmt for name, _, fmt, _ in EVAL_METRICS if name == key).format(value)
