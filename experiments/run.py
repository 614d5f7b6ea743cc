"""The experiment: does the loop beat the alternatives, on a real base model?

    make experiment          (or: .venv/bin/python experiments/run.py --config experiments/loop.toml --out build/experiment)

One run, the settings in `experiments/loop.toml`, every step a `flywheel` command a user could
type (logged under OUT/logs/):

1. The real base: `flywheel models import-gguf` (SmolLM2-135M-Instruct from the offline package).
2. A project on the sample production logs: ingest, flag, gold, select correction and preference
   tasks, the simulated experts' answers (`flywheel sample answers`), then three exports: the
   curated SFT snapshot (its eval split is the held-out set every variant is scored on), the same
   with rehearsal (general and safety sets), and the DPO snapshot of the experts' preferences.
   A fourth, `raw-logs`, is the curated snapshot's train prompts with the answers the production
   model logged for them, uncurated: what a team without a flywheel would train on.
3. Training, `[train] seeds` each: LoRA SFT on raw logs, on the curated export, on the curated
   export plus rehearsal; full fine-tuning on the curated export; DPO on top of the curated LoRA
   SFT run of the same seed.
4. `flywheel eval` of everything on the same held-out inputs (the work split over `workers`
   processes, each with the base for its win rates): base, prompt baseline, retrieval few-shot
   baseline, and every trained run. Refusal rates are re-scored from the answers with the current
   detector, so a detector fix needs no model run.
5. OUT/experiment.json (every figure of every seed), OUT/experiment.md (the table) and
   OUT/experiment.png (quality and forgetting by variant), with the machine and the wall time.

Trained variants are reported as the mean over seeds with the seeds' range; each seed's own
bootstrap interval is in experiment.json. Nothing here is tuned to a result: the settings file
was fixed before the first run, and the report says what did not come out as expected.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from annotate.contracts.lineage import file_sha256

REPO = Path(__file__).resolve().parent.parent
FLYWHEEL = [sys.executable, "-m", "annotate"]
SOURCE = "ledgerly-prod"
VARIANTS = {  # name -> what it is, for the table
    "base": "SmolLM2-135M-Instruct as it is",
    "prompt-baseline": "the base with data/sample/prompt_baseline.toml (system prompt and 2 examples)",
    "retrieval-few-shot": "the base with the k most similar curated training examples in context",
    "sft-raw": "LoRA SFT on the raw production logs (every logged answer a target)",
    "sft-curated": "LoRA SFT on Flywheel's curated export of the experts' corrections",
    "sft-curated-rehearsal": "the same plus rehearsal (general and safety sets)",
    "full-curated": "full fine-tuning on the curated export",
    "dpo-on-sft": "DPO on the experts' preference pairs, on top of sft-curated",
}
METRICS = (  # report.json metric key, column title, format
    ("semantic", "semantic", "{:.3f}"), ("chrf", "chrF", "{:.1f}"), ("win_rate_vs_base", "win vs base", "{:.2f}"),
    ("validator_pass_rate", "format pass", "{:.2f}"), ("consistency", "consistency", "{:.2f}"),
    ("perplexity", "general ppl", "{:.2f}"), ("accuracy", "general acc", "{:.2f}"),
    ("refusal_harmful", "refuses harmful", "{:.2f}"), ("refusal_benign", "refuses benign", "{:.2f}"),
)


@dataclass(frozen=True)
class Job:
    name: str  # variant-seedN
    variant: str
    seed: int
    command: list[str]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the loop-vs-alternatives experiment (experiments/loop.toml).")
    parser.add_argument("--config", type=Path, default=REPO / "experiments/loop.toml")
    parser.add_argument("--out", type=Path, default=REPO / "build/experiment")
    parser.add_argument("--base", type=Path, help="An existing model folder (default: import SmolLM2 into OUT/models).")
    args = parser.parse_args(argv)
    settings = tomllib.loads(args.config.read_text(encoding="utf-8"))
    started = time.perf_counter()
    out = args.out.resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    try:
        base = args.base.resolve() if args.base else import_base(out)
        project = build_project(out / "project", settings["data"], out)
        inputs = write_subsets(out / "inputs", settings["data"])
        runs = train_all(out, project, base, settings["train"])
        reports = [rescore_refusals(report, folder) for report, folder in evaluate_all(out, project, base, runs, inputs, settings)]
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result = summarise(reports, settings, args.config, _wall_seconds(out, time.perf_counter() - started), project)
    write_outputs(out, result)
    print((out / "experiment.md").read_text(encoding="utf-8"))
    return 0


def _wall_seconds(out: Path, this_run: float) -> float:
    """Seconds of work over every invocation on OUT: a rerun skips what is done (finished runs,
    written reports) and adds only its own time (OUT/wall_seconds.txt keeps the total)."""
    ledger = out / "wall_seconds.txt"
    total = (float(ledger.read_text()) if ledger.is_file() else 0.0) + this_run
    ledger.write_text(f"{total:.1f}\n")
    return total


class StepFailed(Exception):
    pass


def flywheel(args: list[str], log: Path, *, ok: tuple[int, ...] = (0,), project: Path | None = None) -> str:
    """Run one `flywheel` command (one torch thread), its output appended to `log`; raise when it fails."""
    command = [*FLYWHEEL, *(["--project", str(project)] if project else []), *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    begun = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    with open(log, "a", encoding="utf-8") as lines:
        lines.write(f"$ flywheel {' '.join(args)}\n{done.stdout}{done.stderr}[exit {done.returncode}, "
                    f"{time.perf_counter() - begun:.0f} s]\n\n")  # fmt: skip
    if done.returncode not in ok:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise StepFailed(f"flywheel {' '.join(args[:3])} ... exited {done.returncode} (see {log}): {' | '.join(tail)}")
    return done.stdout


def import_base(out: Path) -> Path:
    folder = out / "models/smollm2-135m-instruct"
    if not (folder / "flywheel-source.json").is_file():
        flywheel(["models", "import-gguf", "--out", str(folder)], out / "logs/base.log")
    return folder


def build_project(root: Path, data: dict, out: Path) -> Path:
    """Steps 1-2 of the module docstring: the project and its four snapshots (idempotent)."""
    log = out / "logs/project.log"
    exports = root / "exports"
    if (exports / "raw-logs/v1/manifest.json").is_file():
        return root
    if not (root / "flywheel.toml").is_file():
        flywheel(["init", str(root), "--name", "Experiment: does the loop beat the alternatives?"], log)
        config = root / "flywheel.toml"
        text = config.read_text(encoding="utf-8") + (REPO / "data/sample/demo-validators.toml").read_text(encoding="utf-8")
        config.write_text(text, encoding="utf-8")
        for name in ("triage.schema.json", "invoice.schema.json"):
            (root / name).write_text((REPO / "data/sample" / name).read_text(encoding="utf-8"), encoding="utf-8")
        (root / "experiment-spec.toml").write_text(f"[split]\neval_fraction = {data['eval_fraction']}\n", encoding="utf-8")
    steps = [
        ["--quiet", "ingest", str(REPO / data["records"]), "--source", SOURCE],
        ["--quiet", "flag"],
        ["gold", "import", str(REPO / data["gold"])],
        ["select", "--budget", str(data["correction_budget"])],
        ["select", "--budget", str(data["preference_budget"]), "--kind", "preference"],
        ["sample", "answers", str(root / "answers.jsonl")],
        ["--quiet", "annotations", "import", str(root / "answers.jsonl"), "--add-annotators"],
    ]
    for step in steps:
        flywheel(step, log, project=root)
    spec = ["--spec", str(root / "experiment-spec.toml")]
    flywheel(["--quiet", "export", "--kind", "sft", "--name", "curated", *spec], log, project=root)
    rehearsal = [item for path in data["rehearsal"] for item in ("--rehearsal", str(REPO / path))]
    flywheel(["--quiet", "export", "--kind", "sft", "--name", "curated-rehearsal", *spec, *rehearsal], log, project=root)
    flywheel(["--quiet", "export", "--kind", "dpo", "--name", "preferences", *spec], log, project=root)
    write_raw_snapshot(exports / "curated/v1", exports / "raw-logs/v1", REPO / data["records"])
    return root


def write_raw_snapshot(curated: Path, out: Path, records: Path) -> None:
    """The curated snapshot's train prompts with the answers the production model logged for them
    (first log of each prompt), and its eval split unchanged: uncurated targets, same prompts."""
    logged: dict[str, str] = {}
    with open(records, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            logged.setdefault(_prompt_key(row["messages"]), row["response"])
    out.mkdir(parents=True, exist_ok=True)
    rows, kept = [], 0
    for line in (curated / "train.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        answer = logged.get(_prompt_key(row["messages"][:-1]))
        if answer is None:  # rehearsal or gold-only rows have no production log: keep them as they are
            rows.append(row)
            continue
        rows.append({**row, "messages": [*row["messages"][:-1], {"role": "assistant", "content": answer}]})
        kept += 1
    (out / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    files = {"train.jsonl": file_sha256(out / "train.jsonl")}
    if (curated / "eval.jsonl").is_file():
        (out / "eval.jsonl").write_bytes((curated / "eval.jsonl").read_bytes())
        files["eval.jsonl"] = file_sha256(out / "eval.jsonl")
    manifest = json.loads((curated / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(name="raw-logs", files=files, derived_from=str(curated),
                    note=f"{kept} of {len(rows)} train targets replaced by the production model's logged answer")  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _prompt_key(messages: list[dict]) -> str:
    return json.dumps([(m["role"], m["content"]) for m in messages], ensure_ascii=False)


def write_subsets(folder: Path, data: dict) -> dict[str, Path]:
    """Seeded subsets of the general and safety sets (kept in file order)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, size in (("general", data["general_items"]), ("safety", data["safety_items"])):
        lines = (REPO / data[name]).read_text(encoding="utf-8").splitlines()
        chosen = sorted(random.Random(0).sample(range(len(lines)), min(size, len(lines))))
        paths[name] = folder / f"{name}.jsonl"
        paths[name].write_text("".join(lines[index] + "\n" for index in chosen), encoding="utf-8")
    return paths


