"""The engineer's Export page through Streamlit's AppTest, against a real project with decided tasks:
spec from widgets, preview, export, history, manifest and diff."""

from __future__ import annotations

import json
import tomllib

import pytest

from annotate.export.build import build_export
from annotate.export.spec import ExportSpec, spec_toml
from tests.conftest import EXPERT, REPO, run_page

EXPORT = "annotate.ui.export.export_page"
ENGINEER = "eng@x.test"

def metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def export(app, name: str):
    app.text_input(key="export-name").input(name)
    return app.button(key="export-button").click().run()


# --- who sees the page --------------------------------------------------------------------------


def test_an_annotator_is_refused(env, store):
    app = run_page(EXPORT, EXPERT, role="annotator")
    assert not app.exception
    assert app.error[0].value == "This page is only for engineer, admin accounts."
    assert not app.title and not app.button


def test_engineers_and_admins_are_offered_the_page_before_model_versions():
    from annotate.ui.pages import PAGES_BY_ROLE

    assert PAGES_BY_ROLE["engineer"] == ("overview", "export", "models", "rounds")
    assert PAGES_BY_ROLE["admin"][-3:] == ("export", "models", "rounds")
    assert "export" not in PAGES_BY_ROLE["annotator"] + PAGES_BY_ROLE["lead"]


def test_an_empty_project_previews_nothing_and_has_no_snapshots(env, store):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    assert not app.exception
    assert app.title[0].value == "Export"
    assert "No exports yet." in [markdown.value for markdown in app.markdown]
    app.button(key="export-preview-button").click().run()
    assert not app.exception
    assert metrics(app)["Train rows"] == "0"
    assert "Nothing to export" in app.warning[0].value


# --- the spec -----------------------------------------------------------------------------------


def test_the_widgets_make_the_spec_shown_as_toml(env, store):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    app.selectbox(key="export-kind").set_value("dpo").run()
    app.checkbox(key="export-gate-conflicts").uncheck()
    app.slider(key="export-near-threshold").set_value(0.7)
    app.slider(key="export-dpo-min-edit").set_value(0.3)
    app.number_input(key="export-balance-cap").set_value(5)
    app.checkbox(key="export-parquet").check().run()
    assert not app.exception
    toml_text = app.code[0].value
    spec = ExportSpec.model_validate(tomllib.loads(toml_text))
    assert not spec.conflicts.enabled and spec.exact_duplicates.enabled
    assert spec.near_duplicates.threshold == pytest.approx(0.7) and spec.dpo.min_edit == pytest.approx(0.3)
    assert spec.balance.cap_per_category == 5 and spec.parquet
    assert json.loads(app.code[1].value) == spec.model_dump(mode="json")
    assert "Rehearsal sets are answers" in " ".join(caption.value for caption in app.caption), "no rehearsal for DPO"


def test_spec_toml_round_trips_every_field():
    spec = ExportSpec.model_validate({"selection": {"rounds": ['r "1"'], "min_agreement": 0.75}, "parquet": True,
                                      "balance": {"oversample_to": 9}, "sft": {"format": "prompt_completion"}})  # fmt: skip
    assert ExportSpec.model_validate(tomllib.loads(spec_toml(spec))) == spec
    assert ExportSpec.model_validate(tomllib.loads(spec_toml(ExportSpec()))) == ExportSpec()


# --- preview ------------------------------------------------------------------------------------


def test_preview_shows_counts_gates_and_the_profile(env, store, project, decided):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    app.button(key="export-preview-button").click().run()
    assert not app.exception
    expected = build_export(store, project, "sft", ExportSpec(), seed=0)
    shown = metrics(app)
    assert shown["Train rows"] == f"{len(expected.train):,}" and shown["Eval rows"] == f"{len(expected.eval):,}"
    assert len(expected.train) + len(expected.eval) == 40
    tables = [frame.value for frame in app.dataframe]
    origins = next(table for table in tables if "origin" in table.columns).set_index("origin")
    assert origins["total"].sum() == 40 and origins.loc["correction", "total"] == 13
    categories = next(table for table in tables if "category" in table.columns).set_index("category")
    assert categories.loc["incomplete", "total"] == 13  # 0, 3, ..., 39 but the unusable 6
    gates = next(table for table in tables if "gate" in table.columns and "counts" in table.columns).set_index("gate")
    assert list(gates.index) == [report.name for report in expected.gates]
    assert (gates["on"] == "yes").sum() == 6 and gates.loc["balance", "on"] == "no" and gates.loc["leakage", "on"] == "yes"
    assert "checked" in gates.loc["conflicts", "counts"]
    assert any("split" in table.columns and "p50" in table.columns for table in tables), "the lengths table"
    assert app.get("vega_lite_chart"), "the coverage chart"
    assert not (project.root / "exports").exists(), "a preview writes nothing"


def test_a_gate_turned_off_shows_off_and_changed_settings_ask_for_a_new_preview(env, store, decided):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    app.button(key="export-preview-button").click().run()
    app.checkbox(key="export-gate-exact_duplicates").uncheck().run()
    assert "press **Preview** again" in app.info[0].value
    app.button(key="export-preview-button").click().run()
    gates = next(frame.value for frame in app.dataframe if "counts" in frame.value.columns).set_index("gate")
    assert gates.loc["exact_duplicates", "on"] == "no"


