"""The refusal validator's two error rates, on labelled requests each answered with a refusal.

    .venv/bin/python bench/refusal.py [--seed 20]

(a) false flags: the share of correct refusals (of harmful or out-of-scope requests) that the
    validator flags anyway; target near 0.
(b) recall: the share of refusals of legitimate requests that it flags; target at least 0.95.
Each with its sample size and a 95% Wilson interval.

The main set is bench/refusal_cases.py: written apart from the validator's reference (no prompt in
common, checked here, and the closest reference prompt of each is reported), in other words and
with sub-topics the reference lacks. Two weaker sets follow: the sample eval safety set (drawn
from the same templates as the reference's sample prompts) and the sample production logs'
refusals (all of legitimate requests; the reference's routine prompts were written with the
sample product's intents in view).

Validators, in the same run: every refusal flagged (`allow_when_request_harmful = false`); the
previous default, the harmful-request phrase list of before issue 20 (the nine categories it had,
whose patterns are unchanged: fraud ... personal data, self-harm); the phrases of now alone
(`reference = "none"`); and the default, judged against the bundled reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from annotate.config import RefusalValidator  # noqa: E402
from annotate.records import last_user_turn  # noqa: E402
from annotate.stats import wilson_interval  # noqa: E402
from annotate.text.formats import FormatCheck  # noqa: E402
from annotate.text.harmful import SELF_HARM, harmful_categories  # noqa: E402
from annotate.text.refusal import is_refusal  # noqa: E402
from annotate.text.refusal_reference import SAME, bundled_reference, embed_with_model  # noqa: E402
from bench.refusal_cases import REFUSALS, cases  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
PREVIOUS_CATEGORIES = ("fraud", "money_laundering", "tax_evasion", "account_access", "phishing", "threats", "card_fraud",
                       "personal_data")  # fmt: skip
TARGET_FALSE_FLAGS, TARGET_RECALL = 0.05, 0.95
Flags = Callable[[str, str], bool]  # (response, request) -> flagged


def previous_default(response: str, request: str) -> bool:
    """The validator before issue 20: a refusal passes when the request matches one of its categories."""
    categories = harmful_categories(request)
    expected = SELF_HARM not in categories and any(category in PREVIOUS_CATEGORIES for category in categories)
    return is_refusal(response) and not expected


def validator(**settings) -> Flags:
    check = FormatCheck([RefusalValidator(name="unexpected-refusal", kind="refusal", **settings)], REPO)
    return lambda response, request: bool(check.problems(response, "", request))


def rate(flagged: list[bool]) -> str:
    n, k = len(flagged), sum(flagged)
    if not n:
        return "n=0"
    low, high = wilson_interval(k, n)
    return f"{k / n:.3f} [{low:.3f}, {high:.3f}] ({k}/{n})"


def held_apart(rows: list[dict]) -> None:
    """Refuse a bench set that shares a prompt with the reference; report how close the closest ones are."""
    reference = bundled_reference()
    known = {text.strip().lower() for text in reference.texts()}
    shared = [row["prompt"] for row in rows if row["prompt"].strip().lower() in known]
    if shared:
        sys.exit(f"the bench set shares {len(shared)} prompts with the reference, e.g. {shared[0]!r}")
    similarity = embed_with_model([row["prompt"] for row in rows]) @ embed_with_model(reference.texts()).T
    closest = similarity.max(axis=1)
    print(f"held apart: no prompt in common with the reference ({len(reference.prompts)} prompts); closest reference "
          f"prompt per bench prompt: median similarity {sorted(closest)[len(closest) // 2]:.2f}, "
          f"{int((closest >= SAME).sum())} at or above {SAME} (near copies)")  # fmt: skip


def report(title: str, rows: list[dict], validators: dict[str, Flags]) -> dict[str, tuple[list[bool], list[bool]]]:
    """Print the table; {validator: (flags on correct refusals, flags on refusals of legitimate requests)}."""
    print(f"\n## {title}")
    results = {}
    groups = sorted({row["group"] for row in rows}, key=[row["group"] for row in rows].index)
    refuse = [row for row in rows if row["label"] != "benign"]
    answer = [row for row in rows if row["label"] == "benign"]
    print("| validator | (a) correct refusals flagged | (b) legitimate refusals caught | by group: share flagged |")
    print("|---|---|---|---|")
    for name, flags in validators.items():
        started = time.perf_counter()
        flagged = {id(row): flags(row["response"], row["prompt"]) for row in rows}
        seconds = time.perf_counter() - started
        by_group = ", ".join(f"{group} {rate([flagged[id(r)] for r in rows if r['group'] == group])}" for group in groups)
        results[name] = ([flagged[id(r)] for r in refuse], [flagged[id(r)] for r in answer])
        print(f"| {name} | {rate(results[name][0])} | {rate(results[name][1])} | "
              f"{by_group} |  ({1000 * seconds / len(rows):.1f} ms a request)")  # fmt: skip
    return results


def verdict(false_flags: list[bool], caught: list[bool]) -> None:
    """Each target judged by its interval: met when the whole interval is on the right side of it."""
    for what, flags, target, at_most in (("(a) false flags", false_flags, TARGET_FALSE_FLAGS, True),
                                         ("(b) recall", caught, TARGET_RECALL, False)):  # fmt: skip
        low, high = wilson_interval(sum(flags), len(flags))
        met = high <= target if at_most else low >= target
        missed = low > target if at_most else high < target
        word = "met" if met else "MISSED" if missed else "not enough evidence either way"
        side = "at most" if at_most else "at least"
        print(f"{what}: {sum(flags) / len(flags):.3f} [{low:.3f}, {high:.3f}] of {len(flags)}, target {side} {target:g}: {word}")


def eval_safety_rows() -> list[dict]:
    rows = [json.loads(line) for line in (SAMPLE / "eval_safety.jsonl").read_text().splitlines() if line.strip()]
    out = []
    for number, row in enumerate(rows):
        prompt = last_user_turn(row["messages"])
        distress = SELF_HARM in harmful_categories(prompt)  # labelled harmful there; its refusal is still a failure
        label = "benign" if distress or row["label"] == "benign" else "harmful"
        out.append({"prompt": prompt, "label": label, "group": "distress" if distress else label,
                    "response": REFUSALS[number % len(REFUSALS)]})  # fmt: skip
    return out


def production_rows() -> list[dict]:
    records = [json.loads(line) for line in (SAMPLE / "records.jsonl").read_text().splitlines() if line.strip()]
    return [{"prompt": last_user_turn(r["messages"]), "label": "benign", "group": "production", "response": r["response"]}
            for r in records if is_refusal(r.get("response") or "")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20, help="seed of the greetings and refusal wordings")
    args = parser.parse_args()
    rows = cases(args.seed)
    held_apart(rows)
    undetected = sorted({row["response"] for row in rows if not is_refusal(row["response"])})
    print(f"refusal wordings the detector misses: {undetected or 'none'}")
    validators = {
        "every refusal (allow_when_request_harmful = false)": validator(allow_when_request_harmful=False),
        "previous default (phrases before issue 20)": previous_default,
        'phrases alone (reference = "none")': validator(reference="none"),
        'default (reference = "bundled")': validator(),
    }
    validators[list(validators)[-1]]("I can't help with that.", "warm-up: load the model")
    results = report("Bench set (held apart from the reference)", rows, validators)
    report("Sample eval_safety.jsonl (same templates as the reference's sample prompts: a weak check)",
           eval_safety_rows(), validators)
    report("Sample production logs: refusals of legitimate requests (recall only)", production_rows(), validators)
    print("\nthe default on the bench set (its interval against each target):")
    verdict(*results[list(validators)[-1]])


if __name__ == "__main__":
    main()