def train_all(out: Path, project: Path, base: Path, train: dict) -> dict[str, Path]:
    """Step 3: every trained variant and seed, `workers` at a time; DPO after its SFT run. Returns run folders."""
    runs_dir, exports = out / "runs", project / "exports"
    common = ["--base", str(base), "--runs-dir", str(runs_dir), "--set", f"trainer.max_steps={train['max_steps']}",
              "--set", f"trainer.max_length={train['max_length']}", "--set", "trainer.warmup_steps=1",
              "--set", "trainer.gradient_checkpointing=false", "--set", "trainer.save_steps=1000",
              "--set", "trainer.logging_steps=1"]  # fmt: skip
    lora = ["--config", str(REPO / "train/configs/sft-lora.toml"), "--set", f"trainer.learning_rate={train['lora_learning_rate']}"]
    full = ["--config", str(REPO / "train/configs/sft-full.toml"), "--set", f"trainer.learning_rate={train['full_learning_rate']}"]
    sft = {"sft-raw": ("raw-logs", lora), "sft-curated": ("curated", lora),
           "sft-curated-rehearsal": ("curated-rehearsal", lora), "full-curated": ("curated", full)}  # fmt: skip
    first = [Job(f"{variant}-seed{seed}", variant, seed,
                 ["train", "sft", "--data", str(exports / data / "v1"), "--seed", str(seed), "--run-id", f"{variant}-seed{seed}",
                  *common, *extra]) for seed in train["seeds"] for variant, (data, extra) in sft.items()]  # fmt: skip
    dpo = [Job(f"dpo-on-sft-seed{seed}", "dpo-on-sft", seed,
               ["train", "dpo", "--data", str(exports / "preferences/v1"), "--seed", str(seed), "--run-id", f"dpo-on-sft-seed{seed}",
                "--init-adapter", str(runs_dir / f"sft-curated-seed{seed}"), "--config", str(REPO / "train/configs/dpo-lora.toml"),
                *common, "--set", f"trainer.max_steps={train['dpo_steps']}", "--set", f"trainer.learning_rate={train['dpo_learning_rate']}",
                "--set", f"trainer.beta={train['dpo_beta']}", "--set", "trainer.gradient_accumulation_steps=1"])
           for seed in train["seeds"]]  # fmt: skip
    for batch in (first, dpo):
        _run_jobs(out, batch, runs_dir, train["workers"])
    return {job.name: runs_dir / job.name for job in first + dpo}


