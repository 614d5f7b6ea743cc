"""The lead's agreement dashboard: how much annotators agree, per field, over time, per pair and
per annotator, for the answers the filters select (see `annotate.consensus.agreement`)."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from annotate.consensus.agreement import AgreementReport
from annotate.consensus.agreement_tasks import disagreeing_tasks
from annotate.consensus.answer_table import AnswerFilter
from annotate.project import list_rounds
from annotate.review.annotators import list_annotators
from annotate.review.quality import pause_text, quality_rules, standing_rows, standings
from annotate.ui.access import require_role
from annotate.ui.adjudication import adjudication_page
from annotate.ui.adjudication_filters import preset_tasks
from annotate.ui.cached import agreement_views
from annotate.ui.labels import FIELD_LABELS, SMALL_SAMPLE, human, sample_note
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown

ALL = "All"
TOO_FEW = "too few items"
UNDEFINED = "undefined"


def agreement_page() -> None:
    require_role(page="agreement")
    st.title("Agreement")
    project = current_project()
    filters = _filters()
    report, weekly = agreement_views(filters)  # cached until the review data changes
    with open_store() as store:
        quality = standings(store, list_annotators(store))
        rules = quality_rules(store)
    show_pauses(quality)
    if report.n_tasks == 0:
        st.info(
            "No overlap yet: no task in this selection has two or more answers, so there is nothing to compare. "
            "Agreement needs tasks that several annotators answer (`[overlap]` in flywheel.toml)."
        )
    else:
        st.caption(f"Over **{report.n_tasks:,}** tasks with two or more answers.")
        _field_section(report, filters)
        _trend_section(weekly)
        _kappa_section(report, project.config.agreement.min_shared_items, filters)
    _annotator_section(report)
    _bar_section(quality, rules)


def show_pauses(quality) -> None:
    """A warning per annotator paused from new tasks: who paused them, when and why."""
    for standing in quality:
        if standing.paused:
            st.warning(f"**{escape_markdown(standing.email)}** takes no new tasks: {escape_markdown(pause_text(standing.pause))}. "
                       "Resume them on the Annotators page or with `flywheel users resume`.")  # fmt: skip


def _bar_section(quality, rules) -> None:
    st.subheader("Gold accuracy against the bar")
    table = pd.DataFrame(standing_rows(quality))
    if table.empty:
        st.write("Nobody has answered a gold item yet.")
    else:
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={name: st.column_config.NumberColumn(format="%.2f") for name in ("gold accuracy", "low", "high")})  # fmt: skip
    bar = "off (`[quality] pause_below = 0`)" if rules.pause_below <= 0 else f"{rules.pause_below:.2f}"
    st.caption(f"Over all rounds. The bar is {bar}: an annotator is paused from new tasks after {rules.min_gold:d} gold "
               "answers once the whole 95% Wilson interval (low to high) is under it. After a lead resumes someone, "
               "only their later gold answers count.")  # fmt: skip


def _filters() -> AnswerFilter:
    """Round, kind, date range and annotator, as the filter the domain functions take."""
    with open_store() as store:
        rounds = [row["name"] for row in list_rounds(store)]
        emails = [person["email"] for person in list_annotators(store)]
    round_col, kind_col, date_col, person_col = st.columns(4)
    round_name = round_col.selectbox("Round", [ALL, *rounds], key="agreement-round")
    kind = kind_col.selectbox("Task kind", [ALL, "correction", "preference"], key="agreement-kind")
    dates = date_col.date_input("Answered between (UTC days)", value=(), key="agreement-dates")
    annotator = person_col.selectbox("Annotator (tasks they answered)", [ALL, *emails], key="agreement-annotator")
    since = dates[0].isoformat() if len(dates) >= 1 else None
    until = (dates[1] + timedelta(days=1)).isoformat() if len(dates) == 2 else None  # the end day included
    return AnswerFilter(round=None if round_name == ALL else round_name, kind=None if kind == ALL else kind,
                        since=since, until=until, annotator=None if annotator == ALL else annotator)  # fmt: skip


def field_table(report: AgreementReport) -> pd.DataFrame:
    """One row per field: its measure, value, interval and what it rests on."""
    rows = []
    for name, field in report.fields.items():
        low, high = field.alpha_ci if field.alpha_ci else (None, None)
        rows.append({
            "field": FIELD_LABELS[name], "measure": human(field.measure), "alpha": field.alpha,
            "low": low, "high": high, "observed agreement": field.observed_agreement, "items": field.n_items,
            "annotators": field.n_annotators,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _field_section(report: AgreementReport, filters: AnswerFilter) -> None:
    st.subheader("Agreement per field")
    table = field_table(report).rename(columns={"alpha": "value"})
    alphas = table[(table["measure"] != human("text_similarity"))].dropna(subset=["value"])
    similarity = table[(table["measure"] == human("text_similarity"))].dropna(subset=["value"])
    if alphas.empty:
        st.write("No field has enough paired answers for an alpha yet.")
    else:
        st.altair_chart(_interval_chart(alphas, "value", "Krippendorff's alpha", guides=True), width="stretch")
    if not similarity.empty:
        st.altair_chart(_interval_chart(similarity, "value", "Mean similarity of the corrected texts (0 to 1)", guides=False),
                        width="stretch")  # fmt: skip
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={name: st.column_config.NumberColumn(format="%.2f")
                       for name in ("value", "low", "high", "observed agreement")},
    )  # fmt: skip
    for row in table.dropna(subset=["value"]).itertuples():
        note = sample_note(int(row.items))
        if note:
            st.warning(escape_markdown(f"{row.field}: {row.value:.2f}, {note}."))
    correction = report.fields["correction"]
    edit = "—" if correction.edit_alpha is None else f"{correction.edit_alpha:.2f}"
    st.caption(
        "Krippendorff's alpha: 1 is perfect agreement, 0 what chance gives; 0.8 and above is reliable, "
        "0.667 the least for tentative conclusions. The bars are the bootstrap interval. Corrected text is not an "
        f"alpha: its own chart shows the mean similarity (0 to 1) of the corrected responses; alpha on whether a "
        f"response needed editing at all is {edit}. An empty value means too few paired answers."
    )
    _tasks_behind_field(report, filters)


def _tasks_behind_field(report: AgreementReport, filters: AnswerFilter) -> None:
    """From a field's figure to the tasks where annotators disagree on it."""
    with st.expander("The tasks behind a field's figure"):
        fields = [name for name in FIELD_LABELS if name in report.fields]
        field = st.selectbox("Field", fields, format_func=FIELD_LABELS.get, key="agreement-behind-field")
        if st.toggle("List the tasks", key="agreement-behind-field-list"):  # read on demand: the page stays fast
            with open_store() as store:
                tasks = disagreeing_tasks(store, current_project().config, filters, field)
            show_tasks_behind(tasks, f"the disagreements on {FIELD_LABELS[field]}", key="agreement-behind-field-open")


