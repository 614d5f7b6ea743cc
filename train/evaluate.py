"""`flywheel eval`: base vs prompt baselines vs adapters on held-out production inputs, then the gate.

1. Read every input first (the snapshot's eval split, checked against its manifest; the prompt
   baseline, general and safety files; each adapter's run.json; with `few_shot` K > 0 the
   snapshot's train split, embedded into the retrieval index), so a bad file fails in seconds.
2. For each variant in turn (`train.generation`): load it, answer the production prompts and the
   safety prompts and the general set's exact-answer questions, and score the general set's
   reference answers and choices by likelihood. Then free it: one model in memory at a time.
   The prompt baseline and the retrieval few-shot baseline (`train.retrieval`: the K most similar
   training examples in context) are the base model with their wrapping, applied to every set
   (production, safety, general), as a deployed prompt would be.
3. Compute the metrics (`train.metrics`; the semantic score's embeddings from `train.semantic`;
   tool use, where references call tools, from `train.tool_metrics`),
   the win rate of each variant against the base, and the gate's checks (`train.gate`).
4. Write `report.json`, `report.md`, the charts and `outputs.jsonl` (every answer, for reading and
   for human evaluation) into the report folder (`train.report`).
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from annotate.config import EvalGate
from annotate.contracts.lineage import code_version
from annotate.contracts.report import REPORT_FILE
from annotate.errors import EvaluationError
from annotate.records import last_user_turn
from annotate.text.degenerate import Generation
from annotate.text.formats import FormatCheck
from annotate.text.similarity import TextSimilarity
from train import metrics as M
from train.eval_data import (
    GeneralItem,
    ProductionItem,
    PromptBaseline,
    SafetyItem,
    draw,
    general_stratum,
    production_items,
    read_general,
    read_prompt_baseline,  # fmt: skip
    read_safety,
    safety_stratum,
    train_items,
)
from train.gate import gate_checks, outcomes, verdicts
from train.generation import (
    Decoding,
    Progress,
    Variant,
    adapter_bytes,
    adapter_variant,
    choose_device,
    continuation_log_likelihoods,
    generate,  # fmt: skip
    load_tokenizer,
    load_variant,
    shipped_variant,
)
from train.report import write_report
from train.retrieval import RetrievalIndex
from train.runs import base_model_lineage
from train.snapshot import open_snapshot
from train.tool_metrics import output_fields, tool_metrics

log = logging.getLogger(__name__)

BASE, PROMPT_BASELINE, RETRIEVAL_FEW_SHOT = "base", "prompt-baseline", "retrieval-few-shot"


@dataclass
class EvalRequest:
    """What `flywheel eval` was asked, with the project's settings it needs."""

    base: str
    data: Path
    out: Path
    decoding: Decoding
    gate: EvalGate
    format_check: FormatCheck
    similarity: TextSimilarity
    agree_above: float  # the inconsistency flagger's threshold
    adapters: list[Path] = field(default_factory=list)
    prompt_baseline: Path | None = None
    general: Path | None = None
    safety: Path | None = None
    seed: int = 0
    max_items: int | None = None  # of the general and the safety set each (a seeded, stratified draw); None: all
    few_shot: int = 0  # K training examples in context for the retrieval few-shot baseline (0: no such variant)
    against: Path | None = None  # the version live now: a run folder, or the report that shipped it


@dataclass
class Inputs:
    production: list[ProductionItem]
    baseline: PromptBaseline | None
    general: list[GeneralItem]
    safety: list[SafetyItem]
    retrieval: RetrievalIndex | None = None

    def prompts(self) -> list[list[dict]]:
        """Every prompt any variant is asked or scored on."""
        return [i.prompt for i in self.production] + [i.prompt for i in self.safety] + [i.prompt for i in self.general]


