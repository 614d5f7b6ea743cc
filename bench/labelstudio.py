"""Benchmark: `flywheel ls push` and `ls pull` against a real Label Studio, its own bulk import and export the baselines.

    .venv/bin/python bench/labelstudio.py                # 10,000 tasks, 10,000 annotations
    .venv/bin/python bench/labelstudio.py --tasks 500    # a quick look

Needs the server of the integration tests (`make labelstudio`: Label Studio 1.23 in `.venv-ls`);
one is started on a fresh copy of the migrated template data folder and stopped at the end.

Setup (timed, printed, not part of the figures): a fresh project (`init_project`) with `--tasks`
correction tasks routed to Label Studio, one annotation each, on records made in-process (no
ingest): a prompt of 20-40 words and a response of 40-80 words drawn from support-chat phrases
with a seeded RNG, about 3% of prompts and 1% of responses carrying an email address so PII
redaction (`pii.on_push = "redact"`, the default) does real work as in production. Before
anything is timed, one task is imported both ways (JSON body, file upload) into a throwaway
project, so the server's first-request costs fall on neither side.

(a) Push: `annotate.labelstudio.push.push(store, client, config)` end to end, as `flywheel ls push` runs it
    in a fresh process: reading the tasks, PII redaction (the Presidio engine, imports included,
    is built inside the timed call, once per process, as in the CLI; the build's own time is
    taken by wrapping `annotate.text.pii._engine` and printed apart, with the rate without it),
    project creation, imports in batches of 1,000 tasks and the store writes. Checked: every
    task pushed, and the server's project holds them all.
(b) Baseline, after (a): the same tasks, built with the same `task_payload(...).as_import("correction")`
    from the rows (a) read, written to ONE JSON file and uploaded to a new project with the same
    labeling config through the server's import API (`POST /api/projects/{id}/import`, multipart).
    Timed from the start of the request until the server holds every task (polled, in case the
    import runs in the background); building the JSON is not timed.
Then one expert joins through the invite link and annotates every pushed task through the API
(`POST /api/tasks/{id}/annotations/`, a 'corrected' verdict and an edited response, with their
own token, 2 threads; checked completed_by is the expert): setup, printed, not timed. The
server takes about 20 such requests a second, so this is most of the run (~8 min at 10,000).
(c) Pull: `annotate.labelstudio.pull.pull(store, client, config)` end to end, as `flywheel ls pull` runs it,
    `--repeats` times (3), each from the store as it was before the first (SQLite backup API).
    Checked: one stored annotation per task, none invalid; a re-pull (not timed) adds nothing.
(d) Baseline: the server's JSON export of the same project (`GET /api/projects/{id}/export?exportType=JSON`),
    downloaded and parsed, after each pull. Checked: it holds every annotation. Figures: medians.
Ratios: (a)/(b) in tasks/s and (c)/(d) in annotations/s. Also printed: the latency of each push
batch and of each pull page of 500 tasks (the server's pages of 1,000 are fetched inside them).

Target (issue text): push and pull at least 0.8 of their baselines' rates. Nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from concurrent.futures import ThreadPoolExecutor  # imports `queue`: only once bench/ is off the path

import requests

from annotate.ingest.rows import to_row
from annotate.labelstudio.client import LabelStudioClient
from annotate.labelstudio.configs import labeling_config
from annotate.labelstudio.payloads import task_payload
from annotate.labelstudio.pull import pull
from annotate.labelstudio.push import push
from annotate.project import Project, init_project
from annotate.records import RecordIn
from annotate.store import Store
from annotate.text import pii
from bench.common import summary_line
from tests.labelstudio_server import ADMIN_TOKEN, LabelStudioServer, sign_up, start_server

TARGET_RATIO = 0.8
EXPERT = "expert@bench.example"
SETUP_THREADS = 2  # the server (Django runserver, one process) is slower with more on 2 cores
SHARE_EMAIL_PROMPT, SHARE_EMAIL_RESPONSE = 0.03, 0.01

QUESTIONS = [
    "I was charged twice for my subscription this month and I cannot find a way to get the second charge refunded.",
    "How do I change the billing address on our company account before the next invoice goes out?",
    "Our team cannot export the quarterly report to CSV anymore, the button just spins forever.",
    "Is there a way to add a second administrator without giving them access to payroll?",
    "We moved to a new office and the tax rate on our invoices is still the old one.",
    "The bank feed stopped syncing three days ago and the reconciliation screen shows nothing new.",
    "Can I downgrade from the Scale plan to Starter in the middle of the billing period?",
    "Why does the dashboard show a different balance than the bank statement for last week?",
    "I invited a colleague but the invitation email never arrived, even in the spam folder.",
    "What happens to our archived invoices if we cancel the subscription at the end of the year?",
    "Please explain how the late payment reminders work and whether customers can turn them off.",
    "My card expired and now the account is locked, how do I update the payment method?",
]
CONTEXT = [
    "We are a small accounting firm with about twelve people using the product every day.",
    "This is urgent because our month end close is on Friday.",
    "I already tried logging out and back in, and clearing the browser cache did not help.",
    "The support article I found seems to describe an older version of the settings page.",
    "Thanks in advance, the rest of the product has been great so far.",
    "We are on the annual plan, if that matters.",
]
ANSWERS = [
    "Sorry about the double charge; duplicate payments are refunded automatically within five to ten business days.",
    "You can change the billing address under Settings, then Billing, then Company details, and the next invoice uses it.",
    "Exports to CSV run in the background, so large reports can take a few minutes before the download link appears.",
    "Admins can be given a custom role that excludes payroll by opening Team, choosing Roles and unticking Payroll.",
    "Tax rates follow the address on the account, so once the office address is updated new invoices pick up the rate.",
    "Bank feeds pause when the bank asks for a new consent; reconnecting the feed under Banking resumes the sync.",
    "Plan changes take effect at the end of the current period, and any unused time is credited to the next invoice.",
    "The dashboard balance includes pending transactions, which the bank statement only shows once they have cleared.",
    "Invitations expire after seven days, so sending a fresh one from the Team page usually solves the problem.",
    "Archived invoices stay available to download for ninety days after cancellation, after which they are deleted.",
    "Reminders are sent three, seven and fourteen days after the due date, and each customer can opt out from the email.",
    "Updating the card under Billing unlocks the account immediately, and the failed charge is retried the same day.",
]
CLOSINGS = [
    "Let me know if there is anything else I can help with.",
    "If the problem continues, our support team can take a closer look at your account.",
    "I hope this helps with your month end.",
]
CORRECTION = "A support agent has checked the account and confirmed the details above."


def sentences_up_to(rng: random.Random, first: list[str], more: list[str], low: int, high: int) -> str:
    """One sentence of `first`, then sentences of `more` until at least `low` words, never past `high`."""
    chosen = [rng.choice(first)]
    words = len(chosen[0].split())
    while words < low:
        sentence = rng.choice(more)
        if words + len(sentence.split()) <= high:
            chosen.append(sentence)
            words += len(sentence.split())
    return " ".join(chosen)


def email_of(rng: random.Random, number: int) -> str:
    return f"{rng.choice(['jo', 'sam', 'alex', 'kim', 'lee'])}.{rng.choice(['smith', 'ng', 'garcia', 'okafor'])}{number}@example.com"


def texts(rng: random.Random, number: int) -> tuple[str, str]:
    """A (prompt, response) pair: 20-40 and 40-80 words, a few with an email address."""
    prompt = sentences_up_to(rng, QUESTIONS, CONTEXT, 20, 40)
    response = sentences_up_to(rng, ANSWERS, ANSWERS + CLOSINGS, 40, 80)
    if rng.random() < SHARE_EMAIL_PROMPT:
        prompt += f" You can reach me at {email_of(rng, number)}."
    if rng.random() < SHARE_EMAIL_RESPONSE:
        response += f" I have also sent the details to {email_of(rng, number)}."
    return prompt, response


def build_project(workdir: Path, n_tasks: int, seed: int) -> Project:
    """A project with `n_tasks` open correction tasks routed to Label Studio, one annotation each."""
    project = init_project(workdir / "project", name="bench")
    rng = random.Random(seed)
    with project.open_store() as store:
        round_id = store.open_round()["id"]
        rows = []
        for number in range(n_tasks):
            prompt, response = texts(rng, number)
            record = RecordIn(id=f"bench-{number}", messages=[{"role": "user", "content": prompt}], response=response)
            rows.append(to_row(record, source="bench", round_id=round_id, ingest_id=None))
        with store.transaction():
            store.insert_new_records(rows)
        store.insert_tasks([
            {"kind": "correction", "record_id": row[0], "record_b_id": None, "origin": "bench", "priority": rng.random(),
             "why": "", "cluster": None, "required_annotations": 1, "is_gold": 0, "gold_answer": None,
             "route": "labelstudio", "round_id": round_id}
            for row in rows
        ])  # fmt: skip
    return project


# --- the server's own API, with plain requests -------------------------------------------------


def api(url: str, token: str = ADMIN_TOKEN) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    session.base_url = url  # type: ignore[attr-defined]
    return session


def task_number(session: requests.Session, ls_project_id: int) -> int:
    reply = session.get(f"{session.base_url}/api/projects/{ls_project_id}", timeout=60)
    reply.raise_for_status()
    return reply.json()["task_number"]


def run_baseline_import(session: requests.Session, label_config: str, payloads: list[dict]) -> tuple[float, int]:
    """Seconds to import all payloads as one JSON file, until the server holds them; the project id."""
    reply = session.post(f"{session.base_url}/api/projects/", json={"title": "bench baseline", "label_config": label_config},
                         timeout=60)  # fmt: skip
    reply.raise_for_status()
    ls_project_id = reply.json()["id"]
    body = json.dumps(payloads).encode()
    started = time.perf_counter()
    reply = session.post(f"{session.base_url}/api/projects/{ls_project_id}/import",
                         files={"file": ("tasks.json", body, "application/json")}, timeout=3600)  # fmt: skip
    reply.raise_for_status()
    if reply.json().get("task_count") != len(payloads):  # not imported while we waited: it runs in the background
        while task_number(session, ls_project_id) < len(payloads):
            time.sleep(0.1)
    seconds = time.perf_counter() - started
    if task_number(session, ls_project_id) != len(payloads):
        sys.exit(f"baseline import: the project holds {task_number(session, ls_project_id)} tasks, not {len(payloads)}")
    return seconds, ls_project_id


def run_baseline_export(session: requests.Session, ls_project_id: int) -> tuple[float, int]:
    """Seconds to download and parse the project's JSON export; how many annotations it held."""
    started = time.perf_counter()
    reply = session.get(f"{session.base_url}/api/projects/{ls_project_id}/export", params={"exportType": "JSON"},
                        timeout=3600)  # fmt: skip
    reply.raise_for_status()
    tasks = reply.json()
    seconds = time.perf_counter() - started
    return seconds, sum(len(task.get("annotations") or []) for task in tasks)


