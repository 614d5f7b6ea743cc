"""Production logs from a real model: the sample prompts answered by it, as a new round's records.

    python -m train.sample_logs --base models/smollm2 --out data/sample/smollm2_records.jsonl

The first `--n` records of `data/sample/records.jsonl` (the generator's stream is in fixed
proportions whatever its length, so its start is a representative slice: every intent, JSON
tasks, personal data, paraphrase groups, multi-turn conversations) are answered again by the
model: greedy (deterministic), batched by prompt length, one torch thread per worker process.
Each record keeps the conversation, group and metadata of the one it answers, and gets:
- `id`: the original id plus `LOG_SUFFIX`, so the simulated experts (`annotate.sample.answers`)
  find the ground truth of the prompt;
- `response`: the model's answer; `model`: `--model-name`;
- `logprobs`: the mean and minimum log-probability of the answer's tokens, the confidence signal
  the `low_confidence` flagger reads, measured rather than simulated;
- `created_at`: the original time moved `--days-later` days on (a later round); no feedback.

torch and transformers are imported inside the functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from annotate.errors import FlywheelError

log = logging.getLogger(__name__)

SAMPLE_RECORDS = Path(__file__).resolve().parent.parent / "data/sample/records.jsonl"
LOG_SUFFIX = "@smollm2"
MODEL_NAME = "smollm2-135m-instruct@q4_1"


def read_prompts(path: Path, n: int) -> list[dict]:
    """The first `n` records of a records file, without their answers."""
    rows = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if len(rows) == n:
                break
            row = json.loads(line)
            rows.append({key: row[key] for key in ("id", "messages", "created_at", "group", "metadata") if key in row})
    return rows


def answer(base: str, rows: list[dict], max_new_tokens: int, batch_size: int) -> list[tuple[str, float, float]]:
    """(answer, mean token logprob, min token logprob) for each row's conversation, greedy."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).eval()
    texts = [tokenizer.apply_chat_template(row["messages"], add_generation_prompt=True, tokenize=False) for row in rows]
    lengths = [len(tokenizer(text, add_special_tokens=False)["input_ids"]) for text in texts]
    order = sorted(range(len(texts)), key=lambda index: (-lengths[index], index))
    tokenizer.padding_side = "left"
    results: list[tuple[str, float, float]] = [("", 0.0, 0.0)] * len(texts)
    for start in range(0, len(order), batch_size):
        batch_ids = order[start : start + batch_size]
        batch = tokenizer([texts[index] for index in batch_ids], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                 output_scores=True, return_dict_in_generate=True)  # fmt: skip
        new = out.sequences[:, batch["input_ids"].shape[1] :]
        steps = torch.stack(out.scores, dim=1).log_softmax(-1)  # batch x steps x vocab
        chosen = steps.gather(-1, new[:, : steps.shape[1]].unsqueeze(-1)).squeeze(-1)
        for row, index in enumerate(batch_ids):
            ids = new[row].tolist()
            end = ids.index(tokenizer.eos_token_id) + 1 if tokenizer.eos_token_id in ids else len(ids)
            scores = chosen[row, :end]
            text = tokenizer.decode(ids[:end], skip_special_tokens=True).strip()
            results[index] = (text, round(float(scores.mean()), 3), round(float(scores.min()), 3))
        log.info("%d/%d answered", min(start + batch_size, len(order)), len(order))
    return results


def write_logs(base: str, out: Path, *, source: Path = SAMPLE_RECORDS, n: int = 300, max_new_tokens: int = 64,
               batch_size: int = 16, workers: int = 2, model_name: str = MODEL_NAME, days_later: int = 40) -> int:  # fmt: skip
    """Answer the first `n` sample prompts with `base` and write them as records to `out`; returns the count."""
    rows = read_prompts(source, n)
    shards = [rows[index::workers] for index in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        answered = list(pool.map(answer, [base] * workers, shards, [max_new_tokens] * workers, [batch_size] * workers))
    by_id = {row["id"]: result for shard, results in zip(shards, answered) for row, result in zip(shard, results)}
    tmp = out.with_name(out.name + ".tmp")
    written = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as lines:
        for row in rows:
            text, mean, minimum = by_id[row["id"]]
            if not text:  # an empty answer is not a valid record; say so rather than invent one
                log.warning("%s: the model gave an empty answer; left out", row["id"])
                continue
            record = {"id": row["id"] + LOG_SUFFIX, "messages": row["messages"], "response": text, "model": model_name,
                      "created_at": _later(row.get("created_at"), days_later), "logprobs": {"mean": mean, "min": minimum}}  # fmt: skip
            record.update({key: row[key] for key in ("group", "metadata") if key in row})
            lines.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1
    os.replace(tmp, out)
    return written


def _later(created_at: str | None, days: int) -> str | None:
    if created_at is None:
        return None
    moved = datetime.fromisoformat(created_at.replace("Z", "+00:00")) + timedelta(days=days)
    return moved.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="The model folder (flywheel models import-gguf).")
    parser.add_argument("--out", type=Path, required=True, help="Records file to write (JSONL).")
    parser.add_argument("--source", type=Path, default=SAMPLE_RECORDS, help="Records whose prompts are answered.")
    parser.add_argument("--n", type=int, default=300, help="How many of its first records.")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="Processes, one torch thread each.")
    parser.add_argument("--model-name", default=MODEL_NAME, help="The records' model field (name@version).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    try:
        count = write_logs(args.base, args.out, source=args.source, n=args.n, max_new_tokens=args.max_new_tokens,
                           batch_size=args.batch_size, workers=args.workers, model_name=args.model_name)  # fmt: skip
    except (FlywheelError, OSError) as exc:
        print(f"error: {exc}")
        return 1
    print(f"{args.out}: {count} records in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
