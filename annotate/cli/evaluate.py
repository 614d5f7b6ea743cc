"""`flywheel eval`: evaluate the base, the prompt baselines (--prompt-baseline FILE, --few-shot K) and
adapters, and gate the release;
`flywheel eval human REPORT` (the blind A/B win rate), `flywheel eval gate REPORT` (re-check a
report against the current thresholds) and `flywheel eval list` (the project's reports).

Exit codes, so the command can sit in a release pipeline: 0 every candidate ships (or there was
none), 1 an error, 3 a candidate failed a check (a regression), 4 no candidate failed but one has
an inconclusive check (not enough evidence; 3 instead with `[eval.gate] inconclusive_is_failure`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.cli.progress import progress_bar
from annotate.contracts.eval_metrics import EVAL_METRICS, check_cells, distinct_digits, formatted, outcome_of, plain_number
from annotate.contracts.report import read_report
from annotate.errors import EvaluationError

GATE_FAILED = 3
NOT_ENOUGH_EVIDENCE = 4
SAMPLE_OUTPUTS = 3  # production examples printed after an evaluation

eval_app = typer.Typer(help="Evaluate base vs prompt baseline vs adapters on held-out production inputs; gate the release.",
                       invoke_without_command=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


@eval_app.callback()
def evaluate(
    ctx: typer.Context,
    base: str = typer.Option(None, "--base", help="Base model: a local folder (or a hub id where a hub is reachable)."),
    adapters: list[Path] = typer.Option([], "--adapter", help="A run folder (runs/RUN), repeatable: the candidates."),
    data: Path = typer.Option(None, "--data", help="Snapshot folder exports/NAME/vN: its eval split is the production set."),
    prompt_baseline: Path = typer.Option(None, "--prompt-baseline", help="TOML/JSON: a `system` prompt and `examples` (user/assistant pairs)."),
    general: Path = typer.Option(None, "--general", help="JSONL general set: perplexity, and accuracy with choices/answer."),
    safety: Path = typer.Option(None, "--safety", help="JSONL safety set: messages with label harmful or benign."),
    out: Path = typer.Option(None, "--out", help="Report folder, e.g. reports/NAME (never overwritten)."),
    human_eval: int = typer.Option(None, "--human-eval", help="Route N blind A/B pairs per candidate to the experts."),
    human_baseline: str = typer.Option("base", "--human-eval-against", help="What candidates are compared with by people "
                                       "(base, prompt-baseline, retrieval-few-shot or another adapter's run id)."),  # fmt: skip
    route: str = typer.Option("app", "--route", help="Where the A/B tasks go: app or labelstudio."),
    seed: int = typer.Option(0, "--seed", help="Seed for torch, the bootstrap intervals and the human-evaluation pairs."),
    few_shot: int = typer.Option(0, "--few-shot", min=0, metavar="K", help="Add the retrieval-few-shot baseline: the K "
                                 "training examples most similar to each prompt in context (0: off)."),  # fmt: skip
    max_items: int = typer.Option(None, "--max-items", min=1, metavar="N", help="Use at most N items of the general and "
                                  "of the safety set (a seeded draw keeping each kind's share), for a quick run."),  # fmt: skip
    against: Path = typer.Option(None, "--against", metavar="REPORT_OR_RUN", help="The version live now (a run folder, or "
                                 "the report that shipped it): evaluated too; candidates may not fall below it."),  # fmt: skip
) -> None:
    """Answer held-out production prompts with every variant, measure quality, consistency, forgetting
    and safety, write reports/NAME, and exit 3 when a candidate fails the gate (4: not enough evidence)."""
    if ctx.invoked_subcommand is not None:
        return
    missing = [flag for flag, value in (("--base", base), ("--data", data), ("--out", out)) if value is None]
    if missing:
        raise EvaluationError(f"give {', '.join(missing)}; or a subcommand: human REPORT, gate REPORT, list")
    if route not in ("app", "labelstudio"):
        raise EvaluationError(f"--route {route}: app or labelstudio")
    _check_train_extra()
    project = ctx.obj.project()
    config = project.config
    from annotate.text.formats import FormatCheck
    from annotate.text.similarity import similarity_for
    from train.evaluate import EvalRequest, main
    from train.generation import Decoding

    settings = config.eval
    request = EvalRequest(
        base=base, data=data, out=out, adapters=list(adapters), prompt_baseline=prompt_baseline, general=general,
        safety=safety, seed=seed, few_shot=few_shot, max_items=max_items, against=against, gate=settings.gate, format_check=FormatCheck(config.validators, project.root),
        similarity=similarity_for(config.flagging), agree_above=config.flagging.inconsistent_below,
        decoding=Decoding(settings.max_new_tokens, settings.batch_size, settings.max_length),
    )  # fmt: skip
    with progress_bar(ctx.obj.quiet, "generating") as update:
        report = main(request, update)
    if human_eval is not None:
        _route_human_eval(project, report, out, human_eval, human_baseline, route, seed)
    _show(report)
    _show_outputs(out, report)
    console.print(f"Report: [bold]{escape(str(out))}[/] (report.json, report.md, charts/, outputs.jsonl)")
    _exit_for(report, settings.gate.inconclusive_is_failure)


def _exit_for(report: dict, inconclusive_is_failure: bool) -> None:
    """Exit 3 on a regression, 4 on not enough evidence (3 when that counts as failure), else return."""
    outcomes = set((report.get("outcomes") or {}).values())
    if "regression" in outcomes or (outcomes and not report["passed"] and not report.get("outcomes")):
        raise typer.Exit(GATE_FAILED)
    if "not enough evidence" in outcomes:
        raise typer.Exit(GATE_FAILED if inconclusive_is_failure else NOT_ENOUGH_EVIDENCE)


def _check_train_extra() -> None:
    from importlib.util import find_spec

    missing = [name for name in ("torch", "transformers", "peft", "sacrebleu") if find_spec(name) is None]
    if missing:
        raise EvaluationError(f"evaluation needs the train extra ({', '.join(missing)} missing): pip install -e '.[train]'")


def _route_human_eval(project, report: dict, out: Path, n: int, against: str, route: str, seed: int) -> None:
    from annotate.tasks.human_eval import pairs_to_route, route_pairs
    from train.report import read_outputs, update_report

    candidates = [v["name"] for v in report["variants"] if v["kind"] == "adapter" and v["name"] != against]
    if not candidates:
        raise EvaluationError("--human-eval needs a candidate: give an --adapter (other than --human-eval-against)")
    pairs, identical, degenerate = pairs_to_route(read_outputs(out), candidates, against, n, seed)
    with project.open_store() as store:
        tasks = route_pairs(store, project.config, report["report"], pairs, route=route, seed=seed)
    report["human_eval"] = {"baseline": against, "route": route, "per_candidate": n, "identical_answers": identical,
                            "degenerate_answers": degenerate,
                            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "tasks": tasks,
                            "results": None}  # fmt: skip
    update_report(out, report)
    console.print(f"Routed {len(tasks)} blind A/B task(s) to the experts ({route}); skipped, identical answers: "
                  + ", ".join(f"{name} {count}" for name, count in identical.items())
                  + "; a degenerate answer on either side: " + ", ".join(f"{name} {count}" for name, count in degenerate.items())
                  + (". Push them with `flywheel ls push`." if route == "labelstudio" else "."))


@eval_app.command("human")
def human(ctx: typer.Context, report_dir: Path = typer.Argument(..., metavar="REPORT", help="A report folder (reports/NAME).")) -> None:
    """The experts' verdicts on the report's blind A/B pairs: wins, losses, ties and the win rate with
    its 95% confidence interval (Wilson); written into the report."""
    from annotate.tasks.human_eval import win_rates
    from train.report import update_report

    report = read_report(report_dir)
    section = report.get("human_eval")
    if not section or not section.get("tasks"):
        raise EvaluationError(f"{report_dir}: no human evaluation was routed for this report (flywheel eval ... --human-eval N)")
    project = ctx.obj.project()
    with project.open_store() as store:
        results = win_rates(store, section["tasks"])
    section["results"] = [result.as_dict() for result in results]
    section["computed_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    update_report(report_dir, report)
    table = Table("candidate", "against", "judged", "wins", "losses", "ties", "both bad", "win rate", "95% CI")
    for r in results:
        rate = "n/a" if r.win_rate is None else f"{r.win_rate:.0%}"
        interval = "n/a" if r.ci_low is None else f"{r.ci_low:.0%} to {r.ci_high:.0%}"
        table.add_row(escape(r.candidate), escape(r.baseline), f"{r.judged} of {r.pairs}", str(r.wins), str(r.losses),
                      str(r.ties), str(r.both_bad), rate, interval)  # fmt: skip
    console.print(table)
    if any(r.judged < r.pairs for r in results):
        console.print("Some pairs are not judged yet; run this again when they are.")


@eval_app.command("list")
def list_reports(ctx: typer.Context) -> None:
    """The project's evaluation reports (reports/*/report.json), newest first, with their verdicts."""
    from annotate.reports.model_versions import list_reports as reports_of

    reports, problems = reports_of(ctx.obj.project())
    for problem in problems:
        console.print(f"[yellow]{escape(problem)}[/]")
    if not reports:
        console.print("No evaluation reports in this project's reports/ folder yet (flywheel eval ... --out reports/NAME).")
        return
    table = Table("report", "created", "snapshot", "candidates", "gate", "human A/B")
    for summary in reports:
        report = summary.report
        verdicts = report.get("verdicts", {})
        gate = "no candidate" if not verdicts else ("[green]passed[/]" if report.get("passed") else "[bold red]FAILED[/]")
        human = report.get("human_eval") or {}
        judged = ", ".join(f"{r['candidate']} {r['win_rate']:.0%}" for r in human.get("results") or [] if r["win_rate"] is not None)
        table.add_row(escape(summary.name), report.get("created_at", "?")[:16], escape(f"{report['snapshot']['name']} v{report['snapshot']['version']}"),
                      escape(", ".join(v["name"] for v in report["variants"] if v["kind"] == "adapter") or "-"), gate, escape(judged or (f"{len(human['tasks'])} routed" if human else "-")))  # fmt: skip
    console.print(table)


