"""The engineer's export page: build an export spec, preview what it would write (counts, quality
gates, the data-quality profile), write the snapshot, and browse earlier snapshots and their diffs.

The domain work is `annotate.export` (`build_export`, `write_snapshot`, `diff_snapshots`, the
rehearsal files, `spec_toml`, the tables in `annotate.export.tables`) and the manifest's reader
(`annotate.contracts.manifest`); this page only turns widgets into an `ExportSpec` and shows the
results. Texts from the data (ids, gate details, cluster terms) are shown through st.dataframe /
st.text / st.json; names, paths and error messages in markdown go through `escape_markdown`.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st
from pydantic import ValidationError

from annotate.contracts.manifest import read_manifest
from annotate.errors import FlywheelError, ManifestError
from annotate.export import tables
from annotate.export.build import KINDS, ExportPlan, Rehearsal, build_export
from annotate.export.diff import SnapshotDiff, diff_snapshots
from annotate.export.rehearsal import rehearsal_candidates, rehearsal_path
from annotate.export.snapshot import list_snapshots, write_snapshot
from annotate.export.spec import ExportSpec, selection_choices, spec_toml
from annotate.project import Project
from annotate.store.datasets import RegisteredSnapshot
from annotate.ui.access import require_role
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown

PREVIEW = "export-preview"  # session state: (settings key, plan) of the last preview
LAST_EXPORT = "export-last"  # session state: (name, version, folder, train, eval) of the last export
GATE_LABELS = {
    "exact_duplicates": "Exact duplicates",
    "near_duplicates": "Near duplicates",
    "conflicts": "Conflicting answers",
    "formats": "Format validators",
    "pii": "Personal data scrubbed",
}
KIND_HELP = {
    "sft": "SFT: corrected and accepted answers (`messages` or prompt/completion).",
    "dpo": "DPO: corrected over original, preferred over rejected pairs.",
    "kto": "KTO: unpaired answers labelled desirable or not (and production thumbs).",
}


def export_page() -> None:
    require_role(page="export")
    st.title("Export")
    project = current_project()
    st.caption("Turn resolved decisions into a versioned SFT / DPO / KTO snapshot under `exports/NAME/vN/`, "
               "through the quality gates. Preview first: nothing is written until **Export**.")  # fmt: skip
    kind, name, seed = _basics()
    spec = _spec_from_widgets(project, kind)
    rehearsal = _rehearsal_inputs(project, kind)
    if spec is not None:
        _spec_text(spec)
        _actions(project, kind, name, seed, spec, rehearsal)
    _history(project)


# --- the spec -----------------------------------------------------------------------------------


def _basics() -> tuple[str, str, int]:
    """Kind, dataset name and seed."""
    kind_col, name_col, seed_col = st.columns([1, 2, 1])
    kind = kind_col.selectbox("Kind", KINDS, key="export-kind", format_func=str.upper)
    name = name_col.text_input("Dataset name", key="export-name", placeholder=f"support-{kind}",
                               help="The snapshot goes to exports/NAME/vN/; each export of a name is its next version.")  # fmt: skip
    seed = seed_col.number_input("Seed", min_value=0, value=0, step=1, key="export-seed",
                                 help="Seeds the split, the balance and the rehearsal draws.")  # fmt: skip
    st.caption(KIND_HELP[kind])
    return kind, name.strip(), int(seed)


def _spec_from_widgets(project: Project, kind: str) -> ExportSpec | None:
    """The ExportSpec the widgets describe, or None (with the problem shown) when it is invalid."""
    data = {"selection": _selection(project, kind), **_gates(), **_shaping(kind)}
    try:
        return ExportSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        st.error(escape_markdown(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"))
        return None


def _selection(project: Project, kind: str) -> dict:
    """What goes in: the gold-accuracy and agreement bars, and optional round / category / source filters."""
    st.subheader("What goes in")
    left, right = st.columns(2)
    gold = left.slider("Min gold accuracy of an annotator", 0.0, 1.0, 0.5, 0.05, key="export-min-gold",
                       help="Answers of annotators below this are left out (annotators with no gold items are kept).")  # fmt: skip
    agreement = right.number_input("Min agreement of a decision", min_value=0.0, max_value=1.0, value=None, step=0.05,
                                   key="export-min-agreement", placeholder="any",
                                   help="Only decisions at least this share of answers agree with; empty: any.")  # fmt: skip
    selection = {"min_gold_accuracy": gold, "min_agreement": agreement}
    if kind == "sft":
        selection["include_accepted"] = st.checkbox("Include answers judged acceptable as is", value=True,
                                                    key="export-include-accepted")  # fmt: skip
    if kind == "kto":
        selection["include_feedback"] = st.checkbox("Include production thumbs up/down on unjudged records",
                                                    value=True, key="export-include-feedback")  # fmt: skip
    with open_store() as store:
        rounds, categories, sources = selection_choices(store, project.config)
    with st.expander("Only some rounds, categories or sources"):
        selection["rounds"] = st.multiselect("Rounds", rounds, key="export-rounds", placeholder="all")
        selection["categories"] = st.multiselect(
            "Failure categories", categories, key="export-categories", placeholder="all"
        )
        selection["sources"] = st.multiselect("Sources", sources, key="export-sources", placeholder="all")
    return selection


def _gates() -> dict:
    """Each quality gate on or off, with the near-duplicate threshold."""
    st.subheader("Quality gates")
    columns = st.columns(5)
    on = {name: columns[number].checkbox(GATE_LABELS[name], value=True, key=f"export-gate-{name}")
          for number, name in enumerate(GATE_LABELS)}  # fmt: skip
    threshold = st.slider("Near-duplicate threshold (MinHash Jaccard for candidates)", 0.05, 1.0, 0.5, 0.05,
                          key="export-near-threshold", disabled=not on["near_duplicates"])  # fmt: skip
    return {
        "exact_duplicates": {"enabled": on["exact_duplicates"]},
        "near_duplicates": {"enabled": on["near_duplicates"], "threshold": threshold},
        "conflicts": {"enabled": on["conflicts"]},
        "formats": {"enabled": on["formats"]},
        "pii": {"enabled": on["pii"]},
    }


def _shaping(kind: str) -> dict:
    """Split, balance, the kind's own options and Parquet."""
    st.subheader("Split, balance and format")
    split_col, cap_col, over_col = st.columns(3)
    eval_fraction = split_col.slider("Eval fraction", 0.0, 0.5, 0.1, 0.05, key="export-eval-fraction",
                                     help="Share of production examples held out for evaluation.")  # fmt: skip
    cap = cap_col.number_input("Cap per failure category (train)", min_value=1, value=None, step=1,
                               key="export-balance-cap", placeholder="no cap")  # fmt: skip
    oversample = over_col.number_input("Oversample rarer categories to", min_value=1, value=None, step=1,
                                       key="export-balance-oversample", placeholder="no oversampling")  # fmt: skip
    shaping = {
        "split": {"eval_fraction": eval_fraction},
        "balance": {"cap_per_category": cap, "oversample_to": oversample},
    }
    kind_col, parquet_col = st.columns(2)
    if kind == "dpo":
        shaping["dpo"] = {"min_edit": kind_col.slider("DPO: min share of the text a correction changed", 0.0, 1.0, 0.1,
                                                      0.05, key="export-dpo-min-edit")}  # fmt: skip
    if kind == "sft":
        shaping["sft"] = {
            "format": kind_col.selectbox("SFT format", ["messages", "prompt_completion"], key="export-sft-format")
        }
    shaping["parquet"] = parquet_col.checkbox("Also write Parquet files", value=False, key="export-parquet")
    return shaping


