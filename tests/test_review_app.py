"""The review app's store overview, run through Streamlit's AppTest against a real project."""

import pytest

from annotate.ingest import ingest_files
from tests.conftest import record, review_app_as, run_page


@pytest.fixture
def app_for(monkeypatch):
    """The store overview page as a signed-in lead sees it."""

    def run(project):
        monkeypatch.setenv("FLYWHEEL_PROJECT", str(project.root))
        monkeypatch.delenv("FLYWHEEL_DB", raising=False)
        return run_page("annotate.ui.overview.overview_page", "lea@example.com", role="lead")

    return run


def test_an_empty_project_says_how_to_ingest(project, app_for):
    app = app_for(project)
    assert not app.exception
    assert app.title[0].value == "Store overview"
    assert "flywheel ingest" in app.info[0].value


def test_the_overview_counts_records_and_feedback(project, store, write_jsonl, app_for):
    rows = [
        record(id="1", feedback={"thumbs": "down"}, model="m@1"),
        record(id="2", feedback={"rating": 1}, model="m@2"),
        record(id="3", feedback={"thumbs": "up", "rating": 5}, model="m@2"),
        record(id="4"),
    ]
    ingest_files(store, [write_jsonl(rows)], source="web")
    app = app_for(project)
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Records"] == "4"
    assert metrics["Thumbs down"] == "1"
    assert metrics["Rated 1 or 2"] == "1"
    assert metrics["No feedback"] == "1"
    by_model = app.dataframe[0].value
    assert sorted(zip(by_model["version"], by_model["records"])) == [("", 1), ("1", 1), ("2", 2)]
    ingests = app.dataframe[-1].value
    assert list(ingests["ingested"]) == [4]  # human labels, no internal names
    assert not [column for frame in app.dataframe for column in frame.value.columns if "_" in str(column)]


def test_a_broken_config_is_shown_as_an_error_not_a_traceback(project, monkeypatch):
    monkeypatch.setenv("FLYWHEEL_PROJECT", str(project.root))
    project.config_path.write_text("[overlap]\ngold_rate = 7\n")
    app = review_app_as("lea@example.com", role="lead")
    assert not app.exception
    assert "overlap.gold_rate" in app.error[0].value


def test_the_overview_shows_flags_and_the_head_of_the_queue(project, store, write_jsonl, app_for):
    from annotate.flagging import run_flaggers
    from annotate.tasks.selection import select_tasks

    rows = [record(id=str(n), prompt=f"Invoice question {n}?", feedback={"thumbs": "down"}) for n in range(6)]
    ingest_files(store, [write_jsonl(rows)])
    run_flaggers(store, project.config, project.root, only=["negative_feedback"])
    select_tasks(store, project.config, budget=3)
    app = app_for(project)
    assert not app.exception
    subheaders = [header.value for header in app.subheader]
    assert "Flags" in subheaders and "Expert queue" in subheaders
    head = app.dataframe[2].value
    assert len(head) == 3 and set(head["kind"]) == {"correction"}
    assert head["why"].str.contains("negative_feedback").all()


def test_records_that_came_without_an_ingest_do_not_break_the_overview(project, store, app_for):
    from tests.conftest import make_tasks

    make_tasks(store, 3)  # records written directly, as gold imports and generated sets are: no ingest row
    app = app_for(project)
    assert not app.exception
    assert any(element.value == "No ingests yet." for element in app.markdown)