def annotate_all(url: str, token: str, tasks: list[tuple[int, str]]) -> tuple[float, int]:
    """One 'corrected' annotation per (Label Studio task id, response shown) as the token's user; seconds, user id."""
    whoami = api(url, token).get(f"{url}/api/current-user/whoami", timeout=60)
    whoami.raise_for_status()
    user_id = whoami.json()["id"]
    sessions: dict[int, requests.Session] = {}

    def create(item: tuple[int, str]) -> int:
        session = sessions.setdefault(threading.get_ident(), api(url, token))
        ls_task_id, response = item
        result = [
            {"from_name": "verdict", "to_name": "response", "type": "choices", "value": {"choices": ["corrected"]}},
            {"from_name": "correction", "to_name": "response", "type": "textarea", "value": {"text": [f"{response} {CORRECTION}"]}},
            {"from_name": "failure_categories", "to_name": "response", "type": "choices", "value": {"choices": ["incomplete"]}},
            {"from_name": "severity", "to_name": "response", "type": "choices", "value": {"choices": ["minor"]}},
        ]  # fmt: skip  (a 'corrected' verdict needs a category and a severity: the answer rules)
        reply = session.post(f"{url}/api/tasks/{ls_task_id}/annotations/", json={"result": result, "lead_time": 30.0},
                             timeout=120)  # fmt: skip
        reply.raise_for_status()
        return reply.json()["completed_by"]

    started = time.perf_counter()
    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        authors = set(pool.map(create, tasks))
    if authors != {user_id}:
        sys.exit(f"annotations were completed by {authors}, not the expert ({user_id})")
    return time.perf_counter() - started, user_id


