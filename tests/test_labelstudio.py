"""Label Studio integration against a real server (see tests/labelstudio_server.py): push, two
experts annotating as themselves through the API, pull, edits, skips, deletions, and the errors
people hit. Nothing of the SDK is mocked."""

from __future__ import annotations

import json
import time

import pytest
from label_studio_sdk import LabelStudio
from label_studio_sdk.label_interface import LabelInterface

from annotate.config import FailureCategory, PiiPolicy, ProjectConfig, Taxonomy
from annotate.errors import LabelStudioError, LabelStudioProjectGone
from annotate.labelstudio.client import LabelStudioClient
from annotate.labelstudio.configs import CONTROLS, labeling_config
from annotate.labelstudio.pull import pull
from annotate.labelstudio.push import push
from tests.conftest import REPO, make_tasks
from tests.labelstudio_server import ADMIN_TOKEN, free_port, sign_up, start_server

EXPERTS = ("ada@ledgerly.test", "grace@ledgerly.test")


@pytest.fixture(scope="session")
def expert_tokens(labelstudio) -> dict[str, str]:
    """Two experts who joined through the invite link, each with their own API token."""
    return {email: sign_up(labelstudio.url, email, "expert-password-123") for email in EXPERTS}


@pytest.fixture
def client(labelstudio) -> LabelStudioClient:
    return LabelStudioClient(labelstudio.url, ADMIN_TOKEN)


@pytest.fixture
def ls_env(labelstudio, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ADMIN_TOKEN)


def as_expert(labelstudio, expert_tokens, email: str) -> LabelStudio:
    return LabelStudio(base_url=labelstudio.url, api_key=expert_tokens[email])


def correction_result(verdict: str, text: str | None = None, categories=(), severity=None, rationale="") -> list[dict]:
    if verdict == "corrected":  # the default answer rules: a correction names what was wrong and how badly
        categories, severity = categories or ["incomplete"], severity or "minor"
    regions = [{"from_name": "verdict", "to_name": "response", "type": "choices", "value": {"choices": [verdict]}}]
    if text is not None:
        regions.append({"from_name": "correction", "to_name": "response", "type": "textarea", "value": {"text": [text]}})
    if categories:
        regions.append({"from_name": "failure_categories", "to_name": "response", "type": "choices",
                        "value": {"choices": list(categories)}})  # fmt: skip
    if severity:
        regions.append({"from_name": "severity", "to_name": "response", "type": "choices", "value": {"choices": [severity]}})
    if rationale:
        regions.append({"from_name": "rationale", "to_name": "response", "type": "textarea", "value": {"text": [rationale]}})
    return regions


def ls_task_ids(store) -> dict[int, int]:
    """Flywheel task id -> Label Studio task id, for pushed tasks."""
    return {row["id"]: int(row["external_id"]) for row in store.db.query("SELECT id, external_id FROM tasks WHERE ls_project IS NOT NULL")}


def server_tasks(client: LabelStudioClient, ls_project_id: int) -> list[dict]:
    return list(client.tasks(ls_project_id))


# --- labeling configs -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["correction", "preference"])
def test_the_labeling_configs_parse_and_offer_the_taxonomy(kind):
    taxonomy = Taxonomy(
        failure_categories=[FailureCategory(id="wrong_amount", label="Wrong amount"), FailureCategory(id="rude", label="Rude")],
        severity=["low", "high"],
    )
    interface = LabelInterface(labeling_config(kind, taxonomy))
    controls = {control.name: control for control in interface.controls}
    assert set(controls) == {control.name for control in CONTROLS[kind]}
    assert controls["failure_categories"].labels == ["wrong_amount", "rude"]
    assert controls["severity"].labels == ["low", "high"]
    first = "verdict" if kind == "correction" else "choice"
    assert controls[first].labels == (["acceptable", "corrected", "unusable"] if kind == "correction" else ["a", "b", "tie", "both_bad"])
    data = {"messages": [{"role": "user", "content": "hi"}], "response": "x", "response_a": "x", "response_b": "y"}
    assert {obj.value.lstrip("$") for obj in interface.objects} <= set(data)


def test_the_committed_configs_are_the_default_taxonomy_s():
    for kind in ("correction", "preference"):
        committed = (REPO / "schemas" / "labelstudio" / f"{kind}.xml").read_text()
        assert committed == labeling_config(kind, Taxonomy()) + "\n"
        LabelInterface(committed)


