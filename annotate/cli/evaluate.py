"""`flywheel eval`: evaluate the base, the prompt baselines (--prompt-baseline FILE, --few-shot K) and
adapters, and gate the release;
`flywheel eval human REPORT` (the blind A/B win rate), `flywheel eval gate REPORT` (re-check a
report against the current thresholds) and `flywheel eval list` (the project's reports).

Exit codes: 0 every candidate passed the gate (or there was none), 1 an error, 3 a candidate
failed the gate, so the command can sit in a release pipeline.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.cli.progress import progress_bar
from annotate.contracts.eval_metrics import EVAL_METRICS, formatted, plain_number
from annotate.contracts.report import read_report
from annotate.errors import EvaluationError

GATE_FAILED = 3

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
) -> None:
    """Answer held-out production prompts with every variant, measure quality, consistency, forgetting
    and safety, write reports/NAME, and exit 3 when a candidate fails the gate."""
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
        safety=safety, seed=seed, few_shot=few_shot, max_items=max_items, gate=settings.gate, format_check=FormatCheck(config.validators, project.root),
        similarity=similarity_for(config.flagging), agree_above=config.flagging.inconsistent_below,
        decoding=Decoding(settings.max_new_tokens, settings.batch_size, settings.max_length),
    )  # fmt: skip
    with progress_bar(ctx.obj.quiet, "generating") as update:
        report = main(request, update)
    if human_eval is not None:
        _route_human_eval(project, report, out, human_eval, human_baseline, route, seed)
    _show(report)
    console.print(f"Report: [bold]{escape(str(out))}[/] (report.json, report.md, charts/, outputs.jsonl)")
    if not report["passed"]:
        raise typer.Exit(GATE_FAILED)


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
    pairs, identical = pairs_to_route(read_outputs(out), candidates, against, n, seed)
    with project.open_store() as store:
        tasks = route_pairs(store, project.config, report["report"], pairs, route=route, seed=seed)
    report["human_eval"] = {"baseline": against, "route": route, "per_candidate": n, "identical_answers": identical,
                            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "tasks": tasks,
                            "results": None}  # fmt: skip
    update_report(out, report)
    console.print(f"Routed {len(tasks)} blind A/B task(s) to the experts ({route}); identical answers skipped: "
                  + ", ".join(f"{name} {count}" for name, count in identical.items())  # fmt: skip
                  + (". Push them with `flywheel labelstudio push`." if route == "labelstudio" else "."))


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
    runs); exits 3 when a candidate fails."""
    from train.gate import gate_checks, verdicts

    report = read_report(report_dir)
    kinds = {variant["name"]: variant["kind"] for variant in report["variants"]}
    checks = gate_checks({v["name"]: v["metrics"] for v in report["variants"]}, kinds, ctx.obj.project().config.eval.gate)
    report["checks"], report["verdicts"] = [c.as_dict() for c in checks], verdicts(checks)
    report["passed"] = all(report["verdicts"].values())
    _show_checks(report)
    if not report["passed"]:
        raise typer.Exit(GATE_FAILED)


def _show(report: dict) -> None:
    variants = report["variants"]
    table = Table("metric", *[escape(v["name"]) for v in variants], title=f"Evaluation {escape(report['report'])}")
    known = {key for key, *_ in EVAL_METRICS}
    extra = sorted({key for v in variants for key in v["metrics"]} - known)  # a metric the vocabulary does not name yet
    for key, title in [(key, title) for key, title, _, _ in EVAL_METRICS] + [(key, key) for key in extra]:
        metrics = [v["metrics"].get(key) or {} for v in variants]
        if all(m.get("value") is None for m in metrics):
            continue
        show = formatted if key in known else (lambda _, value: plain_number(value))
        table.add_row(title, *[f"{show(key, m.get('value'))}{_interval(key, m, show)} [dim](n={m.get('n', 0):,})[/]"
                               if m.get("value") is not None else "n/a" for m in metrics])  # fmt: skip
    console.print(table)
    _show_checks(report)


def _interval(key: str, metric: dict, show) -> str:
    detail = metric.get("detail") or {}
    if detail.get("ci_low") is None:
        return ""
    return " [dim]" + escape(f"[{show(key, detail['ci_low'])}, {show(key, detail['ci_high'])}]") + "[/]"


def _show_checks(report: dict) -> None:
    if not report["checks"]:
        console.print("No candidate adapter: nothing to gate.")
        return
    table = Table("candidate", "check", "verdict", "candidate's", "against", "rule", title="Gate")
    colours = {True: "[green]pass[/]", False: "[bold red]FAIL[/]", None: "[dim]not run[/]"}
    for check in report["checks"]:
        table.add_row(escape(check["variant"]), check["name"], colours[check["passed"]], plain_number(check["value"]),
                      plain_number(check["reference"]), escape(check["rule"]))  # fmt: skip
    console.print(table)
    for name, passed in report["verdicts"].items():
        console.print(f"{escape(name)}: " + ("[green]passes the gate[/]" if passed else "[bold red]fails the gate[/]"))
