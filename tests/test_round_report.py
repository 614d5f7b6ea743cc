"""`flywheel round report`: per round, flag rates, failure categories, agreement, exports and
evaluations, and prompt drift against the previous round."""

from __future__ import annotations

import json

from annotate.flagging import run_flaggers
from annotate.ingest import ingest_files
from annotate.project import start_round
from annotate.reports.round_report import round_report
from tests.conftest import record

INVOICES = ["How do I export my invoices to CSV?", "Can I resend an invoice to a client?", "Where do invoice numbers come from?"]
PAYROLL = ["How do I run payroll for a new employee?", "When are payroll taxes due?", "Can payroll pay contractors?"]


def _ingest(store, write_jsonl, prompts, name, thumbs=None):
    rows = [record(prompt, "An answer.", id=f"{name}-{n}", **({"feedback": {"thumbs": thumbs}} if thumbs else {}))
            for n, prompt in enumerate(prompts * 10)]  # fmt: skip
    ingest_files(store, [write_jsonl(rows, f"{name}.jsonl")], source="prod")


def test_the_report_gives_flag_rates_and_the_drift_of_prompts_between_rounds(store, project, write_jsonl, cli):
    _ingest(store, write_jsonl, INVOICES, "r1", thumbs="down")
    run_flaggers(store, project.config, project.root)
    first = round_report(store, project)
    assert first["records"] == 30 and first["drift"] is None and first["previous_round"] is None
    assert first["flag_rate"]["negative_feedback"] == {"records": 30, "rate": 1.0}

    start_round(store, "round-2")
    _ingest(store, write_jsonl, INVOICES, "r2-same")
    same = round_report(store, project, "round-2")
    assert same["drift"]["jensen_shannon"] < 0.05  # the same questions: the same mix
    start_round(store, "round-3")
    _ingest(store, write_jsonl, PAYROLL, "r3")
    shifted = round_report(store, project)
    assert shifted["round"]["name"] == "round-3" and shifted["drift"]["against"] == "round-2"
    assert shifted["drift"]["jensen_shannon"] > 0.9  # nothing in common
    assert shifted["flag_rate"]["any"]["records"] == 0

    shown = cli("round", "report", "round-3")
    assert shown.exit_code == 0 and "Prompt drift: Jensen-Shannon distance" in shown.output
    as_json = json.loads(cli("round", "report", "round-1", "--json").output)
    assert as_json["round"]["name"] == "round-1"
    unknown = cli("round", "report", "round-9")
    assert unknown.exit_code == 1 and "no round named 'round-9'" in unknown.output


def test_the_rounds_page_shows_the_report_of_the_chosen_round(env, store, project, write_jsonl):
    from tests.conftest import run_page

    _ingest(store, write_jsonl, INVOICES, "r1", thumbs="down")
    run_flaggers(store, project.config, project.root)
    start_round(store, "round-2")
    _ingest(store, write_jsonl, PAYROLL, "r2")
    app = run_page("annotate.ui.rounds.rounds_page", "eng@x.test", "engineer")
    assert not app.exception
    assert app.selectbox[0].value == "round-2"
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Production records"] == "30" and float(metrics["Prompt drift (JS distance)"]) > 0.9
    app.selectbox[0].select("round-1").run()
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Flagged"] == "100%" and metrics["Prompt drift (JS distance)"] == "n/a"
    refused = run_page("annotate.ui.rounds.rounds_page", "ana@x.test", "annotator")
    assert "only for lead, engineer, admin" in refused.error[0].value


def test_a_snapshot_belongs_to_the_round_it_was_exported_in_even_when_the_next_starts_that_second(store, project, decided, cli):
    assert cli("export", "--kind", "sft", "--name", "support-sft").exit_code == 0
    first = store.open_round()["name"]
    start_round(store, "next")
    assert [item["name"] for item in round_report(store, project, first)["exported"]] == ["support-sft"]
    assert round_report(store, project, "next")["exported"] == []


def test_the_migration_gives_older_snapshots_the_round_their_export_time_falls_in(project, decided, cli):
    import sqlite3

    from annotate.store import Store

    assert cli("export", "--kind", "sft", "--name", "support-sft").exit_code == 0
    with sqlite3.connect(project.db_path) as conn:  # back to the schema before the migration
        conn.execute("ALTER TABLE datasets DROP COLUMN round_id")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'add_datasets_round'")
    with Store(project.db_path) as reopened:
        (dataset,) = reopened.datasets()
        assert dataset.round_id == reopened.open_round()["id"]