# --- push -------------------------------------------------------------------------------------


def test_push_sends_each_task_once_with_the_response_pre_filled(store, project, client):
    task_ids = make_tasks(store, 50, required=2, route="labelstudio")
    make_tasks(store, 3, kind="preference", route="app")  # not routed to Label Studio: stays here
    report = push(store, client, project.config, batch_size=20)
    assert report.pushed == 50 and report.projects[0].created
    pushed = ls_task_ids(store)
    assert set(pushed) == set(task_ids)
    ls_project = report.projects[0].ls_project_id
    on_server = server_tasks(client, ls_project)
    assert sorted(task["id"] for task in on_server) == sorted(pushed.values())
    by_id = {task["id"]: task for task in on_server}
    first = by_id[pushed[task_ids[0]]]
    assert first["data"]["flywheel_task_id"] == task_ids[0]
    assert first["data"]["response"] == "answer 0"
    assert first["predictions"][0]["result"][0]["value"]["text"] == ["answer 0"]

    again = push(store, client, project.config)
    assert again.pushed == 0 and again.projects == []
    assert len(server_tasks(client, ls_project)) == 50


def test_the_cli_push_reuses_the_project_of_the_kind_and_round(store, project, cli, ls_env, client):
    make_tasks(store, 5, route="labelstudio")
    first = cli("ls", "push")
    assert first.exit_code == 0, first.output
    assert "pushed 5 tasks" in first.output and "created" in first.output
    with store.transaction():
        store.db.execute("UPDATE tasks SET ls_project = NULL, external_id = NULL WHERE id = (SELECT MAX(id) FROM tasks)")
    second = cli("ls", "push")
    assert "pushed 1 tasks" in second.output and "reused" in second.output
    link = store.active_ls_projects()[0]
    status = cli("ls", "status")
    assert str(link["ls_project_id"]) in status.output and "correction" in status.output
    assert ADMIN_TOKEN not in first.output + second.output + status.output
    dump = "\n".join(store.db.iterdump())
    assert ADMIN_TOKEN not in dump


def test_personal_data_is_redacted_before_it_leaves(store, project, client):
    texts = lambda n: (f"My card is 4111 1111 1111 1111, mail me at jo.smith{n}@example.com", f"Sure, jo.smith{n}@example.com")  # noqa: E731
    make_tasks(store, 2, route="labelstudio", texts=texts)
    report = push(store, client, project.config)
    assert report.projects[0].redacted_tasks == 2
    on_server = json.dumps(server_tasks(client, report.projects[0].ls_project_id))
    assert "example.com" not in on_server and "4111" not in on_server
    assert "<EMAIL_ADDRESS_1>" in on_server and "<CREDIT_CARD_1>" in on_server


def test_the_block_policy_holds_tasks_with_personal_data_back(store, project, client):
    config = project.config.model_copy(update={"pii": PiiPolicy(on_push="block")})
    make_tasks(store, 3, route="labelstudio", texts=lambda n: (f"q{n}", "write to ann.lee@example.org" if n == 1 else f"a{n}"))
    report = push(store, client, config)
    assert report.pushed == 2 and report.projects[0].held_back == 1
    assert "ann.lee" not in json.dumps(server_tasks(client, report.projects[0].ls_project_id))


def test_a_push_cut_off_by_a_timeout_completes_on_the_next_run_without_duplicates(store, project, labelstudio):
    task_ids = make_tasks(store, 300, route="labelstudio")
    impatient = LabelStudioClient(labelstudio.url, ADMIN_TOKEN, import_timeout=0.001)
    with pytest.raises(LabelStudioError, match="did not answer within .* run the command again"):
        push(store, impatient, project.config, batch_size=300)
    assert ls_task_ids(store) == {}  # nothing recorded: the reply never came
    link = store.active_ls_projects()[0]
    assert link["push_started_at"] is not None
    client = LabelStudioClient(labelstudio.url, ADMIN_TOKEN)
    deadline = time.monotonic() + 30
    while len(server_tasks(client, link["ls_project_id"])) < 300 and time.monotonic() < deadline:
        time.sleep(0.5)  # the server finishes the import it was sent
    report = push(store, client, project.config)
    assert report.projects[0].reconciled == 300 and report.pushed == 0
    assert set(ls_task_ids(store)) == set(task_ids)
    assert len(server_tasks(client, link["ls_project_id"])) == 300