def test_rehearsal_rows_are_mixed_in_and_a_bad_file_is_a_message(env, store, project, decided):
    general = str(REPO / "data" / "sample" / "rehearsal_general.jsonl")
    app = run_page(EXPORT, ENGINEER, role="engineer")
    assert general in app.multiselect(key="export-rehearsal").options
    app.multiselect(key="export-rehearsal").select(general).run()
    app.number_input(key=f"export-ratio-{general}").set_value(0.25)
    app.button(key="export-preview-button").click().run()
    assert not app.exception
    rehearsed = int(metrics(app)["Rehearsal rows (in train)"])
    train = int(metrics(app)["Train rows"].replace(",", ""))
    assert rehearsed > 0 and abs(rehearsed / train - 0.25) < 0.03

    app.multiselect(key="export-rehearsal").unselect(general)
    app.text_input(key="export-rehearsal-other").input("missing/rehearsal.jsonl")
    app.button(key="export-preview-button").click().run()
    assert not app.exception
    assert "rehearsal set" in app.error[0].value and "missing" in app.error[0].value


# --- export, history, diff ----------------------------------------------------------------------


def test_export_needs_a_name(env, store, decided):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    app.button(key="export-button").click().run()
    assert app.error[0].value == "Give the dataset a name first."
    assert store.datasets() == []


def test_export_writes_and_registers_the_snapshot_and_history_shows_it(env, store, project, decided):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    app.button(key="export-preview-button").click().run()
    export(app, "support-sft")
    assert not app.exception
    folder = project.root / "exports" / "support-sft" / "v1"
    assert (folder / "train.jsonl").is_file() and (folder / "manifest.json").is_file()
    (row,) = store.datasets()
    assert (row.name, row.version, row.kind, row.path) == (
        "support-sft",
        1,
        "sft",
        "exports/support-sft/v1",
    )
    assert app.success[0].value.startswith("Exported **support-sft v1**")  # a hyphen mid-word needs no escaping
    assert str(folder) in [code.value for code in app.code]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert row.counts == manifest["counts"] and row.file_hashes == manifest["files"] and row.spec == manifest["spec"]
    history = next(frame.value for frame in app.dataframe if "created (UTC)" in frame.value.columns)
    assert history[["name", "version", "train", "eval"]].values.tolist() == [
        ["support-sft", "v1", manifest["counts"]["train"], manifest["counts"]["eval"]]]  # fmt: skip
    assert app.selectbox(key="export-manifest-pick").value == "support-sft v1"
    shown = json.loads(app.json[0].value)
    assert shown["name"] == "support-sft" and shown["version"] == 1 and "rows" not in shown
    assert shown["counts"] == manifest["counts"]
    assert any("Export a name twice" in markdown.value for markdown in app.markdown)


def test_two_versions_are_compared(env, store, project, decided):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    export(app, "support-sft")
    app.slider(key="export-eval-fraction").set_value(0.3)
    app.button(key="export-button").click().run()
    assert not app.exception
    assert [row.version for row in store.datasets("support-sft")] == [1, 2]
    assert (project.root / "exports" / "support-sft" / "v2" / "manifest.json").is_file()
    assert app.selectbox(key="export-diff-name").value == "support-sft"
    assert (
        app.selectbox(key="export-diff-old-support-sft").value,
        app.selectbox(key="export-diff-new-support-sft").value,
    ) == (1, 2)
    v1, v2 = (
        json.loads((project.root / "exports" / "support-sft" / f"v{n}" / "manifest.json").read_text()) for n in (1, 2)
    )
    counts = next(frame.value for frame in app.dataframe if "change" in frame.value.columns).set_index("count")
    assert (counts.loc["eval", "v1"], counts.loc["eval", "v2"]) == (v1["counts"]["eval"], v2["counts"]["eval"])
    assert counts.loc["eval", "change"] == v2["counts"]["eval"] - v1["counts"]["eval"] > 0
    shown = metrics(app)
    assert shown["Added rows"] == "0" and shown["Removed rows"] == "0" and int(shown["Changed rows"]) > 0

    app.selectbox(key="export-diff-old-support-sft").set_value(2).run()  # a version against itself
    assert metrics(app)["Changed rows"] == "0"
    assert metrics(app)["Unchanged rows"] == str(v2["counts"]["train"] + v2["counts"]["eval"])


def test_a_snapshot_whose_manifest_is_gone_or_broken_is_named_in_one_message(env, store, project, decided):
    app = run_page(EXPORT, ENGINEER, role="engineer")
    export(app, "support-sft")
    manifest = project.root / "exports" / "support-sft" / "v1" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"kind": "sft"', '"kind": "rlhf"'))
    app.run()
    assert f"{manifest}: not a snapshot manifest: kind:" in app.error[0].value
    manifest.unlink()
    app.run()
    assert "support-sft/v1: no manifest.json: not a snapshot folder" in app.error[0].value