def show_tasks_behind(tasks: list[int], label: str, key: str) -> None:
    """The task ids, and a button that opens them on Adjudicate (as a preset filter there)."""
    if not tasks:
        st.write(escape_markdown(f"No task in this selection has {label}."))
        return
    shown = ", ".join(f"#{task}" for task in tasks[:50]) + (f" and {len(tasks) - 50:,} more" if len(tasks) > 50 else "")
    st.markdown(escape_markdown(f"{len(tasks):,} task{'' if len(tasks) == 1 else 's'} with {label}: {shown}"))
    if st.button("Open these on Adjudicate", key=key):
        preset_tasks(tasks, label)
        try:
            st.switch_page(st.Page(adjudication_page, url_path="adjudicate"))  # a page is known by its url path
        except StreamlitAPIException:  # this page run on its own, outside the navigation
            st.info("Open the Adjudicate page: the tasks are chosen there.")


def _interval_chart(table: pd.DataFrame, value: str, title: str, guides: bool) -> alt.LayerChart:
    """A value per field as a point with its interval as an error bar; with `guides`, the 0.667
    and 0.8 lines of alpha, labelled. Tall enough for one field, labels not cut."""
    low = min(0.0, float(table[[value, "low"]].min(skipna=True).min()))
    x_scale = alt.Scale(domain=[low, 1.0])
    height = max(120, 44 * len(table) + 40)
    base = alt.Chart(table).encode(y=alt.Y("field:N", sort=None, title=None, axis=alt.Axis(labelLimit=360)))
    tooltip = ["field", alt.Tooltip(f"{value}:Q", format=".2f", title="value"), alt.Tooltip("low:Q", format=".2f"),
               alt.Tooltip("high:Q", format=".2f"), "items", "annotators"]  # fmt: skip
    bars = base.mark_rule(strokeWidth=3, color="#7f8c8d").encode(x=alt.X("low:Q", scale=x_scale, title=title), x2="high:Q")
    points = base.mark_point(filled=True, size=120, color="#1f77b4").encode(x=alt.X(f"{value}:Q", scale=x_scale), tooltip=tooltip)
    layers = [bars, points]
    if guides:
        marks = pd.DataFrame({"x": [0.667, 0.8], "label": ["0.667 tentative", "0.8 reliable"]})
        rule = alt.Chart(marks).mark_rule(strokeDash=[4, 4], color="#c0392b").encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.value(0), y2=alt.value(height)
        )  # fmt: skip
        text = alt.Chart(marks).mark_text(align="left", dx=3, dy=-4, color="#c0392b", fontSize=11).encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.value(0), text="label:N"
        )  # fmt: skip
        layers = [rule, text, *layers]
    return alt.layer(*layers).properties(height=height)