# --- pull -------------------------------------------------------------------------------------


def test_two_experts_annotate_overlapping_tasks_and_pull_brings_it_all_back(store, project, client, labelstudio, expert_tokens, cli, ls_env):
    task_ids = make_tasks(store, 50, required=2, route="labelstudio")
    push(store, client, project.config)
    pushed = ls_task_ids(store)
    ada, grace = (as_expert(labelstudio, expert_tokens, email) for email in EXPERTS)
    for task_id in task_ids[:10]:  # both experts: overlap for agreement
        ada.annotations.create(id=pushed[task_id], result=correction_result("acceptable"), lead_time=12.0)
        grace.annotations.create(id=pushed[task_id], result=correction_result(
            "corrected", "A better answer.", ["incomplete"], "major", "misses a step"), lead_time=30.5)  # fmt: skip
    for task_id in task_ids[10:15]:
        ada.annotations.create(id=pushed[task_id], result=correction_result("unusable", categories=["factual_error"]))

    result = cli("ls", "pull")
    assert result.exit_code == 0, result.output
    assert "25 new annotations" in result.output
    rows = list(store.db.query(
        "SELECT a.*, p.email, p.role FROM annotations AS a JOIN annotators AS p ON p.id = a.annotator_id ORDER BY a.id"))  # fmt: skip
    assert len(rows) == 25 and {row["source"] for row in rows} == {"labelstudio"}
    assert {row["email"] for row in rows} == set(EXPERTS) and {row["role"] for row in rows} == {"annotator"}
    graces = [row for row in rows if row["email"] == EXPERTS[1]]
    assert graces[0]["verdict"] == "corrected" and graces[0]["corrected_response"] == "A better answer."
    assert json.loads(graces[0]["failure_categories"]) == ["incomplete"] and graces[0]["severity"] == "major"
    assert graces[0]["rationale"] == "misses a step" and graces[0]["seconds_spent"] == 30.5
    tasks = {row["id"]: row for row in store.db.query("SELECT * FROM tasks")}
    assert all(tasks[t]["done_annotations"] == 2 and tasks[t]["status"] == "done" for t in task_ids[:10])
    assert all(tasks[t]["done_annotations"] == 1 and tasks[t]["status"] == "open" for t in task_ids[10:15])
    assert all(tasks[t]["done_annotations"] == 0 for t in task_ids[15:])

    again = cli("ls", "pull")
    assert "0 new annotations, 0 edits, 0 skips" in again.output
    assert store.db["annotations"].count == 25


def test_an_edit_in_label_studio_supersedes_and_a_re_pull_adds_nothing(store, project, client, labelstudio, expert_tokens):
    task_id = make_tasks(store, 1, route="labelstudio")[0]
    push(store, client, project.config)
    ada = as_expert(labelstudio, expert_tokens, EXPERTS[0])
    made = ada.annotations.create(id=ls_task_ids(store)[task_id], result=correction_result("corrected", "First fix."))
    assert pull(store, client, project.config).stored == 1
    ada.annotations.update(id=made.id, result=correction_result("corrected", "Second, better fix.", ["tone"]))
    report = pull(store, client, project.config)
    assert (report.stored, report.superseded) == (0, 1)
    first, second = store.annotations_of(task_id)
    assert second.supersedes == first.id and second.corrected_response == "Second, better fix."
    assert second.external_id == str(made.id)
    assert store.task(task_id).done_annotations == 1
    assert pull(store, client, project.config).added == 0
    assert len(store.annotations_of(task_id)) == 2