def _rehearsal_inputs(project: Project, kind: str) -> list[Rehearsal]:
    """Rehearsal files (found beside the project, or typed) with their share of the final train set."""
    st.subheader("Rehearsal")
    if kind == "dpo":
        st.caption("Rehearsal sets are answers, not pairs: they mix into SFT and KTO exports only.")
        return []
    chosen = st.multiselect("Rehearsal files", rehearsal_candidates(project), key="export-rehearsal",
                            placeholder="none", help="General or safety examples mixed into train against forgetting.")  # fmt: skip
    other = st.text_input(
        "Another rehearsal file (JSONL; relative to the project, or absolute)", key="export-rehearsal-other"
    )
    if other.strip() and other.strip() not in chosen:
        chosen = [*chosen, other.strip()]
    mixes = []
    for path in chosen:
        ratio = st.number_input(f"Share of train for {escape_markdown(path)}", min_value=0.01, max_value=0.99, value=0.1, step=0.05,
                                key=f"export-ratio-{path}")  # fmt: skip
        mixes.append(Rehearsal(rehearsal_path(project, path), ratio))
    return mixes


def _spec_text(spec: ExportSpec) -> None:
    """The spec as TOML (and JSON) to save and reuse from the command line."""
    with st.expander("This spec as SPEC.toml (for `flywheel export --spec SPEC.toml`)"):
        toml_tab, json_tab = st.tabs(["TOML", "JSON"])
        toml_tab.code(spec_toml(spec), language="toml")
        json_tab.code(spec.model_dump_json(indent=2), language="json")
        st.download_button("Download SPEC.toml", spec_toml(spec), file_name="SPEC.toml", mime="application/toml",
                           key="export-download-spec")  # fmt: skip


