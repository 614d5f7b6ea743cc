"""Selection on the sample data: informative, diverse, with the overlap and gold the config asks for."""

from collections import Counter

import pytest

from annotate.errors import SelectionError
from annotate.flagging import run_flaggers
from annotate.ingest import ingest_files
from annotate.tasks.gold import import_gold
from annotate.tasks.selection import Candidate, pick_diverse, select_tasks, top_n
from tests.conftest import REPO

SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="module")
def flagged_sample(tmp_path_factory):
    """The sample data ingested and flagged once; tests copy the database file."""
    from annotate.project import init_project

    project = init_project(tmp_path_factory.mktemp("sample") / "project")
    with project.open_store() as store:
        ingest_files(store, [SAMPLE / "records.jsonl"], source="ledgerly-prod")
        run_flaggers(store, project.config, project.root)
    return project


@pytest.fixture
def sample(flagged_sample, tmp_path):
    import shutil

    from annotate.project import find_project

    copy = tmp_path / "project"
    shutil.copytree(flagged_sample.root, copy)
    project = find_project(copy)
    with project.open_store() as store:
        yield project, store


@pytest.mark.slow
def test_diverse_selection_covers_more_prompt_clusters_than_top_n(sample):
    project, store = sample
    report = select_tasks(store, project.config, budget=60)
    assert len(report.selected) == 60
    assert report.clusters_covered > report.top_n_clusters_covered
    assert report.clusters_covered == min(report.clusters, 60)
    mean_priority = sum(c.priority for c in report.selected) / 60
    assert mean_priority > 1.0, "diversity must not throw informativeness away"
    assert Counter(report.by_reason()).most_common(1)[0][0] == "negative_feedback"


@pytest.mark.slow
def test_overlap_and_gold_rates_are_honoured(sample):
    project, store = sample
    result = import_gold(store, SAMPLE / "gold.jsonl", project.config.taxonomy)
    assert (result.imported, result.rejects) == (32, [])
    report = select_tasks(store, project.config, budget=200)
    tasks = [store.task(task_id) for task_id in report.task_ids]
    overlap = project.config.overlap
    gold = [task for task in tasks if task.is_gold]
    regular = [task for task in tasks if not task.is_gold]
    assert len(gold) == round(200 * overlap.gold_rate) == report.gold
    assert Counter(task.required_annotations for task in regular) == {
        overlap.agreement_annotators: round(len(regular) * overlap.agreement_share),
        overlap.annotations_per_task: len(regular) - round(len(regular) * overlap.agreement_share),
    }
    assert all(task.gold_answer for task in gold)
    priorities = {task.priority for task in regular}
    assert all(task.priority in priorities for task in gold), "gold priorities hide among the batch's own"


@pytest.mark.slow
def test_a_second_selection_never_repeats_a_record(sample):
    project, store = sample
    first = select_tasks(store, project.config, budget=50)
    second = select_tasks(store, project.config, budget=50)
    records = [store.task(task_id).record_id for task_id in first.task_ids + second.task_ids]
    assert len(records) == len(set(records)) == 100


@pytest.mark.slow
def test_preference_selection_randomises_display_order_and_keeps_the_mapping(sample):
    project, store = sample
    report = select_tasks(store, project.config, budget=40, kind="preference", route="labelstudio")
    tasks = [store.task(task_id) for task_id in report.task_ids]
    assert len(tasks) == 40 and all(task.record_b_id for task in tasks)
    assert {task.route for task in tasks} == {"labelstudio"}
    swapped = sum(task.record_id > task.record_b_id for task in tasks)  # candidates are stored id-ordered
    assert 5 < swapped < 35, "A/B order should be random, not always the stored order"
    assert set(report.by_reason()) <= {"inconsistency", "model_versions"}


def test_pick_diverse_gives_each_cluster_a_turn_before_piling_onto_one():
    crowded = [Candidate(f"a{i}", None, "flagged", 2.0 - i * 0.01, "", "", {}, cluster=0) for i in range(50)]
    others = [Candidate(f"b{i}", None, "flagged", 1.0, "", "", {}, cluster=i + 1) for i in range(5)]
    chosen = pick_diverse(crowded + others, 10)
    assert len(chosen) == 10
    assert {c.cluster for c in chosen} == set(range(6))
    assert {c.cluster for c in top_n(crowded + others, 10)} == {0}
    assert sum(c.cluster == 0 for c in chosen) == 5, "the crowded, high-priority cluster still gets the biggest share"


def test_bad_selection_requests_are_refused(sample):
    project, store = sample
    with pytest.raises(SelectionError, match="at least 1"):
        select_tasks(store, project.config, budget=0)
    with pytest.raises(SelectionError, match="unknown task kind"):
        select_tasks(store, project.config, budget=5, kind="ranking")
    with pytest.raises(SelectionError, match="unknown route"):
        select_tasks(store, project.config, budget=5, route="email")