# --- the measured Flywheel calls ---------------------------------------------------------------


class Laps:
    """A callback that keeps the seconds since the previous call (or since `start`)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.start()

    def start(self) -> None:
        self._last = time.perf_counter()

    def __call__(self, _count: int) -> None:
        now = time.perf_counter()
        self.seconds.append(now - self._last)
        self._last = now


def run_push(store: Store, client: LabelStudioClient, project: Project) -> tuple[float, list[float], int]:
    """Seconds of push end to end, seconds per batch, the Label Studio project id."""
    batches = Laps()
    started = time.perf_counter()
    batches.start()
    report = push(store, client, project.config, on_batch=batches)
    seconds = time.perf_counter() - started
    expected = store.db.execute("SELECT COUNT(*) FROM tasks WHERE route = 'labelstudio'").fetchone()[0]
    if report.pushed != expected or len(report.projects) != 1:
        sys.exit(f"push: pushed {report.pushed} of {expected} tasks into {len(report.projects)} projects")
    return seconds, batches.seconds, report.projects[0].ls_project_id


def run_pull(store: Store, client: LabelStudioClient, project: Project, expected: int) -> tuple[float, list[float]]:
    """Seconds of pull end to end, seconds per page of tasks written."""
    pages = Laps()
    started = time.perf_counter()
    pages.start()
    report = pull(store, client, project.config, on_task=pages)
    seconds = time.perf_counter() - started
    if report.stored != expected or report.invalid or report.unknown_tasks:
        sys.exit(f"pull: stored {report.stored} of {expected}, {len(report.invalid)} invalid "
                 f"({report.invalid[:1]}), {len(report.unknown_tasks)} unknown tasks")  # fmt: skip
    return seconds, pages.seconds


def timing_pii_engine() -> list[float]:
    """Seconds of each call to `annotate.text.pii._engine` from now on (the first builds it, imports included)."""
    seconds, build = [], pii._engine

    def timed(*args, **kwargs):  # whatever the engine's builder takes (it now takes the entities asked for)
        started = time.perf_counter()
        try:
            return build(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    pii._engine = timed
    return seconds


def warm_up(session: requests.Session, label_config: str) -> None:
    """A task imported both ways into a throwaway project: the server's first-request costs land on neither side."""
    reply = session.post(f"{session.base_url}/api/projects/", json={"title": "bench warm-up", "label_config": label_config},
                         timeout=60)  # fmt: skip
    reply.raise_for_status()
    url = f"{session.base_url}/api/projects/{reply.json()['id']}/import"
    task = {"data": {"messages": [{"role": "user", "content": "hello"}], "response": "hi"}}
    session.post(url, json=[task], timeout=60).raise_for_status()  # as the SDK sends it
    session.post(url, files={"file": ("tasks.json", json.dumps([task]).encode(), "application/json")}, timeout=60).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks to push, and annotations to pull")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="pulls (each from the same store) and exports, alternated")
    args = parser.parse_args()
    n = args.tasks

    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        workdir = Path(folder)
        started = time.perf_counter()
        server: LabelStudioServer = start_server(workdir)
        setup = {"server": time.perf_counter() - started}
        try:
            started = time.perf_counter()
            project = build_project(workdir, n, args.seed)
            setup["tasks"] = time.perf_counter() - started
            config = project.config
            label_config = labeling_config("correction", config.taxonomy)
            admin = api(server.url)
            client = LabelStudioClient(server.url, ADMIN_TOKEN, import_timeout=3600)
            warm_up(admin, label_config)
            with project.open_store() as store:
                rows = store.tasks_to_push(None, None)  # for the baseline, read before push takes them
                if "presidio_analyzer" in sys.modules:
                    sys.exit("the PII engine is loaded before push: push would not pay for it as `flywheel ls push` does")
                engine_calls = timing_pii_engine()
                push_seconds, batches, ls_project_id = run_push(store, client, project)
                on_server = task_number(admin, ls_project_id)
                if on_server != n:
                    sys.exit(f"push: the server's project holds {on_server} tasks, not {n}")

                payloads = [task_payload(row, config.pii, config.flagging.pii_min_score).as_import("correction")
                            for row in rows]  # fmt: skip
                import_seconds, _ = run_baseline_import(admin, label_config, payloads)

                token = sign_up(server.url, EXPERT, "expert-password-123")
                responses = {payload["data"]["flywheel_task_id"]: payload["data"]["response"] for payload in payloads}
                pushed = store.db.execute("SELECT id, external_id FROM tasks WHERE ls_project IS NOT NULL").fetchall()
                setup["annotations"], _ = annotate_all(server.url, token, [(int(ls), responses[task]) for task, ls in pushed])

                before = sqlite3.connect(":memory:")
                store.conn.backup(before)  # the store before the pull: each repetition starts from it
                pull_runs, export_runs = [], []
                for _ in range(args.repeats):  # alternated, so both see the same machine
                    before.backup(store.conn)
                    seconds, pages = run_pull(store, client, project, n)
                    pull_runs.append(seconds)
                    if (again := pull(store, client, project.config).added) != 0:
                        sys.exit(f"a re-pull added {again} annotations")
                    seconds, exported = run_baseline_export(admin, ls_project_id)
                    export_runs.append(seconds)
                    if exported != n:
                        sys.exit(f"export: {exported} annotations, not {n}")
                pull_seconds, export_seconds = statistics.median(pull_runs), statistics.median(export_runs)
        finally:
            server.stop()
    engine_seconds = engine_calls[0] if engine_calls else 0.0  # the build; later calls hit the cache
    redacted = sum("<EMAIL_ADDRESS_1>" in json.dumps(payload) for payload in payloads)
    size_mb = len(json.dumps(payloads)) / 1e6

    push_rate, import_rate = n / push_seconds, n / import_seconds
    pull_rate, export_rate = n / pull_seconds, n / export_seconds
    warm_rate = n / (push_seconds - engine_seconds)
    push_verdict = "meets" if push_rate / import_rate >= TARGET_RATIO else "misses"
    print(f"tasks                {n:,} correction tasks ({redacted:,} with an email redacted before they leave)")
    print(f"setup                server start {setup['server']:.1f} s, records+tasks {setup['tasks']:.1f} s, "
          f"{n:,} annotations through the API {setup['annotations']:.1f} s ({n / setup['annotations']:,.0f}/s, "
          f"{SETUP_THREADS} threads)")  # fmt: skip
    print(f"(a) flywheel push    {push_rate:,.0f} tasks/s ({push_seconds:.1f} s, of which {engine_seconds:.1f} s building the PII engine)")
    print(f"(b) bulk import      {import_rate:,.0f} tasks/s ({import_seconds:.1f} s; one {size_mb:.1f} MB JSON file)")
    print(f"ratio (a)/(b)        {push_rate / import_rate:.2f}   (target >= {TARGET_RATIO}: {push_verdict})")
    print(f"  without the build  {warm_rate:,.0f} tasks/s, ratio {warm_rate / import_rate:.2f}   (the engine, imports included, "
          "is built once per process, on the first text that could hold personal data)")  # fmt: skip
    runs = lambda values: " / ".join(f"{value:.1f}" for value in values)  # noqa: E731
    print(f"(c) flywheel pull    {pull_rate:,.0f} annotations/s (median {pull_seconds:.1f} s; runs {runs(pull_runs)} s; "
          "each re-pulled: nothing added)")  # fmt: skip
    print(f"(d) JSON export      {export_rate:,.0f} annotations/s (median {export_seconds:.1f} s; runs {runs(export_runs)} s)")
    pull_verdict = "meets" if pull_rate / export_rate >= TARGET_RATIO else "misses"
    print(f"ratio (c)/(d)        {pull_rate / export_rate:.2f}   (target >= {TARGET_RATIO}: {pull_verdict}; median over median)")
    print(f"push, per batch      {summary_line(batches, width=9)}   ({len(batches)} batches of up to 1,000 tasks)")
    print(f"pull, per page       {summary_line(pages, width=9)}   ({len(pages)} pages of up to 500 tasks)")
    print(f"cpu                  {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