def _trend_section(weekly: pd.DataFrame | None) -> None:
    st.subheader("Agreement over time")
    trend = None if weekly is None else weekly.dropna(subset=["alpha"])
    trend = None if trend is None else trend[trend["field"] != "correction"]  # a similarity, not an alpha
    if trend is None or trend.empty:
        st.write("No week has enough paired answers for a value yet.")
        return
    trend = trend.assign(field=trend["field"].map(FIELD_LABELS))
    if trend["week"].nunique() == 1:
        values = "; ".join(f"{row.field} {row.alpha:.2f}" + ("" if pd.isna(row.low) else f" [{row.low:.2f}, {row.high:.2f}]")
                           + f" on {row.n_items:,} items" for row in trend.itertuples())  # fmt: skip
        st.markdown(escape_markdown(f"One week so far ({trend['week'].iloc[0]}): a trend needs two weeks or more. "
                                    f"That week: {values}."))  # fmt: skip
        return
    base = alt.Chart(trend).encode(
        x=alt.X("week:O", title="ISO week (of a task's first answer)"),
        color=alt.Color("field:N", title=None, scale=alt.Scale(scheme="tableau10"), legend=alt.Legend(orient="bottom", symbolOpacity=1)),
    )  # fmt: skip
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("low:Q", title="Krippendorff's alpha"), y2="high:Q")
    bars = base.mark_rule(opacity=0.5).encode(y="low:Q", y2="high:Q")  # the interval even for a lone week
    line = base.mark_line(point=True).encode(
        y="alpha:Q",
        tooltip=["week", "field", alt.Tooltip("alpha:Q", format=".2f"), alt.Tooltip("low:Q", format=".2f"),
                 alt.Tooltip("high:Q", format=".2f"), alt.Tooltip("n_items:Q", title="items")],
    )  # fmt: skip
    st.altair_chart((band + bars + line).properties(height=280), width="stretch")
    st.caption("Each week's alpha with its interval (the band): a task counts in the week of its first answer. "
               "Corrected-text similarity is not an alpha and is left out here.")  # fmt: skip


def kappa_table(report: AgreementReport, field: str, min_shared: int) -> pd.DataFrame:
    """Annotator x annotator cells: kappa (None where there is no value), shared items, and the label shown."""
    kappas, items = report.kappa.get(field, {}), report.kappa_items.get(field, {})
    rows = []
    for a in kappas:
        for b in kappas[a]:
            shared = items[a][b]
            value = None if a == b else kappas[a][b]
            if a == b:
                label = "—"
            elif value is not None:
                label = f"{value:.2f}"
            else:
                label = TOO_FEW if shared < min_shared else UNDEFINED
            rows.append({"annotator": a, "other": b, "kappa": value, "shared items": shared, "label": label})
    return pd.DataFrame(rows, columns=["annotator", "other", "kappa", "shared items", "label"])


def _kappa_section(report: AgreementReport, min_shared: int, filters: AnswerFilter) -> None:
    st.subheader("Cohen's kappa per pair of annotators")
    fields = [name for name in FIELD_LABELS if name in report.kappa]
    valued = [name for name in fields if _has_kappa(report, name)]
    key = "agreement-kappa-field"
    if valued and st.session_state.get(key) not in valued:  # off a field with too few shared items
        st.session_state[key] = valued[0]
    field = st.selectbox("Field", fields, key=key,
                         format_func=lambda name: FIELD_LABELS[name] + ("" if name in valued else f" ({TOO_FEW})"))  # fmt: skip
    cells = kappa_table(report, field, min_shared)
    if cells.empty:
        st.write("No two annotators answered the same items of this field yet.")
        return
    if field not in valued:
        st.info(escape_markdown(f"No pair shares {min_shared:d} items of {FIELD_LABELS[field]} yet, so no kappa; "
                                "the cells show what each pair shares."))  # fmt: skip
    st.altair_chart(_heatmap(cells), width="stretch")
    st.caption(
        f"A pair gets a kappa once they share at least {min_shared:d} items (`[agreement] min_shared_items`); "
        f"'{TOO_FEW}' cells show the count on hover. '{UNDEFINED}': both gave one and the same value throughout."
    )
    small = cells.dropna(subset=["kappa"])
    small = small[(small["shared items"] < SMALL_SAMPLE) & (small["annotator"] < small["other"])]
    if not small.empty:
        pairs = ", ".join(f"{a} and {b} ({n:,})" for a, b, n in zip(small["annotator"], small["other"], small["shared items"]))
        st.warning(escape_markdown(f"Kappas on fewer than {SMALL_SAMPLE} shared items, rough signs only: {pairs}."))
    with st.expander("As a table"):
        wide = cells.pivot(index="annotator", columns="other", values="label")
        st.dataframe(wide, width="stretch")
    with st.expander("The tasks behind a pair's kappa"):
        people = sorted(cells["annotator"].unique())
        left, right = st.columns(2)
        first = left.selectbox("Annotator", people, key="agreement-pair-a")
        second = right.selectbox("And", [person for person in people if person != first], key="agreement-pair-b")
        if second is not None and st.toggle("List the tasks", key="agreement-pair-list"):
            with open_store() as store:
                tasks = disagreeing_tasks(store, current_project().config, filters, field, (first, second))
            show_tasks_behind(tasks, f"{first} and {second} disagreeing on {FIELD_LABELS[field]}",
                              key="agreement-pair-open")  # fmt: skip


