"""The model versions page (engineers and leads): evaluation reports side by side, the gate's outcome
and checks, degenerate answers, cost, slices, the live human evaluation, charts, each adapter's
lineage back to its snapshot, and every variant's answers side by side."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from annotate.contracts.eval_metrics import EVAL_METRICS, distinct_digits, formatted
from annotate.reports.model_versions import (
    CHANGED_MOST,
    FILE_ORDER,
    OUTPUTS_FILE,
    PAGE_SIZE,
    PARAPHRASES,
    PRODUCTION,
    ReportSummary,
    adapter_lineage,
    banner,
    categories_of,
    check_rows,
    comparison_rows,
    cost_rows,
    degenerate_rows,
    human_eval_rows,
    list_reports,
    output_table,
    page_of,
    read_outputs,
    sets_of,
    slice_rows,
    variants_of,
)
from annotate.ui.access import require_role
from annotate.reports.metric_rows import metric_chart_rows
from annotate.ui.labels import readable, sample_note, table_height
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown, show_text

ALL = "all"
SHOWN_PROBLEMS = 3


def models_page() -> None:
    require_role(page="models")
    st.title("Model versions")
    project = current_project()
    reports, problems = list_reports(project)
    for problem in problems:
        st.warning(escape_markdown(problem))
    if not reports:
        st.info(
            "No evaluation reports yet. Run `flywheel eval --base MODEL --adapter runs/RUN --data exports/NAME/vN "
            "--out reports/NAME` in the project folder; its reports appear here."
        )
        return
    labels = {summary.label: summary for summary in reports}
    chosen = st.multiselect(
        "Reports", list(labels), default=list(labels)[:2], help="Newest first; pick several to compare."
    )
    shown = [labels[label] for label in chosen]
    if not shown:
        return
    for summary in shown:
        level, line = banner(summary)
        getattr(st, level)(escape_markdown(line))
    _side_by_side(shown)
    for summary in shown:
        with st.expander(f"{escape_markdown(summary.name)}: gate checks, human evaluation, charts", expanded=len(shown) == 1):
            _details(summary)
    _lineage(project, shown)
    _outputs(shown)


def _side_by_side(shown: list[ReportSummary]) -> None:
    st.subheader("Side by side")
    rows = pd.DataFrame(comparison_rows(shown))
    metrics = [label for _, label, _, _ in EVAL_METRICS if label in rows and rows[label].notna().any()]
    keys = {label: key for key, label, _, _ in EVAL_METRICS}
    for label in metrics:
        values = [None if pd.isna(v) else v for v in rows[label]]
        digits = distinct_digits(keys[label], values)  # two different values never read the same
        rows[label] = [formatted(keys[label], v, digits) for v in values]
    table = rows.set_index(["report", "variant"])[["kind", "gate", *metrics]].T
    st.dataframe(table.astype(str), width="stretch", height=table_height(len(table), max_rows=40))  # every row shows
    directions = ", ".join(
        f"{label} {'↑' if higher else '↓'}"
        for _, label, _, higher in EVAL_METRICS
        if label in metrics and higher is not None
    )
    st.caption(f"Better is {escape_markdown(directions)}. Sample sizes are in each report's report.md and report.json.")


def _table(rows: list[dict]) -> None:
    """Rows as a table, without the columns an older report leaves empty."""
    frame = readable(pd.DataFrame(rows).dropna(axis=1, how="all"), digits=3)
    st.dataframe(frame, hide_index=True, width="stretch", height=table_height(len(frame), max_rows=40))


def _details(summary: ReportSummary) -> None:
    report = summary.report
    quality = (report.get("gate_settings") or {}).get("quality_metric", "the gate's quality metric")
    for title, rows in (("Gate checks", check_rows(report)),
                        ("Degenerate answers (share of production and safety answers, [Wilson interval], (count))", degenerate_rows(report)),
                        ("Cost", cost_rows(report)),
                        (f"Production quality by slice ({quality}, [interval], n)", slice_rows(report))):  # fmt: skip
        if rows:
            st.markdown(f"**{escape_markdown(title)}**")
            _table(rows)
    human = report.get("human_eval")
    if human and human.get("tasks"):
        with open_store() as store:
            rates = human_eval_rows(store, report)
        st.markdown("**Human evaluation** (blind A/B, live from the experts' answers in the store)")
        for rate in rates:
            st.markdown(f"- **{escape_markdown(rate['candidate'])}** " + escape_markdown(
                f"vs {rate['baseline']}: win rate {rate['win rate']}, {rate['judged']} (won {rate['wins']}, lost {rate['losses']}, "
                f"tied {rate['ties']}, both bad {rate['both bad']})"))  # fmt: skip
        st.caption(
            "Win rate = wins / (wins + losses), with its Wilson interval; ties and both bad are counted, not folded in."
        )
    elif human:
        st.caption("No blind A/B pairs were routed: every candidate answered as its baseline did.")
    _metric_charts(report)


def _metric_charts(report: dict) -> None:
    """Each metric per variant, a bar with its interval, in the app's theme (the report's PNG
    charts are for report.md); a note where a figure rests on few answers."""
    rows = pd.DataFrame(metric_chart_rows(report))
    if rows.empty:
        return
    for metric, part in rows.groupby("metric", sort=False):
        base = alt.Chart(part).encode(x=alt.X("variant:N", sort=None, title=None, axis=alt.Axis(labelAngle=0, labelLimit=200)))
        tooltip = ["variant", alt.Tooltip("value:Q", format=".3g"), alt.Tooltip("low:Q", format=".3g"),
                   alt.Tooltip("high:Q", format=".3g"), "n"]  # fmt: skip
        bars = base.mark_bar().encode(y=alt.Y("value:Q", title=metric), color=alt.Color("kind:N", title=None), tooltip=tooltip)
        interval = base.mark_rule(strokeWidth=2).encode(y="low:Q", y2="high:Q")
        st.altair_chart((bars + interval).properties(height=220, title=metric), width="stretch")
        small = [f"{row.variant} ({note})" for row in part.itertuples() if row.n is not None and (note := sample_note(int(row.n), "answers"))]
        if small:
            st.caption(escape_markdown("; ".join(small)))


def _lineage(project, shown: list[ReportSummary]) -> None:
    st.subheader("Lineage")
    with open_store() as store:
        lineage = [{**adapter_lineage(store, project, variant), "report": summary.name} for summary in shown
                   for variant in summary.report.get("variants", []) if variant.get("run")]  # fmt: skip
    if not lineage:
        st.write("No adapters in these reports.")
    for item in lineage:
        run = (f"({item['report']}) ← {item.get('training', '?')} {item.get('method', '')} run {item['run_id']}, {item.get('steps')} steps"
               + (f", on top of {item['init_adapter']}" if item.get("init_adapter") else "") + " ← snapshot")  # fmt: skip
        snapshot = f"{item['snapshot']} v{item['snapshot_version']}"
        manifest = f"(manifest {str(item['manifest_sha256'])[:12]}…)"
        st.markdown(f"**{escape_markdown(item['variant'])}** {escape_markdown(run)} **{escape_markdown(snapshot)}** {escape_markdown(manifest)}")
        if "note" in item:
            st.caption(escape_markdown(item["note"]))
            continue
        agreement = "n/a" if item.get("mean_agreement") is None else f"{item['mean_agreement']:.2f}"
        st.caption(escape_markdown(
            f"exported {item.get('exported_at', '?')} to {item.get('snapshot_path')} · {item.get('train_examples')} train / "
            f"{item.get('eval_examples')} eval examples · from {item.get('tasks')} expert tasks on {item.get('records')} "
            f"production records · {len(item.get('annotators', []))} annotators · mean agreement {agreement}"
            + (f" · rehearsal: {', '.join(item['rehearsal'])}" if item.get("rehearsal") else "")))  # fmt: skip


@st.cache_data(max_entries=8, show_spinner=False)
def _answers(folder: str, version: tuple[int, int]) -> tuple[list[dict], list[str]]:
    """outputs.jsonl, read once per version of the file (a page run reads a 3,000-line file otherwise)."""
    return read_outputs(folder)


def _version(folder: Path) -> tuple[int, int]:
    try:
        found = (folder / OUTPUTS_FILE).stat()
    except OSError:
        return 0, 0
    return found.st_mtime_ns, found.st_size


def _outputs(shown: list[ReportSummary]) -> None:
    st.subheader("Outputs")
    by_name = {summary.name: summary for summary in shown}
    summary = by_name[st.selectbox("Report", list(by_name), key="outputs-report")] if len(by_name) > 1 else shown[0]
    rows, problems = _answers(str(summary.folder), _version(summary.folder))
    for problem in problems[:SHOWN_PROBLEMS]:
        st.warning(escape_markdown(problem))
    if len(problems) > SHOWN_PROBLEMS:
        st.warning(f"…and {len(problems) - SHOWN_PROBLEMS} more bad lines, skipped (the app's log names them all).")
    if not rows:
        st.write(escape_markdown(f"No answers to show: {summary.name} has no readable {OUTPUTS_FILE}."))
        return
    key = summary.name
    filters = st.columns(4)
    set_name = filters[0].selectbox("Set", sets_of(rows), key=f"set-{key}",
                                    help="Paraphrase groups: the production examples that have one, a group's together.")  # fmt: skip
    categories = categories_of(rows) if set_name in (PRODUCTION, PARAPHRASES) else []
    category = filters[1].selectbox("Failure category", [ALL, *categories], key=f"category-{key}", disabled=not categories,
                                    help="The failure categories of the experts' decision on a production example.")  # fmt: skip
    order = filters[2].selectbox("Order", [FILE_ORDER, CHANGED_MOST], key=f"order-{key}",
                                 help="Changed most: the largest spread between the variants' semantic scores first; "
                                      "without scores, the most answers that differ from the base's.")  # fmt: skip
    base = next((v["name"] for v in summary.report.get("variants", []) if v.get("kind") == "base"), "base")
    items = output_table(rows, set_name, category if category in categories else None, order, base)
    pages = page_of(items, 1)[1]
    number = filters[3].number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1,
                                     key=f"page-{key}-{set_name}-{category}-{order}")  # fmt: skip
    st.caption(f"{len(items):,} examples, {PAGE_SIZE:,} a page. Degenerate answers are marked in red.")
    variants = variants_of(rows)
    for item in page_of(items, int(number))[0]:
        _example(item, variants)


def _example(item: dict, variants: list[str]) -> None:
    """One example: its prompt, the reference and every variant's answer, side by side."""
    facts = [item["set"], f"id {item['id']}"]
    facts += [f"paraphrase group {item['group']}"] if item["group"] else []
    facts += [f"failure categories: {', '.join(item['categories'])}"] if item["categories"] else []
    facts += [f"prompt cluster {item['cluster']}"] if item["cluster"] is not None else []
    facts += [f"{item['label']} prompt"] if item["label"] else []
    facts += [f"semantic spread {item['spread']:.3f}"] if item["spread"] is not None else []
    with st.container(border=True):
        st.caption(escape_markdown(" · ".join(facts)))
        columns = st.columns(2 + len(variants))
        with columns[0]:
            st.markdown("**Prompt** (last user turn)")
            show_text(item["prompt"])
            with st.expander(f"Whole conversation ({len(item['conversation'])} messages)"):
                for message in item["conversation"]:
                    st.caption(escape_markdown(str(message.get("role", "?"))))
                    show_text(message["content"])
        with columns[1]:
            st.markdown("**Experts' reference**" if item["set"] == PRODUCTION else "**Reference**")
            if item["reference"]:
                show_text(item["reference"])
            else:
                st.caption("none" + (f" (a {escape_markdown(item['label'])} prompt)" if item["label"] else ""))
        for column, variant in zip(columns[2:], variants):
            with column:
                _answer(variant, item["answers"].get(variant))


def _answer(variant: str, answer: dict | None) -> None:
    st.markdown(f"**{escape_markdown(variant)}**")
    if answer is None:
        st.caption("no answer")
        return
    if answer["degenerate"]:
        st.markdown(
            f":red-badge[:material/warning: degenerate: {escape_markdown(', '.join(map(str, answer['degenerate'])))}]"
        )
    show_text(answer["output"] or "(empty)")
    figures = [f"semantic {answer['semantic']:.3f}" if answer["semantic"] is not None else None,
               f"chrF {answer['chrf']:.1f}" if answer["chrf"] is not None else None,
               f"{answer['tokens']} tokens" if answer["tokens"] is not None else None,
               f"stopped: {answer['stop']}" if answer["stop"] else None]  # fmt: skip
    if any(figures):
        st.caption(escape_markdown(" · ".join(figure for figure in figures if figure)))