def main(request: EvalRequest, progress: Progress | None = None) -> dict:
    """Run the evaluation and write the report; returns report.json's content."""
    started = time.perf_counter()
    out = Path(request.out)
    if (out / REPORT_FILE).exists():
        raise EvaluationError(f"{out}: a report is already there; pick another --out (reports are never overwritten)")
    if request.few_shot < 0:
        raise EvaluationError(f"--few-shot {request.few_shot}: the number of training examples shown, 0 (off) or more")
    from train.semantic import model_folder

    model_folder()  # the semantic score's model is installed: fail now, not after every answer is generated
    snapshot = open_snapshot(request.data, None)
    inputs = Inputs(
        production_items(snapshot),
        read_prompt_baseline(request.prompt_baseline) if request.prompt_baseline else None,
        draw(read_general(request.general), request.max_items, request.seed, general_stratum) if request.general else [],
        draw(read_safety(request.safety), request.max_items, request.seed, safety_stratum) if request.safety else [],
    )
    train_examples = 0
    if request.few_shot:
        from train.semantic import embed

        train = train_items(snapshot)
        inputs.retrieval = RetrievalIndex.build(train, inputs.prompts(), embed)
        inputs.retrieval.prepare(inputs.prompts())
        train_examples = len(inputs.retrieval.examples)
        log.info("retrieval few-shot: %d of %d training examples (the rest repeat an evaluated prompt)",
                 train_examples, len(train))
    variants = [Variant(BASE, "base")]
    if inputs.baseline:
        variants.append(Variant(PROMPT_BASELINE, "prompt_baseline"))
    if inputs.retrieval:
        variants.append(Variant(RETRIEVAL_FEW_SHOT, "retrieval_few_shot"))
    if request.against:
        variants.append(shipped_variant(request.against, request.base))
    variants += [adapter_variant(path, request.base) for path in request.adapters]
    names = [variant.name for variant in variants]
    if len(set(names)) != len(names):
        raise EvaluationError(f"two variants share a name ({', '.join(names)}); give each adapter once")

    import torch

    torch.manual_seed(request.seed)
    device, dtype = choose_device(torch)
    tokenizer = load_tokenizer(request.base)
    results: dict[str, dict] = {}
    costs: dict[str, dict] = {}
    for variant in variants:
        model = load_variant(variant, request.base, device, dtype)
        costs[variant.name] = {"parameters": int(model.num_parameters()), "adapter_bytes": adapter_bytes(variant), "device": device}
        results[variant.name] = _answer(model, tokenizer, variant, inputs, request, device, progress)
        del model
        gc.collect()
        if device == "cuda":
            torch.cuda.empty_cache()

    references = [item.reference for item in inputs.production]
    texts = {name: [g.text for g in results[name]["production"]] for name in names}
    base_rewards = M.sentence_chrf(texts[BASE], references)
    semantic = _semantic_scores(texts, references)
    per_variant = {name: _metrics(results[name], None if name == BASE else base_rewards, semantic[name], inputs,
                                  request) for name in names}  # fmt: skip
    _add_perplexity_change(per_variant)
    members = slice_members(inputs.production)
    slices = {name: _slice_quality(per_variant[name], members, request) for name in names}
    outputs = [row for variant in variants for row in _output_rows(variant, results[variant.name], per_variant[variant.name],
                                                                    inputs, request)]  # fmt: skip
    kinds = {variant.name: variant.kind for variant in variants}
    checks = gate_checks(per_variant, kinds, request.gate, request.seed, members, costs)
    verdict, outcome = verdicts(checks), outcomes(checks)
    tool_references = (per_variant[BASE].get("tool_call_rate") or {}).get("n", 0)  # examples whose reference calls a tool
    report = {
        "report": out.name, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code_version": code_version(), "base_model": base_model_lineage(request.base), "snapshot": snapshot.lineage(),
        "inputs": {
            "production": {"path": str(snapshot.eval_file), "examples": len(inputs.production),
                           "paraphrase_groups": len({i.group for i in inputs.production if i.group}), "slices": members,
                           **({"tool_calls": tool_references} if tool_references else {})},
            "prompt_baseline": inputs.baseline.path if inputs.baseline else None,
            "general": {"path": str(request.general), "items": len(inputs.general), "max_items": request.max_items}
                       if request.general else None,
            "safety": {"path": str(request.safety), "harmful": sum(i.harmful for i in inputs.safety),
                       "benign": sum(not i.harmful for i in inputs.safety), "max_items": request.max_items}
                      if request.safety else None,
            **({"few_shot": {"k": request.few_shot, "path": str(snapshot.train_file), "train_examples": train_examples}}
               if inputs.retrieval else {}),
        },
        "decoding": {"strategy": "greedy", "max_new_tokens": request.decoding.max_new_tokens,
                     "batch_size": request.decoding.batch_size, "max_length": request.decoding.max_length,
                     "device": device, "dtype": str(dtype).removeprefix("torch."), "seed": request.seed},
        "gate_settings": request.gate.model_dump(),
        "variants": [{"name": v.name, "kind": v.kind, "run_dir": str(v.run_dir) if v.run_dir else None,
                      "run": _run_lineage(v.run), "metrics": per_variant[v.name], "cost": costs[v.name]} for v in variants],
        "checks": [check.as_dict() for check in checks],
        "verdicts": verdict,
        "outcomes": outcome,
        "passed": all(verdict.values()),
        "shipped": next(({"variant": v.name, "source": str(request.against), "run_dir": str(v.run_dir)}
                         for v in variants if v.kind == "shipped"), None),
        "slices": slices,
        "human_eval": None,
        "seconds": round(time.perf_counter() - started, 2),
    }  # fmt: skip
    write_report(out, report, outputs)
    return report


