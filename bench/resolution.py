"""Benchmark: `[resolution] method = "weighted"` (Dawid-Skene) against "majority" on a panel of
uneven annotators whose true answers are known, through the real store and `resolve`.

    .venv/bin/python bench/resolution.py                    # 20,000 tasks, 3 of 6 annotators each
    .venv/bin/python bench/resolution.py --tasks 100000     # the cost at scale

Setup (not timed): a fresh project; `--tasks` tasks (20% preference), each with a true answer
drawn as bench/agreement.py draws it, `--gold` of them gold items with that answer; `--per-task`
of the annotators answer each task, each taking the true value with their own accuracy
(`--accuracies`, default two careful experts, 0.92 and 0.88, and four hurried ones, 0.62 to 0.5)
and otherwise another value at random; written with one `executemany`, as the app stores them.

Measured on the tasks that are not gold, for majority, weighted (the default `min_posterior`
0.8) and weighted at `min_posterior` 0.51 (every lean decides but a tie): the share of tasks
resolved (coverage) and the share of those whose decided verdict or choice is the true one
(precision), each with its Wilson interval; paired over the same tasks, the difference in the
shares decided rightly and decided wrongly (resolved, true or not), by Newcombe's interval
(`annotate.stats`); and the seconds `resolve` takes on the whole answer table (median of
`--repeats` runs).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

import numpy as np

from annotate.config import Resolution
from annotate.consensus.answer_table import answer_frame
from annotate.consensus.resolution import RESOLVED, resolve
from annotate.ingest.rows import to_row
from annotate.project import init_project
from annotate.records import RecordIn
from annotate.stats import paired_rate_difference, wilson_interval
from bench.agreement import (  # noqa: E402 (after the sys.path line)
    ANNOTATION_COLUMNS,
    PROMPTS,
    RESPONSES,
    START,
    _annotation_row,
    _annotator_answer,
    _answer,
    _truth,
)


def build(workdir: Path, args: argparse.Namespace):
    """The project of the module docstring; the true value per task id and the gold task ids."""
    rng = random.Random(args.seed)
    project = init_project(workdir / "project", name="bench resolution")
    store = project.open_store()
    round_id = store.open_round()["id"]
    kinds = ["preference" if rng.random() < 0.2 else "correction" for _ in range(args.tasks)]
    truths = [_truth(kind, rng) for kind in kinds]
    gold = [rng.random() < args.gold for _ in kinds]
    records, tasks = [], []
    for kind, truth, is_gold in zip(kinds, truths, gold, strict=True):
        first = len(records)
        for _ in range(2 if kind == "preference" else 1):
            prompt = f"{rng.choice(PROMPTS)} (#{len(records)})"
            record = RecordIn(id=f"bench-{len(records)}", messages=[{"role": "user", "content": prompt}],
                              response=rng.choice(RESPONSES))  # fmt: skip
            records.append(to_row(record, source="bench", round_id=round_id, ingest_id=None))
        tasks.append({
            "kind": kind, "record_id": records[first][0], "origin": "bench", "priority": rng.random(), "why": "",
            "record_b_id": records[first + 1][0] if kind == "preference" else None, "cluster": None,
            "required_annotations": args.per_task, "is_gold": int(is_gold), "route": "app", "round_id": round_id,
            "gold_answer": json.dumps(_answer(kind, truth, truth["text"])) if is_gold else None,
        })  # fmt: skip
    with store.transaction():
        store.insert_new_records(records)
    task_ids = store.insert_tasks(tasks)
    people = [store.insert_annotator(f"expert{index}@bench.example", "annotator")["id"]
              for index in range(len(args.accuracies))]  # fmt: skip
    rows = []
    for task_id, kind, truth in zip(task_ids, kinds, truths, strict=True):
        for person in rng.sample(range(len(people)), args.per_task):
            answer = _annotator_answer(kind, truth, args.accuracies[person], rng)
            rows.append(_annotation_row(len(rows) + 1, (task_id, people[person], kind), answer, None,
                                        START + timedelta(minutes=len(rows)), rng))  # fmt: skip
    with store.transaction():
        marks = ", ".join("?" * len(ANNOTATION_COLUMNS))
        store.db.conn.executemany(f"INSERT INTO annotations ({', '.join(ANNOTATION_COLUMNS)}) VALUES ({marks})", rows)
        store.db.conn.execute("UPDATE tasks SET status = 'done', done_annotations = required_annotations")
    store.close()
    truth_of = {task_id: truth["value"] for task_id, truth in zip(task_ids, truths)}
    return project, truth_of, {task_id for task_id, is_gold in zip(task_ids, gold) if is_gold}


def rate(hits: int, n: int) -> str:
    interval = wilson_interval(hits, n)
    return f"{hits / n:.3f} ({hits:,} of {n:,}; 95% CI {interval[0]:.3f}-{interval[1]:.3f})" if n else "— (n = 0)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--per-task", type=int, default=3)
    parser.add_argument("--gold", type=float, default=0.05, help="share of tasks that are gold items")
    parser.add_argument("--accuracies", type=float, nargs="+", default=[0.92, 0.88, 0.62, 0.58, 0.54, 0.5])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project, truth, gold = build(Path(folder), args)
        with project.open_store() as store:
            frame = answer_frame(store)
        print(f"{args.tasks:,} tasks ({len(gold):,} gold), {args.per_task} of {len(args.accuracies)} annotators each "
              f"(accuracies {', '.join(f'{a:.2f}' for a in args.accuracies)}), {len(frame):,} answers")  # fmt: skip
        right: dict[str, list[int]] = {}
        wrong: dict[str, list[int]] = {}
        methods = {"majority": Resolution(), "weighted": Resolution(method="weighted"),
                   "weighted at 0.51": Resolution(method="weighted", min_posterior=0.51)}  # fmt: skip
        for method, rules in methods.items():
            seconds = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                result = resolve(frame, rules, {})
                seconds.append(time.perf_counter() - started)
            result = result.drop(index=list(gold))
            resolved = result[result["status"] == RESOLVED]
            correct = np.array([value == truth[task_id] for task_id, value in zip(resolved.index, resolved["value"])])
            decided = (result["status"] == RESOLVED).to_numpy()
            true = np.array([value == truth[task_id] for task_id, value in zip(result.index, result["value"])])
            right[method], wrong[method] = list(decided & true), list(decided & ~true)
            print(f"{method:>16}: resolves {rate(len(resolved), len(result))}; "
                  f"right when resolved {rate(int(correct.sum()), len(correct))}; "
                  f"resolve() {statistics.median(seconds):.2f} s (median of {args.repeats})")  # fmt: skip
        for method in ("weighted", "weighted at 0.51"):
            for name, outcome in (("rightly", right), ("wrongly", wrong)):
                delta, low, high = paired_rate_difference(outcome[method], outcome["majority"])
                print(f"decided {name}, {method} minus majority, paired over {len(outcome[method]):,} tasks: "
                      f"{delta:+.3f} (95% CI {low:+.3f} to {high:+.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