def _has_kappa(report: AgreementReport, field: str) -> bool:
    return any(value is not None for row in report.kappa.get(field, {}).values() for value in row.values())


def _heatmap(cells: pd.DataFrame) -> alt.LayerChart:
    """Coloured cells where kappa has a value, grey ones with their label where it has none."""
    axes = {"x": alt.X("other:N", title=None, axis=alt.Axis(orient="top", labelAngle=0, labelLimit=220)),
            "y": alt.Y("annotator:N", title=None, axis=alt.Axis(labelLimit=220))}  # fmt: skip
    tooltip = ["annotator", "other", alt.Tooltip("kappa:Q", format=".3f"), "shared items", "label"]
    blank = alt.Chart(cells).mark_rect(color="#eeeeee", stroke="white").encode(**axes, tooltip=tooltip)
    valued = alt.Chart(cells.dropna(subset=["kappa"])).mark_rect(stroke="white").encode(
        **axes, tooltip=tooltip,
        color=alt.Color("kappa:Q", scale=alt.Scale(domain=[-1, 1], scheme="redblue"), title="kappa",
                        legend=alt.Legend(gradientLength=120)),
    )  # fmt: skip
    strong = "abs(datum.kappa) > 0.5"  # white text on the dark ends of the scale
    text = alt.Chart(cells).mark_text(fontSize=13).encode(
        **axes, text="label:N", tooltip=tooltip, color=alt.condition(strong, alt.value("white"), alt.value("#262730")),
    )  # fmt: skip
    size = max(180, 70 * cells["annotator"].nunique())
    return (blank + valued + text).properties(height=size)


def annotator_table(report: AgreementReport) -> pd.DataFrame:
    """One row per annotator: volume, quality and pace."""
    rows = [
        {"annotator": row.email, "answers": row.n_annotations, "gold accuracy": row.gold_accuracy, "gold items": row.n_gold,
         "agrees with decision": row.agreement_with_resolved, "decided tasks": row.n_resolved,
         "median seconds": row.median_seconds, "per active day": row.per_active_day}
        for row in report.annotators
    ]  # fmt: skip
    columns = ["annotator", "answers", "gold accuracy", "gold items", "agrees with decision", "decided tasks",
               "median seconds", "per active day"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _annotator_section(report: AgreementReport) -> None:
    st.subheader("Annotators")
    table = annotator_table(report)
    if table.empty:
        st.write("No answers in this selection yet.")
        return
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "gold accuracy": st.column_config.NumberColumn(format="percent"),
            "agrees with decision": st.column_config.NumberColumn(format="percent"),
            "median seconds": st.column_config.NumberColumn(format="%.0f"),
            "per active day": st.column_config.NumberColumn(format="%.1f"),
        },
    )  # fmt: skip
    st.caption("Agreement with the decision counts tasks others answered too and that were decided "
               "(by majority, unanimity, the weighted estimate or a lead).")  # fmt: skip
    scored = table.dropna(subset=["gold accuracy"])
    if scored.empty:
        st.write("No gold items answered yet, so no gold accuracy.")
        return
    st.markdown("**Gold accuracy**")
    chart = alt.Chart(scored).mark_bar().encode(
        x=alt.X("gold accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=alt.Y("annotator:N", sort="-x", title=None),
        tooltip=["annotator", alt.Tooltip("gold accuracy:Q", format=".0%"), "gold items"],
    )  # fmt: skip
    st.altair_chart(chart.properties(height=40 * len(scored) + 40), width="stretch")
