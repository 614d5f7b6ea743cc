"""Planted defects through the real export: how many of each class the SFT, DPO and KTO exports catch.

    .venv/bin/python bench/defects.py                 # about 1,000 tasks, two snapshot versions per kind
    .venv/bin/python bench/defects.py --pairs 60      # more planted pairs per class

A fresh project; support prompts and model answers composed from bench/export.py's vocabulary
(seeded); one correction task per record, answered `corrected` through `review.claims.submit`
(the review app's path) by three simulated experts, so every task is an SFT example, a DPO pair
(corrected over original) and a KTO desirable row. Planted, among `--clean` defect-free tasks:

- exact duplicates: the same prompt, model answer and correction twice (half with another case
  or spacing). Caught: at most one of the two exported.
- near duplicates: prompt and correction each with one to three words changed (a neutral word
  added or dropped, a synonym, two letters swapped: nothing that changes a fact), half of them
  long (a 20-40 word message, a 40-70 word answer), half short (a bare question, a 12-20 word
  answer), kept only when the pair is at or above the gate's similarity (0.9) as the gate
  compares it. Caught: at most one exported.
- contradictions, one class per form: near-identical prompts (reworded), corrections by two
  experts that differ by a negation, yes vs no, a number of days, an amount, a menu path, a plan
  name, or that are simply different answers. Caught: neither exported, and the conflict waits in
  the lead's queue (`waiting_conflicts`).
- cross-split pairs: near-identical prompts (at or above 0.9; one to three words changed, half of
  them bare questions) with compatible answers (not conflicts, not duplicates). Caught: not one in train and the other in eval. Then across
  versions: after v1, new tasks whose prompts are near duplicates of v1's eval prompts; caught
  when v2 does not put them in train.
- personal data: an email, phone number (ten national and international formats), card number,
  IBAN (every spacing), IP address (v4 and v6), SSN, person name or city in the correction
  (bench/pii.py's values and sentences). Caught: the value is in no exported row. The project
  lists all eight types in `[pii] entities` (the default lists the six structured ones).

Baseline in the same run, for the near-duplicate classes: on `--sample` more generated pairs per
row (at or above 0.9; long and short prompt + answer texts, and bare questions as the split
compares prompts), the share the old candidate step (MinHash of word 3-grams, 25 bands of 5 rows,
numpy) proposes for verification, beside the share the current one (character 4-gram
one-permutation MinHash, 18 bands of 7 rows) proposes: a pair never proposed is never found. Every rate has its Wilson
95% interval; the targets (issue 20) are printed beside the figures.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

import numpy as np  # noqa: E402
from rapidfuzz import fuzz  # noqa: E402

from annotate.consensus.conflicts import waiting_conflicts  # noqa: E402
from annotate.export import near_duplicates as nd  # noqa: E402
from annotate.export.build import build_export  # noqa: E402
from annotate.export.snapshot import write_snapshot  # noqa: E402
from annotate.export.spec import ExportSpec  # noqa: E402
from annotate.ingest.rows import to_row  # noqa: E402
from annotate.project import init_project  # noqa: E402
from annotate.records import RecordIn  # noqa: E402
from annotate.review.annotators import add_annotator  # noqa: E402
from annotate.review.claims import submit  # noqa: E402
from annotate.stats import wilson_interval  # noqa: E402
from bench.export import QUESTIONS, _fill, _prompt, _response  # noqa: E402
from bench.pii import ENTITIES, SAYS, _value  # noqa: E402

KINDS = ("sft", "dpo", "kto")
EXPERTS = ("ana@defects.test", "ben@defects.test", "cy@defects.test")
NEUTRAL = ("also", "just", "really", "quickly", "now", "please", "again", "still", "today", "simply", "here", "then")
SWAPS = {"invoice": "bill", "invoices": "bills", "open": "go to", "choose": "pick", "select": "pick", "press": "click",
         "usually": "often", "first": "beforehand", "try": "attempt", "help": "assist", "customer": "client"}  # fmt: skip
FORMS = {  # contradiction form -> (answer A, answer B) templates; {x} fills a topic
    "negation": ("You can {x} from the Reports page at any time.", "You cannot {x} from the Reports page at any time."),
    "yes/no": ("Yes, you can {x} after the invoice is sent.", "No, you can {x} after the invoice is sent."),
    "number": ("Once you {x}, the change reaches your bank within 5 working days.",
               "Once you {x}, the change reaches your bank within 14 working days."),
    "amount": ("To {x} you need the add-on, which costs $19 a month.", "To {x} you need the add-on, which costs $49 a month."),
    "menu path": ("To {x}, open Settings > Billing > Export and confirm.", "To {x}, open Settings > Reports > Export and confirm."),
    "plan name": ("You can {x} on the Growth plan and above.", "You can {x} on the Enterprise plan and above."),
    "different answer": ("To {x}, ask an admin to grant you edit rights first.",
                         "That is not possible for your workspace; {x} is handled by our billing team."),
}  # fmt: skip
TOPICS = ("export invoices as PDF", "merge duplicate customers", "refund a card payment", "restore an archived quote",
          "change the invoice currency", "split a payment across invoices", "resend a reminder email",
          "reconcile the bank feed", "void a credit note", "convert a quote to an invoice", "download the VAT report",
          "share a dashboard with your accountant", "lock an accounting period", "schedule a recurring invoice")  # fmt: skip
EXTRAS = ("Thanks for your patience while we look into it.", "Let us know if anything else comes up.",
          "We hope this helps with your month end.", "Happy to walk you through it on a call.")  # fmt: skip
TARGETS = {"exact duplicate": 1.0, "near duplicate": 0.99, "contradiction": 1.0, "cross-split": 1.0, "PII": 0.95}


@dataclass
class Item:
    prompt: str
    original: str
    corrected: str
    defect: str  # clean, exact duplicate, near duplicate, contradiction: FORM, cross-split, cross-version, PII: TYPE
    pair: int | None = None  # planted pairs share a number
    value: str | None = None  # the personal data planted
    expert: str = EXPERTS[0]
    task_id: int | None = None


@dataclass
class Tally:
    caught: dict = field(default_factory=lambda: defaultdict(int))
    planted: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, defect: str, kind: str, ok: bool) -> None:
        self.planted[defect, kind] += 1
        self.caught[defect, kind] += int(ok)


# --- planting -------------------------------------------------------------------------------------


def reworded(text: str, rng: random.Random, changes: int, typos: bool = False) -> str:
    """`changes` word edits that change no fact: a neutral word inserted or dropped, a synonym, or
    (with `typos`) two letters of a lowercase word swapped."""
    words = text.split(" ")
    for _ in range(changes):
        swappable = [i for i, word in enumerate(words) if word.lower().strip(".,?!") in SWAPS]
        droppable = [i for i, word in enumerate(words) if word.lower() in NEUTRAL]
        typeable = [i for i, word in enumerate(words) if typos and word.isalpha() and word.islower() and len(word) >= 4]
        move = rng.choice(["insert"] + (["swap"] if swappable else []) + (["drop"] if droppable else [])
                          + (["typo"] if typeable else []))  # fmt: skip
        if move == "typo":
            i = rng.choice(typeable)
            at = rng.randrange(len(words[i]) - 1)
            words[i] = words[i][:at] + words[i][at + 1] + words[i][at] + words[i][at + 2 :]
        elif move == "swap":
            i = rng.choice(swappable)
            bare = words[i].strip(".,?!")
            words[i] = words[i].replace(bare, SWAPS[bare.lower()])
        elif move == "drop":
            words.pop(rng.choice(droppable))
        else:
            words.insert(rng.randrange(1, len(words)), rng.choice(NEUTRAL))
    return " ".join(words)


def _question(rng: random.Random) -> str:
    """A bare support question of 8 to 16 words (bench/export.py's question templates)."""
    return _fill(rng.choice(QUESTIONS), rng).capitalize()


def gate_text(prompt: str, answer: str, rejected: str | None = None) -> str:
    return f"{prompt}\n{answer}" + (f"\n{rejected}" if rejected is not None else "")


def similarity(a: str, b: str) -> float:
    return fuzz.ratio(nd.collapse(a), nd.collapse(b)) / 100


def plant(args: argparse.Namespace, rng: random.Random) -> list[Item]:
    items = [Item(_prompt(rng), _response(rng), _response(rng, 40, 70), "clean") for _ in range(args.clean)]
    pair = 0
    for number in range(args.pairs // 3):
        pair += 1
        prompt, original, corrected = _prompt(rng), _response(rng), _response(rng, 40, 70)
        twin = (prompt.upper(), original, "  ".join(corrected.split(" "))) if number % 2 else (prompt, original, corrected)
        items += [Item(prompt, original, corrected, "exact duplicate", pair), Item(*twin, "exact duplicate", pair)]
    planted = 0
    while planted < args.pairs:
        short = planted % 2  # half short: a question and a short answer, where a word weighs most
        prompt = _question(rng) if short else _prompt(rng)
        original, corrected = _response(rng, 10, 20) if short else _response(rng), _response(rng, 12, 20) if short else _response(rng, 40, 70)
        near = (reworded(prompt, rng, rng.randint(1, 3), typos=True), original,
                reworded(corrected, rng, rng.randint(1, 3), typos=True))  # fmt: skip
        if min(similarity(gate_text(prompt, corrected), gate_text(near[0], near[2])),
               similarity(gate_text(prompt, corrected, original), gate_text(near[0], near[2], original))) < 0.9:
            continue  # below the bar: not a near duplicate by the gate's definition
        pair += 1
        planted += 1
        items += [Item(prompt, original, corrected, "near duplicate", pair), Item(*near, "near duplicate", pair)]
    for form, (first, second) in FORMS.items():
        for number in range(max(3, args.pairs // 6)):
            topic = TOPICS[number % len(TOPICS)]
            context = _prompt(rng).split("?", 1)[-1].strip()  # the composed prompt's sentences after its question
            prompt = f"{rng.choice(('Hi,', 'Hello,', 'Quick question:'))} can I {topic}? {context}"
            original, tail = _response(rng, 20, 30), _response(rng, 10, 15)
            pair += 1
            items += [Item(prompt, original, f"{first.format(x=topic)} {tail}", f"contradiction: {form}", pair, expert=EXPERTS[0]),
                      Item(reworded(prompt, rng, 1), original, f"{second.format(x=topic)} {tail}", f"contradiction: {form}",
                           pair, expert=EXPERTS[1])]  # fmt: skip
    planted = 0
    while planted < args.pairs:
        prompt, corrected = (_question(rng) if planted % 2 else _prompt(rng)), _response(rng, 40, 70)
        near = reworded(prompt, rng, rng.randint(1, 3), typos=True)
        if similarity(prompt, near) < 0.9:
            continue
        planted += 1
        pair += 1
        extra_a, extra_b = rng.sample(EXTRAS, 2)
        items += [Item(prompt, _response(rng), f"{corrected} {extra_a}", "cross-split", pair, expert=EXPERTS[0]),
                  Item(near, _response(rng), f"{extra_b} {reworded(corrected, rng, 4)}", "cross-split", pair, expert=EXPERTS[1])]  # fmt: skip
    for entity in ENTITIES:
        for _ in range(args.per_type):
            value = _value(entity, rng)
            says = rng.choice(SAYS[entity]).format(value)
            items.append(Item(_prompt(rng), _response(rng), f"{_response(rng, 30, 40)} {says}", f"PII: {entity}", value=value))
    return items


def store_items(store, items: list[Item], round_id: int, first: int) -> None:
    """Records, one correction task each, and each expert's answer (as the review app submits it)."""
    rows = [to_row(RecordIn(id=f"defect-{first + n}", messages=[{"role": "user", "content": item.prompt}],
                            response=item.original), source="defects", round_id=round_id, ingest_id=None)
            for n, item in enumerate(items)]  # fmt: skip
    with store.transaction():
        store.insert_new_records(rows)
    tasks = store.insert_tasks([
        {"kind": "correction", "record_id": row[0], "record_b_id": None, "origin": "bench", "priority": 1.0, "why": "",
         "cluster": None, "required_annotations": 1, "is_gold": 0, "gold_answer": None, "route": "app", "round_id": round_id}
        for row in rows])  # fmt: skip
    for item, task_id in zip(items, tasks):
        item.task_id = task_id
        submit(store, task_id, item.expert, {"kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"],
                                             "corrected_response": item.corrected})  # fmt: skip


# --- judging ---------------------------------------------------------------------------------------


def example_id(item: Item, kind: str) -> str:
    return f"t{item.task_id}-edit" if kind == "dpo" else f"t{item.task_id}"


def judge(plans: dict, items: list[Item], conflicts: dict[str, list[set[str]]], tally: Tally) -> None:
    by_pair: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        if item.pair is not None:
            by_pair[item.pair].append(item)
    for kind, plan in plans.items():
        side = {example.id: example.split for example in plan.train + plan.eval}
        texts = {example.id: " ".join([example.prompt_text, example.answer, example.rejected or ""])
                 for example in plan.train + plan.eval}  # fmt: skip
        for members in by_pair.values():
            defect = members[0].defect
            ids = [example_id(member, kind) for member in members]
            exported = [i for i in ids if i in side]
            if defect in ("exact duplicate", "near duplicate"):
                tally.add(defect, kind, len(exported) <= 1)
            elif defect.startswith("contradiction"):
                queued = any(set(ids) <= group for group in conflicts[kind])
                tally.add(defect, kind, not exported and queued)
            elif defect == "cross-split":
                tally.add(defect, kind, len({side[i] for i in exported}) <= 1)
        for item in items:
            if item.defect.startswith("PII"):
                tally.add(item.defect, kind, not any(item.value in text for text in texts.values()))
            elif item.defect == "clean":
                tally.add("clean (kept)", kind, example_id(item, kind) in side)


def old_candidates(texts_a: list[str], texts_b: list[str]) -> np.ndarray:
    """Whether the old candidate step (word 3-gram MinHash, 128 permutations, 25 bands of 5 rows)
    proposes each pair: numpy, the same banding as datasketch's MinHashLSH(threshold=0.5)."""
    rng = np.random.default_rng(1)
    a, b = rng.integers(1, 2**31 - 1, 128, dtype=np.uint64), rng.integers(0, 2**31 - 1, 128, dtype=np.uint64)

    def signature(text: str) -> np.ndarray:
        words = re.findall(r"\w+", text.casefold())
        shingles = {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}
        hashes = np.array([zlib.crc32(s.encode()) for s in shingles], dtype=np.uint64)
        return ((hashes[:, None] * a + b) % np.uint64(2**31 - 1)).min(axis=0)

    hits = []
    for x, y in zip(texts_a, texts_b):
        sx, sy = signature(x), signature(y)
        hits.append(any((sx[band * 5 : band * 5 + 5] == sy[band * 5 : band * 5 + 5]).all() for band in range(25)))
    return np.array(hits)


def new_candidates(texts_a: list[str], texts_b: list[str]) -> np.ndarray:
    pairs = nd._candidate_pairs([nd.collapse(t) for t in texts_a + texts_b], None, 0.9, 128)
    found = {(int(i), int(j)) for i, j in pairs}
    n = len(texts_a)
    return np.array([(k, n + k) in found for k in range(n)])


# --- output ----------------------------------------------------------------------------------------


def rate(caught: int, planted: int) -> str:
    if not planted:
        return "-"
    low, high = wilson_interval(caught, planted)
    return f"{caught}/{planted} = {caught / planted:.2f} [{low:.2f}, {high:.2f}]"


def target_of(defect: str) -> str:
    family = defect.split(":")[0]
    return f">= {TARGETS[family]:.2f}" if family in TARGETS else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clean", type=int, default=300, help="defect-free tasks")
    parser.add_argument("--pairs", type=int, default=60, help="planted pairs per duplicate / cross-split class")
    parser.add_argument("--per-type", type=int, default=30, help="planted values per personal-data type")
    parser.add_argument("--sample", type=int, default=2000, help="generated pairs per row of the candidate-step table")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    items = plant(args, rng)
    with tempfile.TemporaryDirectory() as workdir:
        project = init_project(Path(workdir) / "project")
        config = project.config_path.read_text(encoding="utf-8")  # a project that asks for names and places too
        project.config_path.write_text(config.replace('"IBAN_CODE"]', '"IBAN_CODE", "PERSON", "LOCATION"]', 1), encoding="utf-8")
        project = type(project)(project.root, project.db_path)  # the config read afresh
        assert "PERSON" in project.config.pii.entities
        tally = Tally()
        with project.open_store() as store:
            for email in EXPERTS:
                add_annotator(store, email)
            round_id = store.open_round()["id"]
            store_items(store, items, round_id, 0)
            plans = {}
            for kind in KINDS:
                plans[kind] = build_export(store, project, kind, ExportSpec(), seed=args.seed, name=f"defects-{kind}")
                write_snapshot(store, project, f"defects-{kind}", plans[kind])
            waiting = waiting_conflicts(store)
            conflicts = {kind: [set(c.example_ids) for c in waiting if c.kind.split(":")[0] == kind] for kind in KINDS}
            judge(plans, items, conflicts, tally)
            # across versions: new tasks near v1's eval prompts must not enter v2's train
            later = []
            for kind in KINDS:
                held_out = [example for example in plans[kind].eval if example.origin == "correction"]
                later += [(kind, Item(reworded(example.prompt_text, rng, 1), _response(rng),
                                      f"{rng.choice(EXTRAS)} {reworded(example.answer, rng, 4)}", "cross-version"))
                          for example in rng.sample(held_out, min(len(held_out), args.pairs // 3))]  # fmt: skip
            store_items(store, [item for _, item in later], round_id, len(items))
            for kind in KINDS:
                plan = build_export(store, project, kind, ExportSpec(), seed=args.seed + 1, name=f"defects-{kind}")
                train = {example.id for example in plan.train}
                for item_kind, item in later:
                    if item_kind == kind:
                        tally.add("cross-version (v1 eval -> v2 train)", kind, example_id(item, kind) not in train)
    elapsed = time.perf_counter() - started

    print(f"Planted defects through the real export ({len(items):,} tasks, seed {args.seed}, {elapsed:.0f} s)\n")
    print("| planted | target | SFT | DPO | KTO |\n|---|---|---|---|---|")
    order = sorted({defect for defect, _ in tally.planted}, key=lambda d: (d.startswith("clean"), d.split(":")[0] == "PII", d))
    for defect in order:
        cells = [rate(tally.caught[defect, kind], tally.planted[defect, kind]) for kind in KINDS]
        print(f"| {defect} | {target_of(defect)} | " + " | ".join(cells) + " |")
    print(f"\nCandidate step alone, on {args.sample:,} more generated pairs per row at or above 0.9 (no export):")
    print("| pairs | word 3-gram MinHash, 25 x 5 (before) | character 4-gram one-permutation MinHash (now) |\n|---|---|---|")
    for label, pairs in candidate_sample(random.Random(args.seed + 7), args.sample).items():
        first, second = (list(side) for side in zip(*pairs))
        old, new = old_candidates(first, second), new_candidates(first, second)
        print(f"| {label} | {rate(int(old.sum()), len(old))} | {rate(int(new.sum()), len(new))} |")


def candidate_sample(rng: random.Random, n: int) -> dict[str, list[tuple[str, str]]]:
    """Pairs at or above 0.9 as the gates compare them: one to three edits to the prompt and as many
    to the answer (typos included), long and short, and bare questions (what the split compares)."""
    made: dict[str, list[tuple[str, str]]] = {"prompt + answer, long": [], "prompt + answer, short": [],
                                              "prompts (bare questions)": []}  # fmt: skip
    for label, pairs in made.items():
        while len(pairs) < n:
            if label.startswith("prompts"):
                first = _question(rng)
                second = reworded(first, rng, rng.randint(1, 3), typos=True)
            else:
                short = label.endswith("short")
                prompt = _question(rng) if short else _prompt(rng)
                answer = _response(rng, 12, 20) if short else _response(rng, 40, 70)
                first = gate_text(prompt, answer)
                second = gate_text(reworded(prompt, rng, rng.randint(1, 3), typos=True),
                                   reworded(answer, rng, rng.randint(1, 3), typos=True))  # fmt: skip
            if similarity(first, second) >= 0.9:
                pairs.append((first, second))
    return made


if __name__ == "__main__":
    main()