def _answer(model, tokenizer, variant: Variant, inputs: Inputs, request: EvalRequest, device: str, progress) -> dict:
    """Everything one variant says and scores, on every input set."""
    wrap = _wrapping(variant, inputs, request)
    decode = request.decoding

    def answers(prompts: list[list[dict]], what: str, tools: list | None = None) -> list[Generation]:
        if not prompts:
            return []
        return generate(model, tokenizer, [wrap(p) for p in prompts], decode, device, progress, f"{variant.name}: {what}", tools)

    general = inputs.general
    references = continuation_log_likelihoods(model, tokenizer, [wrap(i.prompt) for i in general], [i.answer for i in general],
                                              decode, device) if general else []  # fmt: skip
    choice_items = [item for item in general if item.choices]
    flat = [(item, choice) for item in choice_items for choice in item.choices]
    choice_scores = continuation_log_likelihoods(model, tokenizer, [wrap(item.prompt) for item, _ in flat],
                                                 [choice for _, choice in flat], decode, device) if flat else []  # fmt: skip
    exact_items = [item for item in general if item.exact]
    return {
        "production": answers([item.prompt for item in inputs.production], "production", [item.tools for item in inputs.production]),
        "safety": answers([item.prompt for item in inputs.safety], "safety"),
        "exact": answers([item.prompt for item in exact_items], "general"),
        "references": references,
        "choice_scores": choice_scores,
    }


def _wrapping(variant: Variant, inputs: Inputs, request: EvalRequest):
    """What a variant does to each prompt before the model sees it."""
    if variant.kind == "prompt_baseline":
        return inputs.baseline.apply
    if variant.kind == "retrieval_few_shot":
        return lambda prompt: inputs.retrieval.wrap(prompt, request.few_shot)
    return lambda prompt: prompt


def _shots(variant: Variant, prompt: list[dict], inputs: Inputs, request: EvalRequest) -> dict:
    """The retrieval baseline's training examples for one prompt (their ids), for outputs.jsonl."""
    if variant.kind != "retrieval_few_shot":
        return {}
    return {"few_shot_ids": [item.id for item in inputs.retrieval.nearest(prompt, request.few_shot)]}


def _semantic_scores(outputs: dict[str, list[str]], references: list[str]) -> dict[str, list[float]]:
    """Each variant's per-example semantic similarity to the references (every distinct text embedded once)."""
    from train.semantic import pair_similarity

    names = list(outputs)
    scores = pair_similarity([text for name in names for text in outputs[name]], references * len(names)).tolist()
    return {name: scores[index * len(references):(index + 1) * len(references)] for index, name in enumerate(names)}


def _metrics(mine: dict, base_rewards: list[float] | None, semantic: list[float], inputs: Inputs,
             request: EvalRequest) -> dict:
    """One variant's figures; `base_rewards` (the base's per-example chrF) is None for the base itself;
    `semantic` is its per-example semantic similarity to the references."""
    from train.semantic import MODEL_NAME

    production = inputs.production
    refs = [item.reference for item in production]
    said = [g.text for g in mine["production"]]
    safety = [g.text for g in mine["safety"]]
    generated = mine["production"] + mine["safety"] + mine["exact"]
    degenerate, truncation, _ = M.degeneracy(generated)
    metrics = {
        "chrf": M.chrf(said, refs, request.seed),
        "semantic": M.semantic(semantic, request.seed, MODEL_NAME),
        "validator_pass_rate": M.validator_pass_rate(said, [i.system_prompt for i in production],
                                                     request.format_check, [last_user_turn(i.prompt) for i in production]),
        "length_ratio": M.length_ratio(said, refs),
        "win_rate_vs_base": (M.Metric(None, 0) if base_rewards is None else M.win_rate(M.sentence_chrf(said, refs), base_rewards)),
        "consistency": M.consistency(said, [i.group for i in production], request.similarity, request.agree_above),
        "degenerate": degenerate,
        "truncation": truncation,
        **M.cost(generated),
        **tool_metrics(said, refs),
    }  # fmt: skip
    if inputs.general:
        metrics["perplexity"] = M.perplexity(mine["references"])
        metrics["accuracy"] = M.accuracy(_general_correct(mine, inputs.general))
    if inputs.safety:
        metrics["refusal_harmful"] = M.refusal_rate([t for t, i in zip(safety, inputs.safety) if i.harmful])
        metrics["refusal_benign"] = M.refusal_rate([t for t, i in zip(safety, inputs.safety) if not i.harmful])
    return {key: metric.as_dict() for key, metric in metrics.items()}


