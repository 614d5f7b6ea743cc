"""Benchmark: the full SFT export (`build_export` + `write_snapshot`, every gate) against a bare
`json.dumps` of the same rows to a file, in the same run.

    .venv/bin/python bench/export.py                  # 100,000 correction tasks, one resolved answer each
    .venv/bin/python bench/export.py --tasks 5000     # a quick look
    .venv/bin/python bench/export.py --profile 30     # also the 30 costliest calls of one more export (cProfile)

Setup (timed, printed, not part of the figures): a fresh project (`init_project`, default config:
taxonomy, the refusal format validator, the PII entities); `--tasks` records made in-process with
`to_row(RecordIn(...))` and `insert_new_records` (no ingest): a Ledgerly support system prompt, a
user turn of 20-40 words and a response of 30-60 words, composed from a support-chat vocabulary
with a seeded RNG (every prompt distinct); one correction task per record through `insert_tasks`
(`required_annotations` 1); `--annotators` annotators (`insert_annotator`); then one answer per
task written with one `executemany` in one transaction, as the review app stores them (answer JSON
and its columns, source 'app'), and every task set to 'done' with one answer, so every task is a
resolved decision (method 'single'). The answers:
- verdict 'corrected' for about 1/3 (with a corrected response of 40-80 words), 'unusable' for
  `--unusable` (2%), else 'acceptable'; failure categories (one or two) from the default taxonomy
  when the response is wrong, with a severity;
- planted for the gates to find (the copies are of other items, all shuffled together):
  `--exact` (2%) exact duplicates (the same prompt and answer; half with another case or spacing),
  `--near` (2%) near duplicates (one word of the prompt changed, and of the answer for half),
  `--conflicts` (0.5%) conflicts (one word of the prompt changed, a different answer),
  `--refusals` (0.5%) accepted responses that refuse (the refusal format validator drops them);
- `--pii` (3%) of items carry an email address or a card number (Luhn-valid) in the prompt or in
  the answer, so the Presidio scrub redacts something; `--digits` (3%) mention a date or an invoice
  number (digit runs that send a text to Presidio without personal data in it);
- `--groups` (10%) of records are in paraphrase groups (`group_id`) of 2 to 4: one question asked
  in other words around it.

(a) The export in-process, `--repeats` times (1): `build_export(store, project, "sft", ExportSpec(),
    seed=0)` then `write_snapshot(store, project, NAME, plan)` on a store opened beforehand. The
    first run is the process's first (cold: scikit-learn's import, the Presidio engine's build).
    And end to end, as a user runs it: `python -m annotate --project DIR --quiet export --kind sft
    --name NAME` (the `flywheel` command, from this checkout) in a child process with its stdout to
    /dev/null, `--repeats` times, beside the time of `python -c "import annotate.cli"` (the start-up
    inside it).
(b) Baseline: `json.dumps(row, ensure_ascii=False)` of the same rows (`trl_row` of the plan's train
    and eval examples, built beforehand, not timed), written line by line to one file, 3 times
    (median). Ratio: (a) median over (b) median.
Breakdown: the pipeline run stage by stage, calling the pieces `build_export` calls, in its order
(decisions, records, examples, each gate, split, balance, leakage check, profile, write), once, warm
(after (a)); inside each stage the module functions named below are timed with wrappers (calls
counted; lines inside a stage may overlap when one calls another). It must give the same train and
eval rows as (a) (checked and printed); each stage's last line is its time outside the direct calls
named (for decisions: the per-task groupby and iterrows; for the split: scikit-learn). With
`--profile N`: one more export under cProfile, the top N by cumulative and by own time.

Target (issue 23): the full export under 15 s at 100,000 resolved annotations. The verdict is
printed as a statement; nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from annotate.consensus.conflicts import record_conflicts, settled_conflicts, waiting_for_lead  # noqa: E402
from annotate.export import decisions as decisions_module
from annotate.export import gates
from annotate.export import near_duplicates as near_duplicates_module
from annotate.export import profile as profile_module
from annotate.export import snapshot as snapshot_module
from annotate.export import split as split_module
from annotate.export.build import ExportPlan, build_export
from annotate.export.decisions import decisions
from annotate.export.formats import examples_from, trl_row
from annotate.export.profile import quality_profile
from annotate.export.snapshot import write_snapshot
from annotate.export.spec import ExportSpec
from annotate.export.frozen import FrozenEval
from annotate.export.split import settle_leakage, split
from annotate.ingest.rows import to_row
from annotate.project import Project, init_project
from annotate.records import RecordIn, last_user_turn
from annotate.text import pii as pii_module
from annotate.text.formats import FormatCheck
from annotate.text.refusal import is_refusal
from bench.common import measure_command, runs_line  # noqa: E402 (after the sys.path line)

TARGET_SECONDS = 15.0
KIND = "sft"
CATEGORIES = ("factual_error", "incomplete", "unhelpful", "unwarranted_refusal", "format_violation",
              "policy_violation", "pii_leak", "tone")  # fmt: skip
CATEGORY_WEIGHTS = (0.30, 0.25, 0.15, 0.06, 0.10, 0.04, 0.03, 0.07)
SEVERITIES = ("minor", "major", "critical")
SEVERITY_WEIGHTS = (0.50, 0.35, 0.15)
START = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
SPAN_DAYS = 42
SYSTEM = ("You are Ledgerly's support assistant. Answer questions about invoices, payments, reports and "
          "account settings briefly and accurately; never make up menu paths.")  # fmt: skip
ANNOTATION_COLUMNS = (
    "id", "task_id", "annotator_id", "kind", "answer", "verdict", "choice", "corrected_response",
    "failure_categories", "severity", "rationale", "seconds_spent", "source", "external_id", "supersedes", "created_at",
)  # fmt: skip
RATIONALES = ("Wrong menu path.", "Missed half the question.", "Refund window is wrong.", "Too curt.", "Fine as is.")

# --- the support-chat vocabulary -------------------------------------------------------------------

WORDS = {
    "verb": ("export", "import", "merge", "archive", "duplicate", "refund", "cancel", "rename", "download", "share",
             "lock", "unlock", "schedule", "approve", "reopen", "split", "sync", "restore", "transfer", "edit",
             "delete", "resend", "convert", "attach", "print", "void", "reconcile", "categorise", "tag", "assign"),
    "past": ("exported", "imported", "merged", "archived", "duplicated", "refunded", "cancelled", "renamed",
             "downloaded", "shared", "locked", "approved", "reopened", "synced", "restored", "edited", "deleted",
             "resent", "converted", "voided", "reconciled", "upgraded", "downgraded", "changed"),
    "gerund": ("exporting", "importing", "merging", "archiving", "refunding", "cancelling", "renaming", "downloading",
               "syncing", "restoring", "editing", "deleting", "resending", "converting", "reconciling", "reopening"),
    "noun": ("invoice", "receipt", "quote", "payment", "subscription", "workspace", "customer record", "bank feed",
             "tax rate", "report", "credit note", "purchase order", "expense claim", "payout", "statement",
             "price list", "discount code", "contact", "project", "timesheet", "reminder email", "recurring invoice",
             "ledger", "dashboard", "API key", "webhook", "user role", "team seat", "currency setting",
             "billing address", "VAT number", "late fee", "deposit", "estimate", "vendor bill"),
    "det": ("the", "my", "our", "this", "that", "every", "each", "a"),
    "prep": ("to", "from", "into", "in", "for", "with"),
    "place": ("CSV", "Excel", "PDF", "the mobile app", "the web app", "QuickBooks", "Xero", "the accounting tab",
              "the archive", "another workspace", "a shared folder", "the client portal", "Google Sheets"),
    "problem": ("fails", "shows an error", "stays pending", "disappears", "looks wrong", "is greyed out", "times out",
                "shows up twice", "keeps spinning", "comes out blank", "shows the old amount", "rounds incorrectly",
                "ignores the discount", "uses the wrong currency", "never arrives"),
    "time": ("yesterday", "last week", "this morning", "since Monday", "every time", "after the update",
             "at month end", "two days ago", "since the migration", "during checkout", "after I log in",
             "since we changed plans"),
    "plan": ("Starter", "Growth", "Business", "Enterprise", "Free", "Pro"),
    "people": ("users", "admins", "accountants", "clients", "seats", "workspaces", "locations", "vendors"),
    "person": ("accountant", "manager", "colleague", "bookkeeper", "client", "business partner", "assistant"),
    "device": ("an iPhone", "Android", "Chrome", "Safari", "Firefox", "Windows", "a Mac", "an iPad"),
    "adj": ("wrong", "missing", "duplicated", "locked", "empty", "outdated", "slow", "broken", "hidden", "read-only"),
    "menu": ("Settings", "Reports", "Billing", "Customers", "Invoices", "Payments", "Integrations", "Team",
             "Accounting", "Documents", "Expenses", "Projects"),
    "submenu": ("General", "Export", "History", "Permissions", "Templates", "Taxes", "Currencies", "Bank feeds",
                "Reminders", "Advanced", "Numbering", "Payment methods"),
    "option": ("Export CSV", "Merge", "Archive", "Refund", "Duplicate", "Void", "Download PDF", "Resend", "Sync now",
               "Restore", "Mark as paid", "Convert to invoice"),
    "button": ("Save", "Confirm", "Apply", "Continue", "Done", "Update"),
    "cause": ("the bank feed is still syncing", "the tax rate was changed after the invoice was sent",
              "your role does not have edit rights", "the browser holds an old version of the page",
              "the payment is still being processed", "the currency differs from the workspace default",
              "the record sits in a closed accounting period", "an integration overwrote the value",
              "the customer has two records", "the template still uses the old logo"),
    "fix": ("clear the browser cache", "sign out and back in", "ask an admin to grant you edit rights",
            "reopen the accounting period", "reconnect the bank feed", "update the app", "refresh the page",
            "check the tax settings", "pick the right template", "merge the duplicate records first"),
    "escalate": ("reply here with a screenshot", "our billing team can look at it", "contact your account manager",
                 "open a ticket from the Help menu", "we can check the logs for you", "write to us from the app"),
    "note": ("archived items can be restored for 30 days", "refunds take 5 to 10 business days",
             "exports include only the visible columns", "only admins can change billing details",
             "the change applies to new documents only", "deleted payments cannot be recovered",
             "the mobile app shows the same data as the web app", "reports use the workspace time zone"),
    "apply": ("at once", "from the next billing cycle", "after the next sync", "within a few minutes",
              "on the next invoice", "after a page refresh"),
}  # fmt: skip
GREETINGS = ("Hi,", "Hello,", "Hi there,", "Hey team,", "Good morning,", "Quick question:", "Hello support,",
             "Hi again,", "Morning,", "")  # fmt: skip
CLOSINGS = ("Thanks!", "Thanks in advance.", "Any help is appreciated.", "Please advise.", "Cheers.",
            "I need this fixed today.", "Thank you.", "")  # fmt: skip
QUESTIONS = (
    "how do I {verb} {det} {noun} {prep} {place}?", "is there a way to {verb} {det} {noun} without {gerund} the {noun}?",
    "why does {det} {noun} {problem} when I {verb} it {time}?", "can I {verb} {det} {noun} for {det} {noun} {time}?",
    "what happens to {det} {noun} if I {verb} the {noun}?", "where do I {verb} the {noun} for {det} {noun}?",
    "who can {verb} {det} {noun} in our workspace?", "does {gerund} the {noun} also {verb} the {noun}?",
)  # fmt: skip
CONTEXTS = (
    "I {past} {det} {noun} {time} and now the {noun} {problem}.", "We are on the {plan} plan with {n} {people}.",
    "My {person} says the {noun} {problem} on {device}.", "I already tried {gerund} the {noun} but nothing changed.",
    "This started {time} after we {past} the {noun}.", "The {noun} looks {adj} and the {noun} {problem}.",
    "It happens on {device} and on {device} alike.", "We have about {n} {people} and {n} open {noun}s.",
    "Our {person} needs the {noun} before {time}.", "The {noun} was fine until we {past} our {noun}.",
)  # fmt: skip
ANSWERS = (
    "To {verb} the {noun}, open {menu} > {submenu} and choose {option}.", "The {noun} {problem} when {cause}.",
    "You can {verb} {det} {noun} from {menu}, then press {button} to confirm.", "This usually happens because {cause}.",
    "Please {fix} and try again.", "If that does not help, {escalate}.", "Note that {note}.",
    "Changes apply {apply}.", "Go to {menu} > {submenu}, select the {noun} and press {button}.",
    "In {menu}, the {noun} list has a filter for {adj} items.", "Most often {cause}, so {fix} first.",
)  # fmt: skip
CORRECTION_OPENINGS = ("Sorry for the trouble.", "Thanks for the details.", "Good question.", "Here is how it works.",
                       "That is a known issue.", "")  # fmt: skip
REFUSALS = ("I'm sorry, but I can't help with that request.", "I cannot help with account changes like this one.",
            "Unfortunately, I can't assist with billing questions here.")  # fmt: skip
SYNONYMS = ("account", "document", "entry", "item", "file", "record", "page", "screen", "list", "setting", "option",
            "today", "now", "again", "please", "also", "still", "just", "really", "quickly")  # fmt: skip
FIRST_NAMES = ("anna", "ben", "chloe", "david", "emma", "farid", "grace", "hugo", "ines", "jonas", "kim", "lena")
LAST_NAMES = ("martin", "novak", "okafor", "patel", "quinn", "rossi", "schmidt", "tanaka", "ueda", "varga")
DOMAINS = ("example.com", "mailbox.org", "acme-corp.com", "gmail.com", "outlook.com", "brightbooks.io")
PII_PROMPT = ("My email is {email}.", "Please write to {email} instead.", "I paid with the card {card}.",
              "The card on file is {card}.", "You can reach me at {email}.")  # fmt: skip
PII_ANSWER = ("We sent the receipt to {email}.", "The payment from card {card} is on hold.",
              "I have updated the contact email to {email}.")  # fmt: skip
DIGITS = ("It was on {date}.", "The invoice is INV-{number}.", "Our order number is {number}.", "Since {date}.")

_SLOT = re.compile(r"\{(\w+)\}")
_WORDLIKE = re.compile(r"^[A-Za-z]{3,}$")


def _fill(template: str, rng: random.Random) -> str:
    def slot(match: re.Match) -> str:
        name = match.group(1)
        return str(rng.randint(2, 40)) if name == "n" else rng.choice(WORDS[name])

    return _SLOT.sub(slot, template)


def _sentence(template: str, rng: random.Random) -> str:
    text = _fill(template, rng)
    return text[0].upper() + text[1:]


def _compose(pieces: Callable[[], str], low: int, high: int, rng: random.Random, head: str = "", tail: str = "") -> str:
    """Sentences from `pieces()` after `head` until the text has at least a target in [low, high] words
    (never more than `high` while a shorter sentence can be found), then `tail`."""
    target = rng.randint(low, high)
    parts = [head] if head else []
    words = len(head.split()) + len(tail.split())
    for _ in range(40):
        if words >= target:
            break
        sentence = pieces()
        if words + len(sentence.split()) <= high:
            parts.append(sentence)
            words += len(sentence.split())
    if tail:
        parts.append(tail)
    return " ".join(parts)


def _prompt(rng: random.Random, question: str | None = None, extra: str = "") -> str:
    greeting = rng.choice(GREETINGS)
    question = question or _fill(rng.choice(QUESTIONS), rng)
    head = f"{greeting} {question}" if greeting else question[0].upper() + question[1:]
    head = f"{head} {extra}" if extra else head
    return _compose(lambda: _sentence(rng.choice(CONTEXTS), rng), 20, 40, rng, head, rng.choice(CLOSINGS))


def _response(rng: random.Random, low: int = 30, high: int = 60, extra: str = "") -> str:
    opening = rng.choice(CORRECTION_OPENINGS) if low >= 40 else ""
    head = " ".join(part for part in (opening, extra) if part)
    return _compose(lambda: _sentence(rng.choice(ANSWERS), rng), low, high, rng, head)


def _card(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for position, digit in enumerate(reversed(digits)):  # Luhn: double every second digit from the check digit
        if position % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return rng.choice((" ", "-", "")).join(text[i : i + 4] for i in range(0, 16, 4))


def _personal(rng: random.Random, templates: tuple[str, ...]) -> str:
    email = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
    return rng.choice(templates).format(email=email, card=_card(rng))


def _digits(rng: random.Random) -> str:
    day = START - timedelta(days=rng.randint(1, 400))
    return rng.choice(DIGITS).format(date=day.date().isoformat(), number=rng.randint(100_000, 999_999))


def _one_word_changed(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if _WORDLIKE.match(word)] or [0]
    i = rng.choice(candidates)
    words[i] = rng.choice([word for word in SYNONYMS if word != words[i].lower()])
    return " ".join(words)


def _verdict_fields(verdict: str, rng: random.Random) -> dict:
    wrong = verdict != "acceptable"
    categories = []
    if wrong:
        categories = [rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]]
        if rng.random() < 0.25:
            second = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
            categories += [second] if second != categories[0] else []
    severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0] if wrong else None
    return {"verdict": verdict, "categories": categories, "severity": severity}


def generate_items(args: argparse.Namespace, rng: random.Random) -> tuple[list[dict], Counter]:
    """One dict per record/task: prompt, response, verdict, corrected, categories, severity, group, planted."""
    n = args.tasks
    planted = Counter()
    n_exact, n_near, n_conflicts = round(n * args.exact), round(n * args.near), round(n * args.conflicts)
    n_base = n - n_exact - n_near - n_conflicts
    seen: set[str] = set()
    items: list[dict] = []
    group_number = 0
    while len(items) < n_base:
        size = rng.randint(2, 4) if rng.random() < args.groups / 3 else 1  # groups average 3 records
        size = min(size, n_base - len(items))
        question = _fill(rng.choice(QUESTIONS), rng)
        group = None
        if size > 1:
            group_number += 1
            group = f"g{group_number:05d}"
        for _ in range(size):
            roll = rng.random()
            prompt_extra = answer_extra = ""
            if roll < args.pii:
                if rng.random() < 2 / 3:
                    prompt_extra = _personal(rng, PII_PROMPT)
                else:
                    answer_extra = _personal(rng, PII_ANSWER)
                planted["pii"] += 1
            elif roll < args.pii + args.digits:
                prompt_extra = _digits(rng)
                planted["digits"] += 1
            prompt = _prompt(rng, question if group else None, prompt_extra)
            while prompt in seen:
                prompt = _prompt(rng, question if group else None, prompt_extra)
            seen.add(prompt)
            value = rng.random()
            verdict = (
                "unusable"
                if value < args.unusable
                else "corrected"
                if value < args.unusable + args.corrected
                else "acceptable"
            )
            item = {"prompt": prompt, "group": group, "planted": None, **_verdict_fields(verdict, rng)}
            if verdict == "acceptable" and rng.random() < args.refusals:
                item["response"] = _compose(
                    lambda: _sentence(rng.choice(ANSWERS), rng), 30, 60, rng, rng.choice(REFUSALS)
                )
                item["planted"] = "refusal"
                planted["refusal"] += 1
            else:
                item["response"] = _response(rng, extra=answer_extra if verdict != "corrected" else "")
            item["corrected"] = _response(rng, 40, 80, answer_extra) if verdict == "corrected" else None
            planted["group member"] += group is not None
            planted[verdict] += 1
            items.append(item)
    sources = [item for item in items if item["verdict"] != "unusable" and item["planted"] is None]
    for kind, count in (("exact", n_exact), ("near", n_near), ("conflict", n_conflicts)):
        for _ in range(count):
            source = rng.choice(sources)
            copy = {**source, "group": None, "planted": kind}
            if kind == "exact":
                if rng.random() < 0.5:  # the same after normalisation: case and spacing differ
                    copy["prompt"] = copy["prompt"].lower().replace(" ", "  ", 1)
            elif kind == "near":
                copy["prompt"] = _one_word_changed(copy["prompt"], rng)
                if rng.random() < 0.5:
                    key = "corrected" if copy["verdict"] == "corrected" else "response"
                    copy[key] = _one_word_changed(copy[key], rng)
            else:  # the same question (near enough), another answer
                copy["prompt"] = _one_word_changed(copy["prompt"], rng)
                copy["response"] = _response(rng)
                if copy["verdict"] == "corrected":
                    copy["corrected"] = _response(rng, 40, 80)
            planted[kind] += 1
            planted[copy["verdict"]] += 1
            items.append(copy)
    rng.shuffle(items)
    return items, planted


# --- setup ----------------------------------------------------------------------------------------


def build_project(workdir: Path, args: argparse.Namespace) -> tuple[Project, dict[str, float], Counter, list[dict]]:
    """The project described in the module docstring; setup timings, planted counts and the items."""
    rng = random.Random(args.seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    items, planted = generate_items(args, rng)
    timings["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    project = init_project(workdir / "project", name="bench export")
    store = project.open_store()
    round_id = store.open_round()["id"]
    records = [
        to_row(
            RecordIn(id=f"chat-{number}", messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": item["prompt"]}],
                     response=item["response"], model="ledgerly-assistant@2026-08", group=item["group"],
                     created_at=START + timedelta(days=rng.uniform(0, SPAN_DAYS))),
            source="ledgerly-prod", round_id=round_id, ingest_id=None,
        )
        for number, item in enumerate(items)
    ]  # fmt: skip
    with store.transaction():
        store.insert_new_records(records)
    timings["records"] = time.perf_counter() - started

    started = time.perf_counter()
    task_ids = store.insert_tasks([
        {"kind": "correction", "record_id": record[0], "record_b_id": None, "origin": "bench", "priority": rng.random(),
         "why": "", "cluster": None, "required_annotations": 1, "is_gold": 0, "gold_answer": None, "route": "app",
         "round_id": round_id}
        for record in records
    ])  # fmt: skip
    annotator_ids = [
        store.insert_annotator(f"expert{i:02d}@bench.example", "annotator")["id"] for i in range(args.annotators)
    ]
    timings["tasks"] = time.perf_counter() - started

    started = time.perf_counter()
    rows = []
    for number, (task_id, item) in enumerate(zip(task_ids, items, strict=True)):
        answer = {
            "failure_categories": item["categories"], "severity": item["severity"],
            "rationale": rng.choice(RATIONALES) if rng.random() < 0.3 else "",
            "seconds_spent": None if rng.random() < 0.02 else round(rng.lognormvariate(4.5, 0.6), 1),
            "kind": "correction", "verdict": item["verdict"], "corrected_response": item["corrected"],
        }  # fmt: skip
        when = START + timedelta(days=rng.uniform(0, SPAN_DAYS))
        rows.append((
            number + 1, task_id, rng.choice(annotator_ids), "correction", json.dumps(answer), item["verdict"], None,
            item["corrected"], json.dumps(item["categories"]), item["severity"], answer["rationale"],
            answer["seconds_spent"], "app", None, None, when.isoformat(timespec="milliseconds"),
        ))  # fmt: skip
    marks = ", ".join("?" * len(ANNOTATION_COLUMNS))
    with store.transaction():
        store.db.conn.executemany(f"INSERT INTO annotations ({', '.join(ANNOTATION_COLUMNS)}) VALUES ({marks})", rows)
        store.db.conn.execute("UPDATE tasks SET status = 'done', done_annotations = 1")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["annotations"] = time.perf_counter() - started
    store.close()
    return project, timings, planted, items


# --- measurements ---------------------------------------------------------------------------------


def measure_export(project: Project, repeats: int) -> tuple[list[float], ExportPlan, Path]:
    """(a) in-process: seconds per run (build_export + write_snapshot), the last plan and snapshot folder."""
    times, plan, folder = [], None, None
    with project.open_store() as store:
        for run in range(repeats):
            started = time.perf_counter()
            plan = build_export(store, project, KIND, ExportSpec(), seed=0)
            folder = write_snapshot(store, project, f"bench-inprocess-{run}", plan)
            times.append(time.perf_counter() - started)
    return times, plan, folder




def measure_baseline(rows: list[dict], path: Path, repeats: int = 3) -> tuple[list[float], int]:
    """(b): json.dumps of each row, written line by line to one file; seconds per run and the file's bytes."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with open(path, "w", encoding="utf-8") as out:
            for row in rows:  # noqa: FURB122 (the loop snapshot._write_files runs)
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        times.append(time.perf_counter() - started)
    return times, path.stat().st_size