@eval_app.command("gate")
def gate(ctx: typer.Context, report_dir: Path = typer.Argument(..., metavar="REPORT", help="A report folder (reports/NAME).")) -> None:
    """Re-check a report's figures against the project's current [eval.gate] thresholds (no model
    runs); exits 3 on a regression, 4 on not enough evidence."""
    from train.gate import gate_checks, outcomes, verdicts

    report = read_report(report_dir)
    gate_settings = ctx.obj.project().config.eval.gate
    kinds = {variant["name"]: variant["kind"] for variant in report["variants"]}
    checks = gate_checks({v["name"]: v["metrics"] for v in report["variants"]}, kinds, gate_settings,
                         report.get("decoding", {}).get("seed", 0), report["inputs"]["production"].get("slices"),
                         {v["name"]: v.get("cost") or {} for v in report["variants"]})  # fmt: skip
    report["checks"], report["verdicts"], report["outcomes"] = [c.as_dict() for c in checks], verdicts(checks), outcomes(checks)
    report["passed"] = all(report["verdicts"].values())
    _show_checks(report)
    _exit_for(report, gate_settings.inconclusive_is_failure)


def _show(report: dict) -> None:
    variants = report["variants"]
    table = Table("metric", *[escape(v["name"]) for v in variants], title=f"Evaluation {escape(report['report'])}")
    known = {key for key, *_ in EVAL_METRICS}
    extra = sorted({key for v in variants for key in v["metrics"]} - known)  # a metric the vocabulary does not name yet
    for key, title in [(key, title) for key, title, _, _ in EVAL_METRICS] + [(key, key) for key in extra]:
        metrics = [v["metrics"].get(key) or {} for v in variants]
        if all(m.get("value") is None for m in metrics):
            continue
        digits = distinct_digits(key, [m.get("value") for m in metrics])
        table.add_row(title, *[f"{formatted(key, m.get('value'), digits)}{_interval(key, m, digits)} [dim](n={m.get('n', 0):,})[/]"
                               if m.get("value") is not None else "n/a" for m in metrics])  # fmt: skip
    console.print(table)
    _show_checks(report)


