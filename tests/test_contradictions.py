"""Contradiction is not dissimilarity: two answers 95% alike that differ by a negation, a yes/no, a
number, a menu path or a name are never merged as near duplicates, and the conflict gate leaves
them out in every kind it applies to (SFT, DPO chosen sides, desirable KTO rows)."""

from __future__ import annotations

import pytest

from annotate.export.examples import Example
from annotate.export.gates import conflicts, near_duplicates
from annotate.export.spec import Conflicts, NearDuplicates
from annotate.text.contradiction import contradiction

PAIRS = {
    "negation": ("You can export invoices as PDF from the Reports page at any time.",
                 "You cannot export invoices as PDF from the Reports page at any time."),
    "negation (n't)": ("Payroll is included in every plan, including the free one.", "Payroll isn't included in every plan, including the free one."),
    "yes/no": ("Yes, you can change the invoice currency after sending it.", "No, you can change the invoice currency after sending it."),
    "number": ("Refunds reach your bank within 5 to 7 working days of approval.", "Refunds reach your bank within 10 to 14 working days of approval."),
    "amount": ("The Plus plan costs $19 a month, billed yearly, with payroll.", "The Plus plan costs $29 a month, billed yearly, with payroll."),
    "menu path": ("Open Settings > Users > Invite and choose the Accountant role.", "Open Settings > Billing > Invite and choose the Accountant role."),
    "name": ("Bank feeds come with the Pro plan and above, for every region.", "Bank feeds come with the Plus plan and above, for every region."),
}  # fmt: skip
SAME = [
    ("Go to Reports and click Export to download the invoices.", "Go to Reports, then click Export to download the invoices."),
    ("You can export invoices from the Reports page.", "You can export your invoices from the Reports page."),
    ("Open Settings > Users > Invite.", "Open Settings > Users > Invite and pick a role."),
]


@pytest.mark.parametrize("case", PAIRS, ids=list(PAIRS))
def test_similar_answers_that_say_opposite_things_contradict(case):
    first, second = PAIRS[case]
    assert contradiction(first, second) == case.split(" (")[0].replace("amount", "number")
    assert contradiction(second, first) is not None


@pytest.mark.parametrize("first, second", SAME)
def test_rewordings_that_say_the_same_thing_do_not(first, second):
    assert contradiction(first, second) is None


def _example(id: str, answer: str, *, kind: str = "sft", origin: str = "correction", prompt: str = "Can I export invoices as PDF?",
             label: bool | None = None) -> Example:  # fmt: skip
    answers = {"chosen": answer, "rejected": "I don't know."} if kind == "dpo" else {"completion": answer}
    return Example(id=id, kind=kind, prompt=[{"role": "user", "content": prompt}], origin=origin, label=label, **answers)


@pytest.mark.parametrize("case", PAIRS, ids=list(PAIRS))
def test_contradicting_near_duplicates_are_never_merged_and_the_conflict_gate_leaves_both_out(case):
    first, second = PAIRS[case]
    examples = [_example("a", first), _example("b", second, prompt="Can I export invoices as PDF ?")]
    kept, report, _ = near_duplicates(examples, NearDuplicates())
    assert [example.id for example in kept] == ["a", "b"]  # kept apart, or not near duplicates at all
    if case == "negation":  # 95% alike: a candidate pair the gate must refuse to merge
        assert report.counts["kept_apart_as_contradicting"] == 2
    kept, report, _found = conflicts(kept, Conflicts())
    assert kept == [] and report.counts["groups"] == 1
    assert {(row["id"], row["detail"]) for row in report.dropped} == {("a", "b"), ("b", "a")}


def test_a_true_near_duplicate_is_still_merged():
    first, second = SAME[0]
    kept, report, _ = near_duplicates([_example("a", first), _example("b", second)], NearDuplicates())
    assert len(kept) == 1 and report.counts == {"dropped": 1, "clusters": 1, "kept_apart_as_contradicting": 0, "checked": 2}


@pytest.mark.parametrize("kind, origin, label", [("dpo", "preference", None), ("kto", "correction", True)])
def test_the_conflict_gate_runs_for_dpo_chosen_sides_and_desirable_kto_rows(kind, origin, label):
    first, second = PAIRS["negation"]
    examples = [_example("a", first, kind=kind, origin=origin, label=label),
                _example("b", second, kind=kind, origin=origin, label=label, prompt="can i export invoices as pdf?"),
                _example("c", first, kind="sft", prompt="How do I add a user?")]  # fmt: skip
    kept, report, _found = conflicts(examples, Conflicts())
    assert [example.id for example in kept] == ["c"] and report.counts["checked"] == 3 and report.counts["groups"] == 1


def test_undesirable_kto_rows_and_rehearsal_are_not_checked():
    first, second = PAIRS["negation"]
    examples = [_example("a", first, kind="kto", label=False), _example("b", second, kind="kto", label=False),
                _example("r", second, origin="rehearsal")]  # fmt: skip
    kept, report, _found = conflicts(examples, Conflicts())
    assert len(kept) == 3 and report.counts["checked"] == 0


@pytest.mark.parametrize("first, second, reason", [
    ("Call us on 305.555.0121 today.", "Call us on 305.555.0199 today.", "number"),  # several dots: compared as written
    ("Call us on 305.555.0121 today.", "Call us on 305.555.0121 now.", None),
    ("It costs 1,249.50 USD a year.", "It costs 1249.5 USD a year.", None),  # one amount, two spellings
    ("Update to version 10.2.3 first.", "Update to version 10.2.4 first.", "number"),
    ("The fee is 1.000,50 EUR.", "The fee is 1.000,50 EUR!", None),
])  # fmt: skip
def test_numbers_in_any_notation_are_compared_without_failing(first, second, reason):
    assert contradiction(first, second) == reason


def test_prompts_that_differ_by_a_number_or_a_plan_ask_different_questions_so_their_answers_may_differ():
    examples = [
        _example("a", "Refunds take 5 days on Starter.", prompt="How long do refunds take on the Starter plan?"),
        _example("b", "Refunds take 2 days on Pro.", prompt="How long do refunds take on the Pro plan?"),
        _example("c", "Open Settings > Thing 1 and press Save.", prompt="question 1"),
        _example("d", "Open Settings > Thing 2 and press Save.", prompt="question 2"),
        _example("e", "Refunds take 3 days on Starter.", prompt="How long do refunds take on the Starter plan ?"),
    ]
    kept, report, found = conflicts(examples, Conflicts())
    assert [example.id for example in kept] == ["b", "c", "d"]  # a and e ask one question and disagree
    assert [group.example_ids for group in found] == [("a", "e")]