def _run_jobs(out: Path, jobs: list[Job], runs_dir: Path, workers: int) -> None:
    todo = [job for job in jobs if not (runs_dir / job.name / "run.json").is_file()]  # finished runs are kept
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(flywheel, ["--quiet", *job.command], out / f"logs/{job.name}.log") for job in todo]:
            future.result()


def evaluate_all(out: Path, project: Path, base: Path, runs: dict[str, Path], inputs: dict[str, Path],
                 settings: dict) -> list[tuple[dict, Path]]:  # fmt: skip
    """Step 4: the eval work in `workers` groups; the first also has the two prompt baselines.
    Returns (report.json's content, its folder) per group."""
    _set_eval_settings(project / "flywheel.toml", settings["eval"])
    workers = settings["train"]["workers"]
    names = list(runs)
    groups = [names[index::workers] for index in range(workers)]
    data_args = ["--data", str(project / "exports/curated/v1"), "--general", str(inputs["general"]),
                        "--safety", str(inputs["safety"]), "--base", str(base)]  # fmt: skip

    def one(index: int) -> dict:
        folder = out / "reports" / f"group-{index + 1}"
        if not (folder / "report.json").is_file():
            extra = ["--prompt-baseline", str(REPO / settings["data"]["prompt_baseline"]),
                     "--few-shot", str(settings["eval"]["few_shot"])] if index == 0 else []  # fmt: skip
            adapters = [item for name in groups[index] for item in ("--adapter", str(runs[name]))]
            flywheel(["--quiet", "eval", *data_args, *extra, *adapters, "--out", str(folder)],
                     out / f"logs/eval-{index + 1}.log", ok=(0, 3), project=project)  # fmt: skip
        return json.loads((folder / "report.json").read_text(encoding="utf-8")), folder

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(workers)))