class Breakdown:
    """Top-level stages timed in order; inside each, the seconds and calls of wrapped functions."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.stages: list[tuple[str, float, dict[str, tuple[float, int]]]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        seconds, calls = dict(self.seconds), Counter(self.calls)
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        inner = {label: (self.seconds[label] - seconds.get(label, 0.0), self.calls[label] - calls[label])
                 for label in self.seconds if self.calls[label] - calls[label]}  # fmt: skip
        if inner:
            direct = sum(seconds for label, (seconds, _) in inner.items()
                         if not any(p in inner for p in PARENTS.get(label, ())))  # fmt: skip
            inner[REST] = (elapsed - direct, 0)
        self.stages.append((name, elapsed, inner))

    @contextmanager
    def wrapped(self, targets: list[tuple[object, str, str]]) -> Iterator[None]:
        """Time every call of `getattr(owner, name)` under `label` while inside (the ones that exist)."""
        originals = []
        for owner, name, label in targets:
            function = getattr(owner, name, None)
            if not callable(function):
                continue
            originals.append((owner, name, function, name in vars(owner) if hasattr(owner, "__dict__") else True))
            setattr(owner, name, self._timed(label, function))
        try:
            yield
        finally:
            for owner, name, function, own in reversed(originals):
                if own:
                    setattr(owner, name, function)
                else:
                    delattr(owner, name)

    def _timed(self, label: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        return timed


def measure_stages(project: Project, name: str) -> tuple[Breakdown, ExportPlan]:
    """The export stage by stage, as `build_export` (kind sft, default spec, no rehearsal) then
    `write_snapshot` run it, with the inner functions timed."""
    spec, seed, config = ExportSpec(), 0, project.config
    clock = Breakdown()
    with project.open_store() as store:
        engine = pii_module._engine()  # built by (a) already; its analyze is timed on the instance
        targets = [
            (decisions_module, "answer_frame", "answer_frame (SQL + pandas)"),
            (decisions_module, "corrected_text_similarity", "corrected_text_similarity"),
            (decisions_module, "resolve", "resolve"),
            (decisions_module, "_decision", "_decision (per task)"),
            (decisions_module, "_central", "_central"),
            (store, "latest_adjudications", "store.latest_adjudications"),
            (store, "tasks_by_id", "store.tasks_by_id"),
            (store, "annotation_answers", "store.annotation_answers"),
            (gates, "prompt_clusters", "prompt_clusters (one of the cluster_texts calls)"),
            (gates, "cluster_texts", "cluster_texts"),
            (near_duplicates_module, "shingle_signatures", "shingle_signatures (one-permutation MinHash, numpy)"),
            (near_duplicates_module, "band_pairs", "band_pairs (LSH bands)"),
            (near_duplicates_module, "_verified", "_verified (rapidfuzz cpdist)"),
            (gates, "_keep_best", "_keep_best"),
            (gates, "_answers_contradict", "_answers_contradict"),
            (FormatCheck, "problems", "FormatCheck.problems (refusal check)"),
            (gates, "redact_personal_data", "redact_personal_data (every text)"),
            (engine, "analyze", "Presidio analyze (texts the regex lets in)"),
            (split_module, "verified_pairs", "verified_pairs (eval x train prompts)"),
            (split_module, "_groups", "_groups (union-find)"),
            (profile_module, "completeness", "completeness"),
            (profile_module, "lengths", "lengths"),
            (profile_module, "diversity", "diversity"),
            (profile_module, "coverage", "coverage (TF-IDF + k-means)"),
            (snapshot_module, "_write_files", "_write_files (trl_row + json.dumps + write)"),
            (snapshot_module, "_sha256", "_sha256"),
            (snapshot_module, "_manifest", "_manifest"),
            (snapshot_module, "code_version", "code_version (git)"),
            (snapshot_module, "_card", "_card"),
            (store, "insert_dataset", "store.insert_dataset"),
        ]
        with clock.wrapped(targets):
            with clock.stage("decisions"):
                made, skipped = decisions(store, config, spec.selection)
            with clock.stage("store.records_for_export"):
                records = store.records_for_export()
            with clock.stage("examples_from"):
                examples = examples_from(made, records, KIND, spec)
            reports = []
            with clock.stage("gate: exact_duplicates"):
                examples, report = gates.exact_duplicates(examples, spec.exact_duplicates)
                reports.append(report)
            with clock.stage("gate: near_duplicates"):
                examples, report, clusters = gates.near_duplicates(examples, spec.near_duplicates)
                reports.append(report)
            with clock.stage("gate: conflicts (+ recording them for the lead)"):
                examples, report, found = gates.conflicts(examples, spec.conflicts, settled_conflicts(store))
                record_conflicts(store, found)
                report.counts["waiting_for_lead"] = waiting_for_lead(store, KIND)
                reports.append(report)
            with clock.stage("gate: formats"):
                examples, report = gates.format_failures(
                    examples, spec.formats.enabled, config.validators, project.root
                )
                reports.append(report)
            with clock.stage("gate: pii"):
                examples, report = gates.scrub_pii(
                    examples, spec.pii.enabled, config.pii.entities, config.flagging.pii_min_score, config.pii.min_scores
                )
                reports.append(report)
            with clock.stage("split (StratifiedGroupKFold)"):
                split(examples, clusters, spec.split.eval_fraction, seed, frozenset())  # no name: nothing frozen
            with clock.stage("gate: balance"):
                examples, report = gates.balance(examples, spec.balance, seed)
                reports.append(report)
            with clock.stage("leakage check"):
                _kept, leakage = settle_leakage(examples, [], FrozenEval(), spec.near_duplicates, spec.split.on_leak)
                reports.append(gates.GateReport("leakage", True, [], leakage.counts(0, ())))
            train = [example for example in examples if example.split == "train"]
            evaluation = [example for example in examples if example.split == "eval"]
            with clock.stage("population prompts"):
                population = [
                    text for text in (last_user_turn(r["messages"]) for r in records.values()) if text
                ]
            with clock.stage("profile"):
                profile = quality_profile(train, evaluation, population, seed)
            plan = ExportPlan(KIND, spec, seed, train, evaluation, reports, skipped, profile, [])
            with clock.stage("write_snapshot"):
                write_snapshot(store, project, name, plan)
    return clock, plan


# Inner labels timed inside another one (the first of its parents present in a stage holds it).
PARENTS = {
    "_central": ("_decision (per task)",), "prompt_clusters (one of the cluster_texts calls)": ("cluster_texts",),
    "shingle_signatures (one-permutation MinHash, numpy)": ("cluster_texts", "verified_pairs (eval x train prompts)"),
    "band_pairs (LSH bands)": ("cluster_texts", "verified_pairs (eval x train prompts)"),
    "_verified (rapidfuzz cpdist)": ("cluster_texts", "verified_pairs (eval x train prompts)"),
    "Presidio analyze (texts the regex lets in)": ("redact_personal_data (every text)",),
    "_sha256": ("_write_files (trl_row + json.dumps + write)",),
}  # fmt: skip
REST = "(rest: the stage's own code between these calls)"


def _inner_order(inner: dict[str, tuple[float, int]]) -> list[tuple[str, int]]:
    """(label, depth) in print order: the stage's direct calls by time, each followed by what is timed
    inside it, then the rest of the stage (added to `inner` here, with the calls it is not)."""

    def parent(label: str) -> str | None:
        return next((p for p in PARENTS.get(label, ()) if p in inner), None)

    def below(label: str | None, depth: int) -> list[tuple[str, int]]:
        children = sorted((c for c in inner if c != REST and parent(c) == label), key=lambda c: -inner[c][0])
        return [item for c in children for item in [(c, depth), *below(c, depth + 1)]]

    if not inner:
        return []
    return below(None, 1) + [(REST, 1)]


def profile_export(project: Project, top: int) -> str:
    profiler = cProfile.Profile()
    with project.open_store() as store:
        profiler.enable()
        write_snapshot(store, project, "bench-profile", build_export(store, project, KIND, ExportSpec(), seed=0))
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()




def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


# --- main -----------------------------------------------------------------------------------------


def options() -> argparse.ArgumentParser:
    """The command line (bench/export_identical.py builds the same project from it)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="correction tasks, one resolved answer each")
    parser.add_argument("--annotators", type=int, default=12)
    parser.add_argument("--corrected", type=float, default=1 / 3, help="share of answers 'corrected'")
    parser.add_argument("--unusable", type=float, default=0.02, help="share of answers 'unusable'")
    parser.add_argument("--exact", type=float, default=0.02, help="share of items that are exact duplicates")
    parser.add_argument("--near", type=float, default=0.02, help="share of items that are near duplicates")
    parser.add_argument("--conflicts", type=float, default=0.005, help="share of items that conflict with another")
    parser.add_argument("--refusals", type=float, default=0.005, help="share of accepted responses that refuse")
    parser.add_argument("--pii", type=float, default=0.03, help="share of items with an email address or card number")
    parser.add_argument("--digits", type=float, default=0.03, help="share of prompts with a date or invoice number")
    parser.add_argument("--groups", type=float, default=0.10, help="share of records in paraphrase groups")
    parser.add_argument("--repeats", type=int, default=1, help="runs of (a) and of the CLI (the median is the figure)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also profile one more export: top N calls")
    parser.add_argument("--seed", type=int, default=7)
    return parser


