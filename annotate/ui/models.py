"""The model versions page (engineers and leads): evaluation reports side by side, the gate's checks,
human evaluation, charts, and each adapter's lineage back to its snapshot."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotate.contracts.eval_metrics import EVAL_METRICS, formatted
from annotate.reports.model_versions import adapter_lineage, comparison_rows, list_reports
from annotate.ui.access import require_role
from annotate.ui.store_access import current_project, open_store


def models_page() -> None:
    require_role(page="models")
    st.title("Model versions")
    project = current_project()
    reports, problems = list_reports(project)
    for problem in problems:
        st.warning(problem)
    if not reports:
        st.info("No evaluation reports yet. Run `flywheel eval --base MODEL --adapter runs/RUN --data exports/NAME/vN "
                "--out reports/NAME` in the project folder; its reports appear here.")
        return
    labels = {summary.label: summary for summary in reports}
    chosen = st.multiselect("Reports", list(labels), default=list(labels)[:2], help="Newest first; pick several to compare.")
    shown = [labels[label] for label in chosen]
    if not shown:
        return

    for summary in shown:
        report = summary.report
        failed = [name for name, passed in report.get("verdicts", {}).items() if not passed]
        where = f"snapshot **{report['snapshot']['name']} v{report['snapshot']['version']}**, " \
                f"{report['inputs']['production']['examples']} held-out production examples"  # fmt: skip
        if not report.get("verdicts"):
            st.info(f"**{summary.name}**: no candidate adapter ({where}).")
        elif failed:
            st.error(f"**{summary.name}**: gate failed for {', '.join(failed)} ({where}).")
        else:
            st.success(f"**{summary.name}**: every candidate passed the gate ({where}).")

    st.subheader("Side by side")
    rows = pd.DataFrame(comparison_rows(shown))
    metrics = [label for _, label, _, _ in EVAL_METRICS if label in rows and rows[label].notna().any()]
    keys = {label: key for key, label, _, _ in EVAL_METRICS}
    for label in metrics:
        rows[label] = [formatted(keys[label], None if pd.isna(v) else v) for v in rows[label]]
    table = rows.set_index(["report", "variant"])[["kind", "gate", *metrics]].T
    st.dataframe(table.astype(str), width="stretch")
    directions = ", ".join(f"{label} {'↑' if higher else '↓'}" for _, label, _, higher in EVAL_METRICS if label in metrics and higher is not None)
    st.caption(f"Better is {directions}. Sample sizes are in each report's report.md and report.json.")

    for summary in shown:
        report = summary.report
        with st.expander(f"{summary.name}: gate checks, human evaluation, charts", expanded=len(shown) == 1):
            if report.get("checks"):
                checks = pd.DataFrame(report["checks"])
                checks["verdict"] = checks["passed"].map({True: "pass", False: "FAIL"}).fillna("not run")
                st.dataframe(checks[["variant", "name", "verdict", "value", "reference", "rule"]], hide_index=True, width="stretch")
            human = report.get("human_eval")
            if human and human.get("results"):
                st.markdown("**Human evaluation** (blind A/B, win rate = wins / (wins + losses), Wilson interval)")
                st.dataframe(pd.DataFrame(human["results"]), hide_index=True, width="stretch")
            elif human:
                st.caption(f"{len(human['tasks'])} blind A/B tasks routed; `flywheel eval human {summary.folder}` "
                           "computes the win rate once they are answered.")  # fmt: skip
            charts = [summary.folder / path for path in report.get("charts", []) if (summary.folder / path).is_file()]
            for left, right in zip(charts[::2], charts[1::2] + [None]):
                columns = st.columns(2)
                columns[0].image(str(left))
                if right is not None:
                    columns[1].image(str(right))

    st.subheader("Lineage")
    with open_store() as store:
        lineage = [{**adapter_lineage(store, project, variant), "report": summary.name} for summary in shown
                   for variant in summary.report.get("variants", []) if variant.get("run")]  # fmt: skip
    if not lineage:
        st.write("No adapters in these reports.")
        return
    for item in lineage:
        story = (f"**{item['variant']}** ({item['report']}) ← {item.get('training', '?')} {item.get('method', '')} run `{item['run_id']}`, "
                 f"{item.get('steps')} steps" + (f", on top of `{item['init_adapter']}`" if item.get("init_adapter") else "")
                 + f" ← snapshot **{item['snapshot']} v{item['snapshot_version']}** (manifest `{str(item['manifest_sha256'])[:12]}…`)")  # fmt: skip
        st.markdown(story)
        if "note" in item:
            st.caption(item["note"])
            continue
        agreement = "n/a" if item.get("mean_agreement") is None else f"{item['mean_agreement']:.2f}"
        st.caption(f"exported {item.get('exported_at', '?')} to `{item.get('snapshot_path')}` · {item.get('train_examples')} train / "
                   f"{item.get('eval_examples')} eval examples · from {item.get('tasks')} expert tasks on {item.get('records')} "
                   f"production records · {len(item.get('annotators', []))} annotators · mean agreement {agreement}"
                   + (f" · rehearsal: {', '.join(item['rehearsal'])}" if item.get("rehearsal") else ""))  # fmt: skip