def _interval(key: str, metric: dict, digits: int) -> str:
    detail = metric.get("detail") or {}
    if detail.get("ci_low") is None:
        return ""
    return " [dim]" + escape(f"[{formatted(key, detail['ci_low'], digits)}, {formatted(key, detail['ci_high'], digits)}]") + "[/]"


def _show_checks(report: dict) -> None:
    if not report["checks"]:
        console.print("No candidate adapter: nothing to gate.")
        return
    columns = ["status", "candidate", "against", "delta [95% CI]", "n", "would need", "reason"]
    table = Table("candidate", "check", *columns, title="Gate (pass / FAIL: the whole 95% interval on one side)")
    colours = {"pass": "green", "FAIL": "bold red", "inconclusive": "yellow", "not applicable": "dim", "not run": "dim"}
    for check in report["checks"]:
        cells = check_cells(check)
        cells["status"] = f"[{colours[cells['status']]}]{cells['status']}[/]"
        table.add_row(escape(check["variant"]), check["name"], *[c if k == "status" else escape(c) for k, c in
                                                                 ((k, cells[k]) for k in columns)])  # fmt: skip
    console.print(table)
    words = {"ship": "[green]ships[/]", "regression": "[bold red]fails the gate (a regression)[/]",
             "not enough evidence": "[yellow]not enough evidence to ship[/]"}  # fmt: skip
    for name in report["verdicts"]:
        console.print(f"{escape(name)}: {words[outcome_of(report, name)]}")


def _show_outputs(out: Path, report: dict) -> None:
    """A few production answers side by side: where the variants' scores differ most."""
    from annotate.records import last_user_turn
    from train.report import differ_most, production_by_example, read_outputs

    by_id = production_by_example(read_outputs(out))
    for example_id in differ_most(by_id, SAMPLE_OUTPUTS):
        answers = by_id[example_id]
        first = next(iter(answers.values()))
        table = Table("who", "answer", title=escape(f"{example_id}: {last_user_turn(first['prompt'])[:120]}"), show_lines=True)
        table.add_row("experts", escape(first.get("reference", "")[:300]))
        for name, row in answers.items():
            marks = f" [red][{', '.join(row['degenerate'])}][/]" if row.get("degenerate") else ""
            table.add_row(escape(name), (escape(row["output"][:300]) or "[dim](empty)[/]") + marks)
        console.print(table)
