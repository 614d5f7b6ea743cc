"""`report.json`: what `flywheel eval` writes into a report folder (`train.report`), and the one reader of it.

The Model versions page, the round report and `flywheel eval human|gate|list` read it with
`read_report(folder)`, which returns the JSON object as written (they read it as a dict, and
`flywheel eval human` writes it back with the human evaluation added) or raises
`EvaluationError` naming the file. `EvalReport` describes every key the writer puts there;
`schemas/report.schema.json` is generated from it (`flywheel schemas write`) and the tests
check a real evaluation's report against it. Metric names are open-ended (`eval_metrics`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field

from annotate.config import EvalGate, Section
from annotate.contracts.lineage import BaseModelLineage, RunLineage, SnapshotLineage
from annotate.errors import EvaluationError

REPORT_FILE = "report.json"
VariantKind = Literal["base", "prompt_baseline", "retrieval_few_shot", "adapter", "shipped"]


class Metric(Section):
    """One figure with its sample size (`train.metrics.Metric`)."""

    value: float | None = Field(description="null: nothing to measure.")
    n: int = Field(ge=0, description="The sample size, in `unit`.")
    unit: str = Field(description="What `n` counts: examples, pairs or tokens.")
    detail: dict[str, Any] | None = Field(default=None, description="Written only when the metric has one: a bootstrap "
                                         "or Wilson interval (ci_low, ci_high), counts.")
    per_example: list[float | None] | None = Field(default=None, description="Each example's figure, in the order of the "
                                                   "set (null where not measured): the gate pairs them with a reference's.")
    weights: list[int] | None = Field(default=None, description="Perplexity: each item's tokens (per_example is its "
                                      "negative log-likelihood); per-argument match: each example's reference "
                                      "arguments (per_example: those matched).")


class VariantCost(Section):
    parameters: int | None = Field(default=None, ge=0, description="The model's parameters (an adapter merged in).")
    adapter_bytes: int | None = Field(default=None, ge=0, description="The adapter's files on disk (a full run: its weights).")
    device: str


class Variant(Section):
    name: str = Field(description='"base", "prompt-baseline", or an adapter\'s run id.')
    kind: VariantKind
    run_dir: str | None = Field(description="An adapter's run folder.")
    run: RunLineage | None = Field(description="An adapter's run.json lineage.")
    metrics: dict[str, Metric] = Field(description="Metric key (annotate.contracts.eval_metrics) -> figure.")
    cost: VariantCost | None = Field(default=None, description="What running it takes.")


class GateCheck(Section):
    """One of a candidate's gate checks (`train.gate.Check`)."""

    variant: str
    name: str = Field(description="quality, format, consistency, forgetting, general accuracy, refusal, over-refusal.")
    passed: bool | None = Field(description="true: pass; false: fail; null: inconclusive, not applicable or not run.")
    value: float | None = Field(description="The candidate's figure.")
    reference: float | None = Field(description="What it was compared with (the reference's figure, or a limit).")
    rule: str = Field(description="What had to hold, in words.")
    status: Literal["pass", "fail", "inconclusive", "not_applicable", "not_run"] = Field(
        default="not_run", description="pass / fail: the whole interval on one side of the threshold; inconclusive: it straddles it.")
    against: str | None = Field(default=None, description="The variant compared with; null: a fixed limit.")
    delta: float | None = Field(default=None, description="Candidate minus reference (perplexity: relative).")
    ci_low: float | None = Field(default=None, description="The delta's paired bootstrap interval (a rate's Wilson interval against a limit).")
    ci_high: float | None = None
    n: int = Field(default=0, ge=0, description="The examples (pairs, tokens) it rests on.")
    needed_n: int | None = Field(default=None, description="Inconclusive: about how many would decide it.")
    reason: str = Field(default="", description="Why this status, in words.")


class ProductionInput(Section):
    path: str = Field(description="The snapshot's eval.jsonl.")
    examples: int = Field(ge=0)
    paraphrase_groups: int = Field(ge=0)
    slices: dict[str, dict[str, list[int]]] | None = Field(
        default=None, description="Slice family (category, cluster) -> slice -> the indices of its examples.")
    tool_calls: int | None = Field(default=None, ge=1, description="Examples whose reference calls a tool (absent: none; "
                                   "the tool-use metrics are then absent too).")


class GeneralInput(Section):
    path: str
    items: int = Field(ge=0)
    max_items: int | None = Field(default=None, description="--max-items: a seeded draw of at most this many (null: all).")