def test_skips_invalid_results_and_deletions_are_told_apart(store, project, client, labelstudio, expert_tokens, cli, ls_env):
    skipped, invalid, deleted, unchanged_text = make_tasks(store, 4, route="labelstudio")
    push(store, client, project.config)
    pushed = ls_task_ids(store)
    ada = as_expert(labelstudio, expert_tokens, EXPERTS[0])
    ada.annotations.create(id=pushed[skipped], result=[], was_cancelled=True)
    ada.annotations.create(id=pushed[invalid], result=correction_result("corrected", "Fixed.", ["not_a_category"]))
    doomed = ada.annotations.create(id=pushed[deleted], result=correction_result("acceptable"))
    ada.annotations.create(id=pushed[unchanged_text], result=correction_result("corrected", "answer 3"))

    result = cli("ls", "pull")
    assert result.exit_code == 3
    assert "1 skips" in result.output and "2 invalid" in result.output
    assert "not_a_category" in result.output and "not edited" in result.output
    assert [a["task_id"] for a in store.db["annotations"].rows] == [deleted]
    skip = next(store.db.query("SELECT * FROM claims WHERE task_id = ?", [skipped]))
    assert skip["outcome"] == "skipped" and "Label Studio" in skip["reason"]

    LabelStudio(base_url=labelstudio.url, api_key=ADMIN_TOKEN).annotations.delete(id=doomed.id)
    report = pull(store, client, project.config)
    assert len(report.deleted) == 1 and report.deleted[0].ls_annotation_id == doomed.id
    assert store.db["annotations"].count == 1  # Flywheel keeps its copy
    assert pull(store, client, project.config).deleted == []
    status = cli("ls", "status")
    assert "deleted in Label Studio" in status.output and "not_a_category" in status.output


def test_a_result_that_does_not_fit_the_config_is_reported_not_stored(store, project, client, labelstudio, expert_tokens):
    task_id = make_tasks(store, 1, route="labelstudio")[0]
    push(store, client, project.config)
    ada = as_expert(labelstudio, expert_tokens, EXPERTS[0])
    ada.annotations.create(id=ls_task_ids(store)[task_id], result=[
        {"from_name": "verdict", "to_name": "response", "type": "textarea", "value": {"text": ["corrected"]}}])  # fmt: skip
    report = pull(store, client, project.config)
    assert report.stored == 0 and len(report.invalid) == 1
    assert "does not match expected type 'choices'" in report.invalid[0].reason


def test_a_tool_calling_task_shows_its_steps_and_a_pulled_bad_call_is_reported(store, project, client, labelstudio, expert_tokens):
    from annotate.text.tool_calls import response_text
    from tests.test_review_tool_calls import call, tool_task

    task_id = tool_task(store, route="labelstudio")
    report = push(store, client, project.config)
    (on_server,) = server_tasks(client, report.projects[0].ls_project_id)
    roles = [paragraph["role"] for paragraph in on_server["data"]["messages"]]
    assert roles.index("assistant: calls get_weather (call_1)") < roles.index("tool: result of get_weather (call_1)")
    ada = as_expert(labelstudio, expert_tokens, EXPERTS[0])
    unknown = response_text(None, [call("get_forecast", '{"city": "Lyon"}')])
    ada.annotations.create(id=ls_task_ids(store)[task_id], result=correction_result("corrected", unknown))
    pulled = pull(store, client, project.config)
    assert pulled.stored == 0 and len(pulled.invalid) == 1
    assert "tool call 1 (get_forecast): unknown tool 'get_forecast'" in pulled.invalid[0].reason
    assert store.annotations_of(task_id) == []


# --- errors people hit --------------------------------------------------------------------------


def test_a_stopped_server_gives_a_clear_error(store, project, cli, monkeypatch, tmp_path):
    server = start_server(tmp_path)  # a server of its own, to stop
    try:
        make_tasks(store, 2, route="labelstudio")
        monkeypatch.setenv("LABEL_STUDIO_URL", server.url)
        monkeypatch.setenv("LABEL_STUDIO_API_KEY", ADMIN_TOKEN)
        assert cli("ls", "push").exit_code == 0
    finally:
        server.stop()
    make_tasks(store, 1, route="labelstudio", texts=lambda n: ("another question", "another answer"))
    for command in ("push", "pull"):
        result = cli("ls", command)
        assert result.exit_code == 1, result.output
        assert f"cannot reach Label Studio at {server.url}" in result.output and "is the server running" in result.output
        assert "Traceback" not in result.output
    assert len(ls_task_ids(store)) == 2  # the task made while the server was down waits for the next push


def test_a_wrong_key_explains_tokens_and_never_shows_the_key(store, project, cli, labelstudio, monkeypatch):
    make_tasks(store, 1, route="labelstudio")
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "wrong0key0that0must0never0be0printed")
    result = cli("ls", "push")
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "personal access token" in result.output
    assert "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN" in result.output
    assert "wrong0key" not in result.output