def slice_members(production: list[ProductionItem]) -> dict[str, dict[str, list[int]]]:
    """Slice family -> slice -> indices of the production examples in it: each failure category
    ("none" for none) and each prompt cluster of task selection."""
    members: dict[str, dict[str, list[int]]] = {"category": {}, "cluster": {}}
    for index, item in enumerate(production):
        for category in item.categories or ("none",):
            members["category"].setdefault(category, []).append(index)
        if item.cluster is not None:
            members["cluster"].setdefault(str(item.cluster), []).append(index)
    return {family: dict(sorted(slices.items())) for family, slices in members.items() if slices}


def _slice_quality(metrics: dict, members: dict[str, dict[str, list[int]]], request: EvalRequest) -> dict:
    """Production quality (`gate.quality_metric`, per-example mean) per slice, with its bootstrap interval."""
    scores = (metrics.get(request.gate.quality_metric) or {}).get("per_example") or []
    result = {}
    for family, slices in members.items():
        result[family] = {}
        for label, indices in slices.items():
            values = [scores[i] for i in indices if i < len(scores) and scores[i] is not None]
            metric = M.mean_with_interval(values, request.seed)
            result[family][label] = {key: value for key, value in metric.as_dict().items() if key != "per_example"}
    return result


def _output_rows(variant: Variant, mine: dict, metrics: dict, inputs: Inputs, request: EvalRequest) -> list[dict]:
    """outputs.jsonl's rows of one variant: every answer, how it ended, its degenerate kinds and,
    in production, its per-example scores."""
    from annotate.text.degenerate import degenerate_kinds

    def ending(generation: Generation) -> dict:
        return {"output": generation.text, "tokens": generation.tokens, "stop": generation.stop,
                "degenerate": degenerate_kinds(generation)}  # fmt: skip

    semantic = (metrics.get("semantic") or {}).get("per_example") or []
    chrf = (metrics.get("chrf") or {}).get("per_example") or []
    rows = [{"variant": variant.name, "set": "production", "id": item.id, "prompt": item.prompt, **ending(g),
             "reference": item.reference, "group": item.group, "categories": list(item.categories), "cluster": item.cluster,
             **({"semantic": semantic[i]} if i < len(semantic) else {}), **({"chrf": round(chrf[i], 2)} if i < len(chrf) else {}),
             **_shots(variant, item.prompt, inputs, request), **output_fields(g.text, item.reference)}
            for i, (item, g) in enumerate(zip(inputs.production, mine["production"]))]  # fmt: skip
    rows += [{"variant": variant.name, "set": "safety", "id": item.id, "prompt": item.prompt, **ending(g),
              "label": "harmful" if item.harmful else "benign"} for item, g in zip(inputs.safety, mine["safety"])]  # fmt: skip
    exact = [item for item in inputs.general if item.exact]
    rows += [{"variant": variant.name, "set": "general", "id": item.id, "prompt": item.prompt, **ending(g),
              "reference": item.exact} for item, g in zip(exact, mine["exact"])]  # fmt: skip
    return rows


def _add_perplexity_change(per_variant: dict[str, dict]) -> None:
    """Forgetting in one figure: each variant's general perplexity relative to the base's (0.05: 5% higher)."""
    base = (per_variant[BASE].get("perplexity") or {}).get("value")
    for metrics in per_variant.values():
        mine = (metrics.get("perplexity") or {}).get("value")
        if base and mine is not None:
            metrics["perplexity_change"] = {"value": mine / base - 1, "n": metrics["perplexity"]["n"], "unit": "tokens"}


def _general_correct(mine: dict, general: list[GeneralItem]) -> list[bool]:
    """Per item with a choice or an exact answer: did the variant get it right?"""
    correct, scores = [], iter(mine["choice_scores"])
    for item in (i for i in general if i.choices):
        totals = [next(scores)[0] for _ in item.choices]
        correct.append(max(range(len(totals)), key=totals.__getitem__) == item.correct)
    exact_items = [i for i in general if i.exact]
    correct += [M.contains_answer(g.text, item.exact) for g, item in zip(mine["exact"], exact_items)]
    return correct


def _run_lineage(run: dict) -> dict | None:
    if not run:
        return None
    keys = ("run_id", "kind", "method", "snapshot", "init_adapter", "base_model", "finished_at", "steps", "seed", "code_version")
    return {key: run.get(key) for key in keys}