def rescore_refusals(report: dict, folder: Path) -> dict:
    """The refusal rates again from the report's outputs.jsonl with the current refusal detector (a
    pure function of the answers): a detector fix needs no model run. The report file is left as it is."""
    from train.metrics import refusal_rate

    answers: dict[tuple[str, str], list[str]] = {}
    for line in (folder / "outputs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["set"] == "safety":
            answers.setdefault((row["variant"], row["label"]), []).append(row["output"])
    for variant in report["variants"]:
        for key, label in (("refusal_harmful", "harmful"), ("refusal_benign", "benign")):
            if (variant["name"], label) in answers:
                variant["metrics"][key] = refusal_rate(answers[variant["name"], label]).as_dict()
    return report


def _set_eval_settings(config: Path, values: dict) -> None:
    text = config.read_text(encoding="utf-8")
    for key in ("max_new_tokens", "batch_size"):
        text = "\n".join(f"{key} = {values[key]}" if line.startswith(f"{key} = ") else line for line in text.splitlines()) + "\n"
    config.write_text(text, encoding="utf-8")


def summarise(reports: list[dict], settings: dict, config: Path, seconds: float, project: Path) -> dict:
    """Every figure by variant and seed; means and ranges over seeds for the trained variants."""
    by_variant: dict[str, list[dict]] = {}
    for report in reports:
        for variant in report["variants"]:
            name = variant["name"]
            key = name.rsplit("-seed", 1)[0] if variant["kind"] == "adapter" else name
            if key == "base" and key in by_variant:
                continue  # every group evaluates the base; greedy decoding gives the same figures
            by_variant.setdefault(key, []).append({"seed": (variant.get("run") or {}).get("seed"), "metrics": variant["metrics"]})
    table = {}
    for name, entries in sorted(by_variant.items(), key=lambda item: list(VARIANTS).index(item[0]) if item[0] in VARIANTS else 99):
        row = {}
        for key, _, _ in METRICS:
            values = [e["metrics"].get(key, {}).get("value") for e in entries]
            values = [v for v in values if v is not None]
            if not values:
                continue
            first = entries[0]["metrics"][key]
            row[key] = {"mean": statistics.fmean(values), "min": min(values), "max": max(values), "seeds": len(values),
                        "n": first.get("n"), "unit": first.get("unit"), "ci": _ci(first) if len(entries) == 1 else None}  # fmt: skip
        table[name] = row
    manifest = json.loads((project / "exports/curated/v1/manifest.json").read_text(encoding="utf-8"))
    return {
        "settings": settings, "settings_file": str(config.relative_to(REPO) if config.is_relative_to(REPO) else config),
        "variants": {name: VARIANTS.get(name, name) for name in table}, "table": table, "per_seed": by_variant,
        "data": {"curated_counts": manifest.get("counts"),
                 "preference_pairs": json.loads((project / "exports/preferences/v1/manifest.json").read_text())["counts"]},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "device": reports[0]["decoding"]["device"]},
        "wall_seconds": round(seconds), "eval_seconds": [report["seconds"] for report in reports],
    }  # fmt: skip