def test_missing_settings_are_named(project, cli, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    result = cli("ls", "push")
    assert result.exit_code == 1 and "set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY" in result.output


def test_a_project_deleted_on_the_server_is_explained_and_can_be_recreated(store, project, client, labelstudio, cli, ls_env):
    task_ids = make_tasks(store, 3, route="labelstudio")
    first = push(store, client, project.config).projects[0].ls_project_id
    LabelStudio(base_url=labelstudio.url, api_key=ADMIN_TOKEN).projects.delete(id=first)
    with pytest.raises(LabelStudioProjectGone, match=f"project {first} no longer exists"):
        pull(store, client, project.config)
    result = cli("ls", "push")
    assert result.exit_code == 1 and "--recreate" in result.output
    result = cli("ls", "push", "--recreate")
    assert result.exit_code == 0 and "pushed 3 tasks" in result.output
    second = store.active_ls_projects()[0]["ls_project_id"]
    assert second != first and len(server_tasks(client, second)) == 3
    assert set(ls_task_ids(store)) == set(task_ids)


def test_a_config_changed_on_the_server_so_results_no_longer_fit(store, project, client, labelstudio, cli, ls_env):
    make_tasks(store, 1, route="labelstudio")
    ls_project = push(store, client, project.config).projects[0].ls_project_id
    changed = labeling_config("correction", project.config.taxonomy).replace('alias="unusable"', 'alias="garbage"')
    LabelStudio(base_url=labelstudio.url, api_key=ADMIN_TOKEN).projects.update(id=ls_project, label_config=changed)
    result = cli("ls", "pull")
    assert result.exit_code == 1
    assert "was changed on the server" in result.output and "garbage" in result.output and "--reset-config" in result.output
    fixed = cli("ls", "push", "--reset-config")
    assert fixed.exit_code == 0, fixed.output
    assert cli("ls", "pull").exit_code == 0


def test_a_cosmetic_config_change_on_the_server_is_accepted(store, project, client, labelstudio):
    make_tasks(store, 1, route="labelstudio")
    ls_project = push(store, client, project.config).projects[0].ls_project_id
    cosmetic = labeling_config("correction", project.config.taxonomy).replace("Rationale", "Why? (optional)")
    LabelStudio(base_url=labelstudio.url, api_key=ADMIN_TOKEN).projects.update(id=ls_project, label_config=cosmetic)
    assert pull(store, client, project.config).projects == 1
    assert client.project(ls_project)["label_config"] == cosmetic


def test_a_taxonomy_change_updates_the_config_flywheel_pushed(store, project, client):
    make_tasks(store, 1, route="labelstudio")
    ls_project = push(store, client, project.config).projects[0].ls_project_id
    taxonomy = project.config.taxonomy.model_copy(
        update={"failure_categories": [*project.config.taxonomy.failure_categories, FailureCategory(id="late", label="Too slow")]})  # fmt: skip
    config = ProjectConfig.model_validate({**project.config.model_dump(), "taxonomy": taxonomy.model_dump()})
    pull(store, client, config)
    assert 'alias="late"' in client.project(ls_project)["label_config"]


def test_preference_judgments_come_back_as_preference_annotations(store, project, client, labelstudio, expert_tokens):
    task_ids = make_tasks(store, 2, kind="preference", route="labelstudio")
    report = push(store, client, project.config)
    ls_project = report.projects[0].ls_project_id
    shown = {task["id"]: task["data"] for task in server_tasks(client, ls_project)}
    pushed = ls_task_ids(store)
    assert shown[pushed[task_ids[0]]]["response_a"] == "answer 0" and shown[pushed[task_ids[0]]]["response_b"] == "answer 1"
    grace = as_expert(labelstudio, expert_tokens, EXPERTS[1])

    def judged(choice, better=None):
        regions = [{"from_name": "choice", "to_name": "response_a", "type": "choices", "value": {"choices": [choice]}}]
        if better:
            regions.append({"from_name": "better_response", "to_name": "response_a", "type": "textarea", "value": {"text": [better]}})
        return regions

    grace.annotations.create(id=pushed[task_ids[0]], result=judged("b"))
    grace.annotations.create(id=pushed[task_ids[1]], result=judged("both_bad", "What both should have said."))
    assert pull(store, client, project.config).stored == 2
    first, second = (store.annotations_of(task_id)[0] for task_id in task_ids)
    assert (first.kind, first.choice, first.verdict) == ("preference", "b", None)
    assert second.choice == "both_bad" and second.corrected_response == "What both should have said."


def test_sync_pushes_and_pulls_until_told_to_stop(store, project, client, labelstudio, expert_tokens, cli, ls_env):
    task_id = make_tasks(store, 1, route="labelstudio")[0]
    result = cli("ls", "sync", "--every", "1", "--rounds", "1")
    assert result.exit_code == 0 and "pushed 1 tasks" in result.output
    ada = as_expert(labelstudio, expert_tokens, EXPERTS[0])
    ada.annotations.create(id=ls_task_ids(store)[task_id], result=correction_result("acceptable"))
    result = cli("ls", "sync", "--every", "1", "--rounds", "2")
    assert result.exit_code == 0 and "pulled 1 new annotations" in result.output
    assert "pulled 0 new annotations" in result.output  # the second round finds nothing new
    assert store.task(task_id).status == "done"


def test_sync_keeps_going_while_the_server_is_down(project, cli, monkeypatch, store):
    make_tasks(store, 1, route="labelstudio")
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k")
    result = cli("ls", "sync", "--every", "1", "--rounds", "2")
    assert result.exit_code == 0
    assert result.output.count("cannot reach Label Studio") == 2 and "retrying in 1 s" in result.output


def test_an_edit_made_while_a_pull_pages_through_tasks_loses_nothing(store, project, client, labelstudio, expert_tokens, monkeypatch):
    import annotate.labelstudio.client
    import annotate.labelstudio.pull

    task_ids = make_tasks(store, 6, route="labelstudio")
    push(store, client, project.config)
    pushed = ls_task_ids(store)
    ada = as_expert(labelstudio, expert_tokens, EXPERTS[0])
    made = [ada.annotations.create(id=pushed[t], result=correction_result("corrected", f"Fix {t}.")) for t in task_ids]
    monkeypatch.setattr(annotate.labelstudio.client, "PAGE_SIZE", 2)
    monkeypatch.setattr(annotate.labelstudio.pull, "PAGE_TASKS", 2)
    pages = []

    def edit_after_the_first_page(count):
        pages.append(count)
        if len(pages) == 1:  # the first task, already read, is edited before the next page is fetched
            ada.annotations.update(id=made[0].id, result=correction_result("corrected", "Fix, edited mid-pull."))

    report = pull(store, client, project.config, on_task=edit_after_the_first_page)
    assert report.stored == 6 and pages == [2, 2, 2]
    later = pull(store, client, project.config)
    assert later.superseded == 1 and later.stored == 0
    assert store.annotations_of(task_ids[0])[-1].corrected_response == "Fix, edited mid-pull."


def test_human_evaluation_pairs_routed_to_label_studio_are_blind_there_and_their_verdicts_count(store, project, client, labelstudio, expert_tokens):
    from annotate.tasks.human_eval import Pair, route_pairs, win_rates

    prompt = [{"role": "user", "content": "How do I export my invoices?"}]
    pairs = [Pair("sft-7", "base", f"t{n}", prompt, f"Go to Reports > Export, format {n}.", f"I am not sure {n}.") for n in range(2)]
    tasks = route_pairs(store, project.config, "round-9", pairs, route="labelstudio", seed=3)
    report = push(store, client, project.config)
    assert report.projects[0].pushed == 2
    shown = {task["id"]: task for task in server_tasks(client, report.projects[0].ls_project_id)}
    pushed = ls_task_ids(store)
    for task in tasks:
        on_server = json.dumps(shown[pushed[task["task_id"]]])
        assert "sft-7" not in on_server and "round-9" not in on_server  # nothing says which model wrote which
    grace = as_expert(labelstudio, expert_tokens, EXPERTS[1])
    for task in tasks:
        candidate_side = "a" if task["a"] == "sft-7" else "b"
        region = {"from_name": "choice", "to_name": "response_a", "type": "choices", "value": {"choices": [candidate_side]}}
        grace.annotations.create(id=pushed[task["task_id"]], result=[region])
    assert pull(store, client, project.config).stored == 2
    (result,) = win_rates(store, tasks)
    assert (result.wins, result.losses, result.win_rate) == (2, 0, 1.0) and result.ci_low < 1.0