# --- preview and export -------------------------------------------------------------------------


def _settings_key(kind: str, name: str, spec: ExportSpec, seed: int, rehearsal: list[Rehearsal]) -> str:
    """What a plan depends on (the name too: its earlier versions' eval prompts stay eval): a
    preview is shown only while these are unchanged."""
    return json.dumps([kind, name, spec.model_dump(), seed, [[str(item.path), item.ratio] for item in rehearsal]])


def _actions(project: Project, kind: str, name: str, seed: int, spec: ExportSpec, rehearsal: list[Rehearsal]) -> None:
    """The Preview and Export buttons, then the preview (while its settings still hold)."""
    key = _settings_key(kind, name, spec, seed, rehearsal)
    preview_col, export_col = st.columns(2)
    if preview_col.button("Preview", key="export-preview-button", type="secondary", width="stretch"):
        plan = _build(project, kind, name, spec, seed, rehearsal)
        if plan is not None:
            st.session_state[PREVIEW] = (key, plan)
    if export_col.button("Export", key="export-button", type="primary", width="stretch"):
        _export(project, name, key, kind, spec, seed, rehearsal)
    st.caption("**Export** writes what the preview shows, or builds it now with these settings when there is "
               "no preview of them.")  # fmt: skip
    _last_export()
    previewed = st.session_state.get(PREVIEW)
    if previewed and previewed[0] == key:
        _show_plan(previewed[1])
    elif previewed:
        st.info("The settings changed since the last preview: press **Preview** again.")


def _build(project: Project, kind: str, name: str, spec: ExportSpec, seed: int,
           rehearsal: list[Rehearsal]) -> ExportPlan | None:  # fmt: skip
    """build_export, with its refusals (leakage, a bad rehearsal file, ...) shown as messages."""
    try:
        with st.spinner("Building the export (gates, split, profile)..."), open_store() as store:
            return build_export(store, project, kind, spec, seed=seed, rehearsal=rehearsal, name=name or None)
    except FlywheelError as exc:
        st.error(escape_markdown(exc))
        return None


def _export(project: Project, name: str, key: str, kind: str, spec: ExportSpec, seed: int,
            rehearsal: list[Rehearsal]) -> None:  # fmt: skip
    """Write the previewed plan (or one built now with these settings) as the next version of `name`."""
    if not name:
        st.error("Give the dataset a name first.")
        return
    previewed = st.session_state.get(PREVIEW)
    plan = previewed[1] if previewed and previewed[0] == key else _build(project, kind, name, spec, seed, rehearsal)
    if plan is None:
        return
    try:
        with open_store() as store:
            folder = write_snapshot(store, project, name, plan)
    except (FlywheelError, OSError) as exc:
        st.error(escape_markdown(exc))
        return
    st.session_state[PREVIEW] = (key, plan)
    st.session_state[LAST_EXPORT] = {"name": name, "version": folder.name, "folder": str(folder),
                                     "train": len(plan.train), "eval": len(plan.eval)}  # fmt: skip


def _last_export() -> None:
    done = st.session_state.get(LAST_EXPORT)
    if done:
        st.success(f"Exported **{escape_markdown(done['name'])} {escape_markdown(done['version'])}**: "
                   f"{done['train']:,} train and {done['eval']:,} eval rows, written to:")  # fmt: skip
        st.code(done["folder"], language=None)