class SafetyInput(Section):
    path: str
    harmful: int = Field(ge=0)
    benign: int = Field(ge=0)
    max_items: int | None = Field(default=None, description="--max-items: a seeded draw of at most this many (null: all).")


class FewShotInput(Section):
    k: int = Field(ge=1, description="Training examples put in context per prompt.")
    path: str = Field(description="The train split they come from.")
    train_examples: int = Field(ge=0, description="Training examples it could choose from (none equal to an evaluated prompt).")


class Inputs(Section):
    production: ProductionInput
    prompt_baseline: str | None = Field(description="The prompt baseline file.")
    general: GeneralInput | None
    safety: SafetyInput | None
    few_shot: FewShotInput | None = Field(default=None, description="The retrieval few-shot baseline (flywheel eval --few-shot K).")


class Decoding(Section):
    strategy: Literal["greedy"]
    max_new_tokens: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    max_length: int = Field(ge=1)
    device: str
    dtype: str
    seed: int


class HumanEvalTask(Section):
    """One blind A/B task (`annotate.tasks.human_eval.route_pairs`): which side showed which variant."""

    task_id: int
    candidate: str
    baseline: str
    example_id: str
    a: str
    b: str


class WinRate(Section):
    """The experts' verdicts on one candidate's pairs (`annotate.tasks.human_eval.WinRate`)."""

    candidate: str
    baseline: str
    pairs: int = Field(ge=0)
    judged: int = Field(ge=0)
    wins: int = Field(ge=0)
    losses: int = Field(ge=0)
    ties: int = Field(ge=0)
    both_bad: int = Field(ge=0)
    win_rate: float | None = Field(description="wins / (wins + losses); null with neither.")
    ci_low: float | None
    ci_high: float | None
    confidence: float = Field(gt=0, lt=1)


class HumanEval(Section):
    """Written by `flywheel eval --human-eval N`; `results` by `flywheel eval human REPORT`."""

    baseline: str
    route: Literal["app", "labelstudio"]
    per_candidate: int = Field(ge=0)
    identical_answers: dict[str, int] = Field(description="Candidate -> pairs skipped: both answers the same.")
    degenerate_answers: dict[str, int] = Field(default_factory=dict, description="Candidate -> pairs skipped: a degenerate "
                                               "answer (empty, repetition, template markup, no end of turn) on either side.")
    created_at: str
    tasks: list[HumanEvalTask]
    results: list[WinRate] | None
    computed_at: str | None = Field(default=None, description="When `results` were computed.")


class ShippedVersion(Section):
    variant: str = Field(description="Its variant in this report (kind shipped).")
    source: str = Field(description="The --against given: a run folder or a report folder.")
    run_dir: str


class EvalReport(Section):
    """An evaluation's `report.json`: every figure with its sample size, each variant's lineage, the
    gate's checks and verdicts, and the human evaluation."""

    model_config = ConfigDict(extra="forbid", title="Flywheel evaluation report")

    report: str = Field(description="The report's name (its folder's).")
    created_at: str = Field(description="ISO 8601, UTC.")
    code_version: str
    base_model: BaseModelLineage
    snapshot: SnapshotLineage
    inputs: Inputs
    decoding: Decoding
    gate_settings: EvalGate = Field(description="The project's [eval.gate] thresholds when it ran.")
    variants: list[Variant]
    checks: list[GateCheck]
    verdicts: dict[str, bool] = Field(description="Candidate -> ships (no check failed or inconclusive).")
    outcomes: dict[str, Literal["ship", "regression", "not enough evidence"]] = Field(
        default_factory=dict, description="Candidate -> ship, regression (a check failed) or not enough evidence.")
    passed: bool = Field(description="Every candidate ships (true with none).")
    shipped: ShippedVersion | None = Field(default=None, description="flywheel eval --against: the version live now.")
    slices: dict[str, dict[str, dict[str, Metric]]] | None = Field(
        default=None, description="Variant -> slice family (category, cluster) -> slice -> production quality.")
    human_eval: HumanEval | None
    seconds: float = Field(ge=0, description="Wall time of the evaluation.")
    charts: list[str] = Field(description="charts/METRIC.png files, relative to the report folder.")


def read_report(folder: str | Path) -> dict:
    """`report.json` of a report folder (or that file itself), as written."""
    path = Path(folder) / REPORT_FILE if Path(folder).is_dir() else Path(folder)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read the report ({exc.strerror}); give a report folder such as reports/NAME") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(report, dict):
        raise EvaluationError(f"{path}: not an evaluation report (a JSON object)")
    return report