def main() -> None:
    args = options().parse_args()

    loads = {"start": _load()}
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        project, setup, planted, items = build_project(Path(folder), args)
        size_mb = project.db_path.stat().st_size / 1e6
        refusing = sum(item["verdict"] == "acceptable" and is_refusal(item["response"]) for item in items)

        loads["setup done"] = _load()
        export_times, plan, snapshot = measure_export(project, args.repeats)
        loads["(a) done"] = _load()
        # `python -m annotate` is the `flywheel` command run from this checkout (the installed script
        # imports whichever checkout the virtual environment was installed from)
        cli_times = measure_command(
            [sys.executable, "-m", "annotate", "--project", str(project.root), "--quiet", "export", "--kind", KIND, "--name", "bench-cli"],
            args.repeats,
        )
        startup_times = measure_command([sys.executable, "-c", "import annotate.cli"], 3)
        loads["CLI done"] = _load()

        rows = [trl_row(example, plan.spec.sft.format) for example in plan.train + plan.eval]
        baseline_times, baseline_bytes = measure_baseline(rows, Path(folder) / "baseline.jsonl")
        written = sum((snapshot / f"{split}.jsonl").stat().st_size for split in ("train", "eval"))
        manifest_mb = (snapshot / "manifest.json").stat().st_size / 1e6
        same_bytes = (snapshot / "train.jsonl").read_bytes() + (snapshot / "eval.jsonl").read_bytes() == (
            Path(folder) / "baseline.jsonl"
        ).read_bytes()

        clock, staged = measure_stages(project, "bench-stages")
        loads["breakdown done"] = _load()
        same_rows = [e.id for e in staged.train] == [e.id for e in plan.train] and [e.id for e in staged.eval] == [
            e.id for e in plan.eval
        ]
        profile = profile_export(project, args.profile) if args.profile else ""

    export_s, cli_s, baseline_s = (statistics.median(t) for t in (export_times, cli_times, baseline_times))
    stage_total = sum(seconds for _, seconds, _ in clock.stages)
    counts = Counter(item["verdict"] for item in items)

    print(f"tasks                {args.tasks:,} correction tasks, 1 resolved answer each ({counts['acceptable']:,} acceptable, "
          f"{counts['corrected']:,} corrected, {counts['unusable']:,} unusable), {args.annotators} annotators")  # fmt: skip
    print(f"planted              exact duplicates {planted['exact']:,}, near duplicates {planted['near']:,}, conflicts "
          f"{planted['conflict']:,}, refusals {planted['refusal']:,} (texts that refuse: {refusing:,}), personal data "
          f"{planted['pii']:,}, dates/invoice numbers {planted['digits']:,}, paraphrase-group records "
          f"{planted['group member']:,}")  # fmt: skip
    print(f"setup                generate {setup['generate']:.1f} s, records {setup['records']:.1f} s, insert_tasks + "
          f"annotators {setup['tasks']:.1f} s, answers {setup['annotations']:.1f} s; database {size_mb:,.0f} MB")  # fmt: skip
    print(f"(a) export           {runs_line(export_times)}   build_export + write_snapshot, in-process")
    print(f"(a) CLI              {runs_line(cli_times)}   flywheel --quiet export --kind sft --name N > /dev/null")
    print(f"    start-up         {runs_line(startup_times)}   python -c 'import annotate.cli' (in the CLI's time)")
    print(f"(b) json.dumps       {runs_line(baseline_times)}   {len(rows):,} rows, json.dumps + write, "
          f"{baseline_bytes / 1e6:,.1f} MB")  # fmt: skip
    print(
        f"ratio (a)/(b)        export {export_s / baseline_s:,.0f}x, CLI {cli_s / baseline_s:,.0f}x   (median over median)"
    )
    print(f"rows                 train {len(plan.train):,}, eval {len(plan.eval):,}; train.jsonl + eval.jsonl "
          f"{written / 1e6:,.1f} MB ({'byte-identical to' if same_bytes else 'DIFFERENT from'} the baseline file); "
          f"manifest.json {manifest_mb:,.1f} MB")  # fmt: skip
    print("left out before     " + ", ".join(f"{reason} {count:,}" for reason, count in plan.skipped.items()))
    for report in plan.gates:
        scalars = ", ".join(f"{k} {v:,}" for k, v in report.counts.items() if isinstance(v, int) and k != "dropped")
        nested = "; ".join(f"{k} {v}" for k, v in report.counts.items() if isinstance(v, dict) and v)
        detail = "; ".join(part for part in (scalars, nested) if part)
        print(
            f"  gate {report.name:<16} {'on ' if report.enabled else 'off'}  dropped {len(report.dropped):>7,}   {detail}"
        )
    for label, seconds in (("in-process", export_s), ("CLI", cli_s)):
        verdict = "meets" if seconds < TARGET_SECONDS else "MISSES"
        print(f"target ({label:10s})  {seconds:.1f} s {verdict} the target of under {TARGET_SECONDS:.0f} s")
    print(f"breakdown            one warm run, stage by stage (stages sum to {stage_total:.2f} s; same rows as (a): "
          f"{'yes' if same_rows else 'NO'}); indented: time in the calls named (a call's own timed calls below it), "
          f"then the stage's rest")  # fmt: skip
    for name, seconds, inner in clock.stages:
        print(f"  {name:<56} {seconds:8.3f} s  {seconds / stage_total:6.1%}")
        for label, depth in _inner_order(inner):
            inner_seconds, calls = inner[label]
            if label == REST or inner_seconds >= 0.0005 * stage_total or inner_seconds >= 0.01:
                shown = f"{calls:>9,} calls" if label != REST else ""
                print(
                    f"  {'  ' * depth}{label:<{56 - 2 * depth}} {inner_seconds:8.3f} s  {inner_seconds / stage_total:6.1%}  {shown}"
                )
    print(f"cpu                  {os.cpu_count()} cores; load average (1/5/15 min) " + ", ".join(f"{k} {v}" for k, v in loads.items())
          + f", end {_load()}; Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")  # fmt: skip
    if profile:
        print(f"\ncProfile of one more in-process export (top {args.profile}, by cumulative then by own time):")
        print(profile)


if __name__ == "__main__":
    main()