def _show_plan(plan: ExportPlan) -> None:
    """Counts, gates and the quality profile of a built plan."""
    st.header("Preview")
    _counts(plan)
    _gate_section(plan)
    _profile_section(plan.profile)


def _counts(plan: ExportPlan) -> None:
    dropped = sum(len(report.dropped) for report in plan.gates)
    rehearsed = sum(item["examples"] for item in plan.rehearsal)
    columns = st.columns(5)
    columns[0].metric("Train rows", f"{len(plan.train):,}")
    columns[1].metric("Eval rows", f"{len(plan.eval):,}")
    columns[2].metric("Rehearsal rows (in train)", f"{rehearsed:,}")
    columns[3].metric("Left out by the gates", f"{dropped:,}")
    columns[4].metric("Left out before the gates", f"{sum(plan.skipped.values()):,}")
    if not plan.train and not plan.eval:
        why = " (see what was left out before the gates)" if sum(plan.skipped.values()) else " yet"
        st.warning(f"Nothing to export with these settings: no resolved decision makes an example of this kind{why}.")
    origin_col, category_col = st.columns(2)
    with origin_col:
        st.markdown("**By origin**")
        st.dataframe(tables.split_table(plan.profile["origins"], "origin"), hide_index=True, width="stretch")
    with category_col:
        st.markdown("**By failure category**")
        st.dataframe(tables.split_table(plan.profile["categories"], "category"), hide_index=True, width="stretch")
    if plan.skipped:
        skipped = pd.DataFrame([{"reason": reason, "count": count} for reason, count in plan.skipped.items()])
        with st.expander("Left out before the gates"):
            st.dataframe(skipped, hide_index=True, width="stretch")
    if plan.rehearsal:
        st.markdown("**Rehearsal**")
        st.dataframe(pd.DataFrame(plan.rehearsal), hide_index=True, width="stretch")


def _gate_section(plan: ExportPlan) -> None:
    st.subheader("Quality gates")
    st.dataframe(tables.gate_table(plan), hide_index=True, width="stretch")
    dropped = tables.dropped_table(plan)
    with st.expander(f"Rows the gates left out ({len(dropped):,})"):
        if dropped.empty:
            st.write("None.")
        else:
            st.dataframe(dropped, hide_index=True, width="stretch")
    conflicts = tables.conflict_table(plan)
    waiting = next((report.counts.get("waiting_for_lead", 0) for report in plan.gates if report.name == "conflicts"), 0)
    if not conflicts.empty or waiting:
        st.markdown("**Conflicting answers for the lead**")
        st.caption(f"Near-identical questions whose expert-given answers contradict each other: all of them are left "
                   f"out until a lead settles which answer is right. **{waiting:,} conflicts wait** in the lead's "
                   "queue (Adjudicate page, `flywheel adjudicate conflicts`).")  # fmt: skip
        if not conflicts.empty:
            st.dataframe(conflicts, hide_index=True, width="stretch")


# --- the quality profile ------------------------------------------------------------------------


def _profile_section(profile: dict) -> None:
    st.subheader("Quality profile")
    lengths_col, diversity_col = st.columns(2)
    with lengths_col:
        st.markdown("**Lengths (words)**")
        st.dataframe(tables.lengths_table(profile), hide_index=True, width="stretch")
    with diversity_col:
        st.markdown("**Diversity and completeness**")
        st.dataframe(tables.diversity_table(profile), hide_index=True, width="stretch")
    st.markdown("**Sources**")
    st.dataframe(tables.split_table(profile["sources"], "source"), hide_index=True, width="stretch")
    _coverage_section(profile["coverage"])


def _coverage_section(coverage: dict) -> None:
    st.markdown("**Coverage of production prompts**")
    columns = st.columns(3)
    columns[0].metric("Production prompts clustered", f"{coverage['population']:,}")
    columns[1].metric("Train divergence (JS)", _number(coverage["train_js_distance"]))
    columns[2].metric("Eval divergence (JS)", _number(coverage["eval_js_distance"]))
    table = tables.coverage_table(coverage)
    if table.empty:
        st.write("Too few production prompts to cluster.")
        return
    st.altair_chart(_coverage_chart(table), width="stretch")
    st.caption("Production prompts clustered by topic (TF-IDF, k-means); each bar is a set's share of a cluster. "
               "Jensen-Shannon distance: 0 the same mix as production, 1 disjoint. A train set built from easy "
               "cases crowds into a few clusters.")  # fmt: skip
    with st.expander("Clusters as a table"):
        st.dataframe(table, hide_index=True, width="stretch")


