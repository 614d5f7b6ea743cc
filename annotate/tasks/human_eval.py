"""Human evaluation of model versions: blind A/B preference tasks from an evaluation's answers, and
the win rate with a confidence interval once the experts have judged them.

`pairs_to_route` takes the production answers of an evaluation (`outputs.jsonl` rows) and picks
`n` examples per candidate where the candidate and its baseline answered differently (identical
answers tell nothing) and neither answer is degenerate (`BLOCKING_KINDS`: an empty answer, a
repetition loop, template markup or a turn that never ended tells nothing either, and would tell
the expert which side is which; a truncated answer is the evaluation's token budget, shown as
is). `route_pairs` stores both answers as records (source `EVAL_SOURCE`: never flagged,
paired or exported) and makes a preference task per pair with the two answers in random order.
Experts see only the conversation and two answers, like any comparison; which model wrote which
is kept in the returned task list (the report) and in the records' metadata.

`win_rates` reads the experts' current answers: each task's verdict is its annotators' majority
choice (a tie between annotators counts as a tie). The win rate is wins / (wins + losses), with a
Wilson score interval (scipy); ties and "both bad" are counted and shown, not folded in.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from annotate.config import ProjectConfig
from annotate.errors import EvaluationError
from annotate.ingest.rows import to_row
from annotate.project import current_round
from annotate.records import RecordIn
from annotate.store import Store
from annotate.store.records import EVAL_SOURCE
from annotate.text.degenerate import Generation, degenerate_kinds

ORIGIN = "human_eval"
PRIORITY = 1.0  # the same as a strong flag: a release is waiting on these
BLOCKING_KINDS = ("empty", "repetition", "no_end_of_turn", "template_leak")  # never shown to an expert


@dataclass(frozen=True)
class Pair:
    candidate: str
    baseline: str
    example_id: str
    prompt: list[dict]
    candidate_output: str
    baseline_output: str


def pairs_to_route(outputs: list[dict], candidates: list[str], baseline: str, n: int,
                   seed: int = 0) -> tuple[list[Pair], dict, dict]:  # fmt: skip
    """Up to `n` pairs per candidate (candidate vs baseline), and per candidate how many examples
    were identical and how many had a degenerate answer on either side."""
    if n < 1:
        raise EvaluationError("--human-eval takes the number of pairs per candidate, at least 1")
    by_variant: dict[str, dict[str, dict]] = {}
    for row in outputs:
        if row["set"] == "production":
            by_variant.setdefault(row["variant"], {})[row["id"]] = row
    missing = [name for name in [baseline, *candidates] if name not in by_variant]
    if missing:
        raise EvaluationError(f"no answers of {', '.join(missing)} in this evaluation; variants: {', '.join(by_variant)}")
    rng = random.Random(seed)
    chosen, identical, degenerate = [], {}, {}
    for candidate in candidates:
        if candidate == baseline:
            continue
        ids = sorted(set(by_variant[candidate]) & set(by_variant[baseline]))
        differing = [i for i in ids if by_variant[candidate][i]["output"].strip() != by_variant[baseline][i]["output"].strip()]
        usable = [i for i in differing if not _blocked(by_variant[candidate][i]) and not _blocked(by_variant[baseline][i])]
        identical[candidate], degenerate[candidate] = len(ids) - len(differing), len(differing) - len(usable)
        for example_id in rng.sample(usable, min(n, len(usable))):
            mine, theirs = by_variant[candidate][example_id], by_variant[baseline][example_id]
            chosen.append(Pair(candidate, baseline, example_id, mine["prompt"], mine["output"], theirs["output"]))
    return chosen, identical, degenerate


def _blocked(row: dict) -> bool:
    """A degenerate answer no expert should judge (the kinds the evaluation found, or found now)."""
    kinds = row.get("degenerate")
    if kinds is None:
        kinds = degenerate_kinds(Generation(row["output"]))
    return any(kind in BLOCKING_KINDS for kind in kinds)


def route_pairs(store: Store, config: ProjectConfig, report_name: str, pairs: list[Pair], *, route: str = "app",
                seed: int = 0) -> list[dict]:  # fmt: skip
    """Store the answers and one blind preference task per pair, in one transaction; returns the task list."""
    if not pairs:
        return []
    rng = random.Random(seed)
    round_id = current_round(store)["id"]
    record_rows, placed = [], []
    for pair in pairs:
        ids = {}
        for variant, output in ((pair.candidate, pair.candidate_output), (pair.baseline, pair.baseline_output)):
            record = RecordIn(id=f"{report_name}:{variant}:{pair.example_id}", messages=_conversation(pair.prompt),
                              response=output.strip(),
                              metadata={"report": report_name, "variant": variant, "example_id": pair.example_id})  # fmt: skip
            row = to_row(record, source=EVAL_SOURCE, round_id=round_id, ingest_id=None)
            record_rows.append(row)
            ids[variant] = row[0]
        a, b = (pair.candidate, pair.baseline) if rng.random() < 0.5 else (pair.baseline, pair.candidate)
        placed.append((pair, a, b, ids[a], ids[b]))
    tasks = [{
        "kind": "preference", "record_id": record_a, "record_b_id": record_b, "origin": ORIGIN, "priority": PRIORITY,
        "why": "", "cluster": None, "required_annotations": config.overlap.annotations_per_task, "is_gold": 0,
        "gold_answer": None, "route": route, "round_id": round_id,
    } for _, _, _, record_a, record_b in placed]  # fmt: skip
    with store.transaction():
        store.insert_new_records(record_rows)
        if store.tasks_exist(ORIGIN, [task["record_id"] for task in tasks]):
            raise EvaluationError(f"the evaluation {report_name!r} already has human-evaluation tasks for these answers")
        task_ids = store.insert_tasks(tasks)
    return [{"task_id": task_id, "candidate": pair.candidate, "baseline": pair.baseline, "example_id": pair.example_id,
             "a": a, "b": b} for task_id, (pair, a, b, _, _) in zip(task_ids, placed)]  # fmt: skip


def _conversation(prompt: list[dict]) -> list[dict]:
    """The production conversation as experts see it (no evaluation scaffolding such as few-shot turns)."""
    return [{"role": m["role"], "content": m["content"]} for m in prompt if m["content"].strip()]


@dataclass(frozen=True)
class WinRate:
    candidate: str
    baseline: str
    pairs: int
    judged: int
    wins: int
    losses: int
    ties: int
    both_bad: int
    win_rate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def win_rates(store: Store, tasks: list[dict], confidence: float = 0.95) -> list[WinRate]:
    """Per candidate: the experts' verdicts on its pairs, and its win rate with a Wilson interval."""
    from scipy.stats import binomtest

    choices = store.current_choices([task["task_id"] for task in tasks])
    counts: dict[tuple[str, str], Counter] = {}
    for task in tasks:
        tally = counts.setdefault((task["candidate"], task["baseline"]), Counter())
        tally["pairs"] += 1
        verdict = _majority(choices.get(task["task_id"], []))
        if verdict is None:
            continue
        tally["judged"] += 1
        if verdict in ("a", "b"):
            tally["wins" if task[verdict] == task["candidate"] else "losses"] += 1
        else:
            tally["ties" if verdict == "tie" else "both_bad"] += 1
    results = []
    for (candidate, baseline), tally in counts.items():
        decided = tally["wins"] + tally["losses"]
        rate = low = high = None
        if decided:
            interval = binomtest(tally["wins"], decided).proportion_ci(confidence_level=confidence, method="wilson")
            rate, low, high = round(tally["wins"] / decided, 4), round(interval.low, 4), round(interval.high, 4)
        results.append(WinRate(candidate, baseline, tally["pairs"], tally["judged"], tally["wins"], tally["losses"],
                               tally["ties"], tally["both_bad"], rate, low, high, confidence))  # fmt: skip
    return results


def _majority(choices: list[str]) -> str | None:
    """The most common choice; None when unanswered, 'tie' when the annotators split evenly."""
    if not choices:
        return None
    ranked = Counter(choices).most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "tie"
    return ranked[0][0]