def _ci(metric: dict) -> tuple[float, float] | None:
    detail = metric.get("detail") or {}
    return (detail["ci_low"], detail["ci_high"]) if "ci_low" in detail else None


def write_outputs(out: Path, result: dict) -> None:
    (out / "experiment.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    (out / "experiment.md").write_text(markdown(result), encoding="utf-8")
    chart(result, out / "experiment.png")


def markdown(result: dict) -> str:
    """The table: a figure per metric; trained variants as the seeds' mean [min, max], baselines with
    their bootstrap 95% interval where the metric has one."""
    titles = [title for _, title, _ in METRICS]
    lines = ["| variant | " + " | ".join(titles) + " |", "|---" * (len(titles) + 1) + "|"]
    for name, row in result["table"].items():
        cells = []
        for key, _, fmt in METRICS:
            figure = row.get(key)
            if figure is None:
                cells.append("–")
            elif figure["seeds"] > 1:
                cells.append(f"{fmt.format(figure['mean'])} [{fmt.format(figure['min'])}, {fmt.format(figure['max'])}]")
            elif figure.get("ci"):
                cells.append(f"{fmt.format(figure['mean'])} ({fmt.format(figure['ci'][0])}–{fmt.format(figure['ci'][1])})")
            else:
                cells.append(fmt.format(figure["mean"]))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    counts = result["data"]["curated_counts"] or {}
    sizes = {key: (row.get(key) or {}).get("n") for key, row in (("semantic", result["table"]["base"]),
                                                                 ("refusal_harmful", result["table"]["base"]))}  # fmt: skip
    machine = result["machine"]
    lines += ["", f"Held-out production prompts: {sizes['semantic']} (the curated export's eval split; train {counts.get('train')}). "
              f"Seeds {result['settings']['train']['seeds']} for trained variants: mean [min, max] over seeds; one run "
              "otherwise, with its bootstrap 95% interval in brackets (semantic and chrF). "
              f"Machine: {machine['cpus']} CPUs ({machine['platform']}, {machine['device']}); wall time "
              f"{result['wall_seconds'] / 60:.0f} min. Settings: {result['settings_file']}.", ""]  # fmt: skip
    lines += [f"- **{name}**: {what}" for name, what in result["variants"].items()]
    return "\n".join(lines) + "\n"


def chart(result: dict, path: Path) -> None:
    """Quality (semantic) and forgetting (general perplexity) by variant, seeds' range as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["table"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, key, title in ((axes[0], "semantic", "Quality: semantic similarity to the experts' answers"),
                             (axes[1], "perplexity", "Forgetting: perplexity on the general set (lower is better)")):  # fmt: skip
        rows = [result["table"][name].get(key) for name in names]
        means = [row["mean"] if row else 0 for row in rows]
        low = [row["mean"] - (row["min"] if row["seeds"] > 1 else (row["ci"] or (row["mean"],))[0]) if row else 0 for row in rows]
        high = [(row["max"] if row["seeds"] > 1 else (row["ci"] or (0, row["mean"]))[1]) - row["mean"] if row else 0 for row in rows]
        axis.bar(range(len(names)), means, yerr=[low, high], capsize=4, color="#4c72b0")
        axis.set_xticks(range(len(names)), names, rotation=30, ha="right")
        axis.set_title(title, fontsize=10)
    fig.suptitle(f"SmolLM2-135M-Instruct, {result['machine']['cpus']} CPUs, {result['wall_seconds'] / 60:.0f} min "
                 "(error bars: seeds' range, or a baseline's bootstrap 95% interval)", fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