def _coverage_chart(table: pd.DataFrame) -> alt.Chart:
    """Share of population, train and eval per cluster, side by side."""
    long = table.melt(id_vars=["cluster", "terms"], value_vars=["population", "train", "eval"],
                      var_name="set", value_name="share").dropna(subset=["share"])  # fmt: skip
    order = table["cluster"].tolist()
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("cluster:N", sort=order, title=None, axis=alt.Axis(labelLimit=240)),
        x=alt.X("share:Q", axis=alt.Axis(format="%"), title="share"),
        yOffset=alt.YOffset("set:N", sort=["population", "train", "eval"]),
        color=alt.Color("set:N", sort=["population", "train", "eval"], title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["terms", "set", alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=max(120, 36 * len(order)))  # fmt: skip


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


# --- history ------------------------------------------------------------------------------------


def _history(project: Project) -> None:
    """Every snapshot, one's manifest, and the diff of two versions of a name."""
    st.header("Snapshots")
    with open_store() as store:
        rows = list_snapshots(store)
    if not rows:
        st.write("No exports yet.")
        return
    st.dataframe(tables.datasets_table(rows), hide_index=True, width="stretch")
    _manifest_section(project, rows)
    _diff_section(project, rows)


def _manifest_section(project: Project, rows: list[RegisteredSnapshot]) -> None:
    st.subheader("Manifest")
    by_label = {f"{row.name} v{row.version}": row for row in reversed(rows)}
    label = st.selectbox("Snapshot", list(by_label), key="export-manifest-pick")
    try:
        manifest = read_manifest(project.root / by_label[label].path)
    except ManifestError as exc:  # missing (the folder was moved or deleted), or not a manifest
        st.error(escape_markdown(exc))
        return
    st.caption(f"{len(manifest.rows):,} rows of lineage (ids, records, tasks, annotators) are in the "
               "manifest file itself; everything else is below.")  # fmt: skip
    st.json(manifest.as_written(rows=False), expanded=1)


def _diff_section(project: Project, rows: list[RegisteredSnapshot]) -> None:
    st.subheader("Compare two versions")
    versions: dict[str, list[RegisteredSnapshot]] = {}
    for row in rows:
        versions.setdefault(row.name, []).append(row)
    names = [name for name, found in versions.items() if len(found) > 1]
    if not names:
        st.write("Export a name twice to compare its versions.")
        return
    name = st.selectbox("Dataset", names, key="export-diff-name")
    numbers = [row.version for row in versions[name]]
    old_col, new_col = st.columns(2)
    old = old_col.selectbox(
        "Old version", numbers, index=len(numbers) - 2, format_func="v{}".format, key=f"export-diff-old-{name}"
    )
    new = new_col.selectbox(
        "New version", numbers, index=len(numbers) - 1, format_func="v{}".format, key=f"export-diff-new-{name}"
    )
    paths = {row.version: project.root / row.path for row in versions[name]}
    try:
        difference = diff_snapshots(paths[old], paths[new])
    except (ManifestError, OSError, ValueError, KeyError) as exc:
        st.error(escape_markdown(f"Cannot compare these snapshots: {exc}"))
        return
    _show_diff(difference, f"v{old}", f"v{new}")


def _show_diff(difference: SnapshotDiff, old: str, new: str) -> None:
    columns = st.columns(4)
    columns[0].metric("Added rows", f"{len(difference.added):,}")
    columns[1].metric("Removed rows", f"{len(difference.removed):,}")
    columns[2].metric("Changed rows", f"{len(difference.changed):,}")
    columns[3].metric("Unchanged rows", f"{difference.unchanged:,}")
    st.dataframe(tables.diff_table(difference, old, new), hide_index=True, width="stretch")
    ids = [{"change": label, "id": row_id} for label, found in
           (("added", difference.added), ("removed", difference.removed), ("changed", difference.changed)) for row_id in found]  # fmt: skip
    if ids:
        with st.expander(f"Row ids ({len(ids):,})"):
            st.dataframe(pd.DataFrame(ids), hide_index=True, width="stretch")
