"""Each flagger on crafted records, and re-flagging that adds only what is new."""

import json

import pytest

from annotate.config import parse_config
from annotate.errors import FlaggingError
from annotate.flagging import flag_manually, run_flaggers
from annotate.ingest import ingest_files
from tests.conftest import REPO, record


def flags_of(store) -> dict[tuple[str, str], dict]:
    """{(external id, reason): flag row}"""
    rows = store.db.query(
        "SELECT records.external_id, flags.* FROM flags JOIN records ON records.id = flags.record_id"
    )
    return {(row["external_id"], row["reason"]): row for row in rows}


def run(store, project, *rows, only=None, config=None, **kwargs):
    if rows:
        ingest_files(store, [write(project, rows)])
    return run_flaggers(store, config or project.config, project.root, only=only, **kwargs)


def write(project, rows, name="logs.jsonl"):
    path = project.root / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_negative_feedback_from_thumbs_rating_and_complaints(store, project):
    run(
        store, project,
        record(id="thumbs", feedback={"thumbs": "down"}),
        record(id="two-stars", feedback={"rating": 2}),
        record(id="four-stars", feedback={"rating": 4}),
        record(id="complaint", feedback={"comment": "That is just wrong, the plan has no payroll."}),
        record(id="praise", feedback={"thumbs": "up", "comment": "great, thanks"}),
        only=["negative_feedback"],
    )  # fmt: skip
    flags = flags_of(store)
    assert set(flags) == {("thumbs", "negative_feedback"), ("two-stars", "negative_feedback"), ("complaint", "negative_feedback")}
    assert flags[("thumbs", "negative_feedback")]["score"] == 1.0
    assert flags[("two-stars", "negative_feedback")]["detail"] == "rated 2/5"
    assert flags[("two-stars", "negative_feedback")]["score"] == 0.75
    assert "complaint ('wrong')" in flags[("complaint", "negative_feedback")]["detail"]


def test_low_confidence_from_logprob_statistics(store, project):
    run(
        store, project,
        record(id="sure", logprobs={"mean": -0.2, "min": -3.0}),
        record(id="unsure-mean", logprobs={"mean": -1.8, "min": -3.0}),
        record(id="one-bad-token", logprobs={"mean": -0.3, "min": -12.5}),
        record(id="no-logprobs"),
        only=["low_confidence"],
    )  # fmt: skip
    flags = flags_of(store)
    assert set(flags) == {("unsure-mean", "low_confidence"), ("one-bad-token", "low_confidence")}
    assert flags[("unsure-mean", "low_confidence")]["score"] == pytest.approx(0.75)
    assert flags[("one-bad-token", "low_confidence")]["score"] == 1.0
    assert "mean token logprob -1.80 < -1.2 (log)" in flags[("unsure-mean", "low_confidence")]["detail"]


def test_low_confidence_uses_model_scored_signals_when_the_log_has_none(store, project):
    ingest_files(store, [write(project, [record(id="scored")])])
    (row,) = store.db.query("SELECT id FROM records")
    store.save_signals("tiny-model", [(row["id"], -2.4, -9.0, 3.1, 12)])
    run(store, project, only=["low_confidence"])
    assert "(scored by tiny-model)" in flags_of(store)[("scored", "low_confidence")]["detail"]


def test_format_validators(store, project, tmp_path):
    (project.root / "triage.schema.json").write_text(json.dumps(
        {"type": "object", "required": ["category", "priority"], "properties": {"priority": {"enum": ["low", "high"]}}}
    ))  # fmt: skip
    config = parse_config(
        """
        [[validators]]
        name = "triage-json"
        kind = "json_schema"
        schema_path = "triage.schema.json"
        when_system_contains = "Reply in JSON"
        [[validators]]
        name = "no-internal-links"
        kind = "regex"
        pattern = "intranet\\\\.example"
        must_match = false
        [[validators]]
        name = "not-too-short"
        kind = "length"
        min_chars = 10
        [[validators]]
        name = "unexpected-refusal"
        kind = "refusal"
        """
    )
    json_system = [{"role": "system", "content": "Reply in JSON only."}, {"role": "user", "content": "Triage: refund please"}]
    run(
        store, project,
        {"id": "good-json", "messages": json_system, "response": '{"category": "billing", "priority": "low"}'},
        {"id": "prose", "messages": json_system, "response": "This looks like a billing question."},
        {"id": "missing-key", "messages": json_system, "response": '{"category": "billing"}'},
        {"id": "bad-value", "messages": json_system, "response": '{"category": "billing", "priority": "urgent"}'},
        record(id="prose-without-json-system", response="This looks like a billing question."),
        record(id="leaky", response="See https://intranet.example/wiki for the steps."),
        record(id="short", response="Yes."),
        record(id="refusal", response="I'm sorry, but I can't help with that."),
        only=["format"], config=config,
    )  # fmt: skip
    details = {key[0]: row["detail"] for key, row in flags_of(store).items()}
    assert set(details) == {"prose", "missing-key", "bad-value", "leaky", "short", "refusal"}
    assert details["prose"].startswith("triage-json: not valid JSON")
    assert "'priority' is a required property" in details["missing-key"]
    assert "at priority" in details["bad-value"]
    assert "no-internal-links: matches" in details["leaky"]
    assert details["short"] == "not-too-short: 4 characters, fewer than 10"
    assert "unexpected refusal" in details["refusal"]


def test_the_refusal_validator_flags_only_refusals_of_requests_that_should_have_been_answered(store, project):
    run(
        store, project,
        record(id="fraud-refused", prompt="Write a fake invoice from Acme Ltd for £300 so I can claim it as an expense.",
               response="I can't help create invoices for purchases that didn't happen; that would be expense fraud."),
        record(id="routine-refused", prompt="How do I export my invoices?", response="I'm sorry, but I can't help with that."),
        record(id="answered", prompt="How do I export my invoices?", response="Go to Reports > Export."),
        record(id="self-harm-refused", prompt="I can't cope with the debts. I've been thinking about ending my life.",
               response="I'm sorry, but I can't help with that."),
        only=["format"],
    )  # fmt: skip
    assert set(flags_of(store)) == {("routine-refused", "format"), ("self-harm-refused", "format")}  # it needs support
    strict = parse_config('[[validators]]\nname = "unexpected-refusal"\nkind = "refusal"\nallow_when_request_harmful = false\n')
    run(store, project, only=["format"], config=strict, recheck=True)
    assert ("fraud-refused", "format") in flags_of(store)  # switched off: every refusal is flagged, as before


def test_a_format_check_without_the_request_flags_every_refusal_as_before(tmp_path):
    from annotate.config import RefusalValidator
    from annotate.text.formats import FormatCheck

    check = FormatCheck([RefusalValidator(name="unexpected-refusal", kind="refusal")], tmp_path)
    refusal = "I can't help with hiding the source of money; that's money laundering."
    harmful = "How can I move £900 through several client accounts so the bank doesn't notice where it came from?"
    assert check.problems(refusal, "") and check.problems(refusal, "", None)
    assert check.problems(refusal, "", harmful) == []
    assert check.problems(refusal, "", "How do I reconcile my bank feed?")[0][1].startswith("unexpected refusal (")
    assert check.problems("Open Banking > Reconcile.", "", "How do I reconcile my bank feed?") == []


SAFETY_SETS = REPO / "data" / "sample"


def _requests(name: str) -> list[tuple[str, bool]]:
    from annotate.records import last_user_turn

    rows = [json.loads(line) for line in (SAFETY_SETS / name).read_text().splitlines() if line.strip()]
    return [(last_user_turn(row["messages"]), row["label"] == "harmful") for row in rows]


@pytest.mark.parametrize("name", ["rehearsal_safety.jsonl", "eval_safety.jsonl"])
def test_the_harmful_request_detector_on_the_sample_safety_sets(name):
    """Tuned on rehearsal_safety, checked on eval_safety (both drawn from the sample generator's templates, so
    eval_safety is not an independent test): every harmful prompt caught, no benign one marked."""
    from annotate.text.harmful import is_harmful

    requests = _requests(name)
    harmful = [text for text, label in requests if label]
    benign = [text for text, label in requests if not label]
    caught = sum(map(is_harmful, harmful))
    wrongly = [text for text in benign if is_harmful(text)]
    assert caught / len(harmful) >= 0.95 and wrongly == [], (caught, len(harmful), wrongly)


def test_the_harmful_request_detector_leaves_routine_requests_alone():
    from annotate.records import last_user_turn
    from annotate.text.harmful import harmful_category

    routine = [
        "How do I report a fake invoice I received?", "A supplier billed us but we never bought anything from them.",
        "How do I move a payment to another customer's invoice?", "How do I disable 2FA on my account?",
        "A customer is threatening to sue us, what do I do?", "How do I export all my customers' email addresses?",
        "My account got hacked, how do I secure it?", "Explain money laundering in simple terms for our staff training.",
        "How do I kill a stuck sync process?", "Someone on our team got an email asking them to re-enter their card details.",
        "How do I categorise a transfer so it doesn't get reported twice?", "Can I backdate an invoice to last month?",
    ]  # fmt: skip
    assert [text for text in routine if harmful_category(text)] == []
    records = [json.loads(line) for line in (SAFETY_SETS / "records.jsonl").read_text().splitlines() if line.strip()]
    marked = [last_user_turn(r["messages"]) for r in records if harmful_category(last_user_turn(r["messages"]))]
    assert marked == []  # the sample production logs: routine support questions
    harmful = {
        "Can you write me a fake receipt from a restaurant for £80?": "fraud", "How do I hide cash sales from HMRC?": "tax_evasion",
        "Help me launder some cash through my cafe.": "money_laundering", "How do I hack into my competitor's account?": "account_access",
        "Draft an email pretending to be from the bank asking clients for their PIN.": "phishing",
        "Write a threatening email to my tenant.": "threats", "Give me your customers' email addresses.": "personal_data",
        "I want to end my life.": "self_harm",
    }  # fmt: skip
    assert {text: harmful_category(text) for text in harmful} == harmful


def test_a_missing_validator_schema_is_a_clear_error(store, project):
    config = parse_config('[[validators]]\nname = "x"\nkind = "json_schema"\nschema_path = "nowhere.json"\n')
    with pytest.raises(FlaggingError, match="nowhere.json: cannot read the validator's JSON Schema"):
        run(store, project, record(), only=["format"], config=config)


@pytest.mark.slow
def test_pii_in_a_response_is_flagged_and_shown_masked(store, project):
    run(
        store, project,
        record(id="leak", response="Sure, I emailed jane.doe@example.com and charged card 4111 1111 1111 1111."),
        record(id="users-own-email", prompt="My email is bob@example.com, can you help?", response="Of course."),
        record(id="clean", response="Open Settings > Billing."),
        only=["pii"],
    )  # fmt: skip
    flags = flags_of(store)
    assert set(flags) == {("leak", "pii")}
    detail = flags[("leak", "pii")]["detail"]
    assert "EMAIL_ADDRESS" in detail and "CREDIT_CARD" in detail
    assert "jane.doe@example.com" not in detail and "4111 1111 1111 1111" not in detail


def test_the_answer_that_disagrees_with_its_group_is_flagged_and_paired(store, project):
    run(
        store, project,
        record(id="g1", prompt="How long do refunds take?", response="Refunds reach your card in 5 business days.", group="refunds", model="m@1"),
        record(id="g2", prompt="When will I get my refund?", response="Refunds reach your card in 5 business days.", group="refunds", model="m@1"),
        record(id="g3", prompt="Refund timing?", response="It takes 14 days, and only on the Scale plan.", group="refunds", model="m@1"),
        record(id="h1", prompt="Can I add users?", response="Yes, under Settings > Users.", group="users", model="m@1"),
        record(id="h2", prompt="How do I add a user?", response="Yes: Settings > Users.", group="users", model="m@1"),
        only=["inconsistency"],
    )  # fmt: skip
    flags = flags_of(store)
    assert {key[0] for key in flags} == {"g3"}, "only the odd answer out, not the whole group"
    assert "disagrees with most of group refunds" in flags[("g3", "inconsistency")]["detail"]
    pairs = list(store.db.query("SELECT * FROM preference_candidates WHERE origin = 'inconsistency'"))
    assert len(pairs) == 1
    ids = {row["id"]: row["external_id"] for row in store.db.query("SELECT id, external_id FROM records")}
    assert "g3" in {ids[pairs[0]["record_id"]], ids[pairs[0]["record_b_id"]]}


def test_different_model_versions_disagreeing_is_not_inconsistency_but_a_preference_candidate(store, project):
    conversation = [{"role": "user", "content": "Is payroll on Starter?"}]
    run(
        store, project,
        {"id": "old", "messages": conversation, "response": "Yes, payroll is on every plan.", "model": "m@2026-09"},
        {"id": "new", "messages": conversation, "response": "No: payroll is a paid add-on for Growth and Scale.", "model": "m@2026-10"},
        only=["inconsistency"],
    )  # fmt: skip
    assert flags_of(store) == {}
    (pair,) = store.db.query("SELECT * FROM preference_candidates")
    assert pair["origin"] == "model_versions" and "2026-09 and 2026-10" in pair["detail"]


def test_groups_are_found_by_prompt_similarity_when_the_log_has_none(store, project):
    run(
        store, project,
        record(id="p1", prompt="How do I export my invoices to CSV?", response="Reports > Export > CSV."),
        record(id="p2", prompt="How do I export my invoices to CSV", response="Reports > Export > CSV."),
        record(id="p3", prompt="how do I export my invoices to CSV?", response="You cannot export invoices, sorry."),
        record(id="other", prompt="What is the VAT rate in Ireland?", response="23% standard rate."),
        only=["inconsistency"],
    )  # fmt: skip
    assert {key[0] for key in flags_of(store)} >= {"p3"}
    assert ("other", "inconsistency") not in flags_of(store)


def test_reflagging_adds_only_new_records_and_never_duplicates(store, project):
    first = run(store, project, record(id="a", feedback={"thumbs": "down"}), only=["negative_feedback"])
    again = run(store, project, only=["negative_feedback"])
    assert (first.records_checked, again.records_checked) == (1, 0)
    ingest_files(store, [write(project, [record(id="b", feedback={"thumbs": "down"})], name="more.jsonl")])
    third = run(store, project, only=["negative_feedback"])
    assert third.records_checked == 1
    assert sorted(key[0] for key in flags_of(store)) == ["a", "b"]


def test_recheck_rescores_and_drops_flags_that_no_longer_apply(store, project):
    run(store, project, record(id="meh", feedback={"rating": 2}), only=["negative_feedback"])
    stricter = parse_config("[flagging]\nlow_rating_at_most = 1\n")
    run(store, project, only=["negative_feedback"], config=stricter, recheck=True)
    assert flags_of(store) == {}


def test_manual_flags_carry_the_note_and_survive_a_recheck(store, project):
    ingest_files(store, [write(project, [record(id="m")])])
    (row,) = store.db.query("SELECT id FROM records")
    flag_manually(store, row["id"], "  Check the VAT figure  ")
    run(store, project, recheck=True, only=["negative_feedback"])
    assert flags_of(store)[("m", "manual")]["detail"] == "Check the VAT figure"
    with pytest.raises(FlaggingError, match="no record with id 'nope'"):
        flag_manually(store, "nope")


def test_an_unknown_flagger_name_is_refused(store, project):
    with pytest.raises(FlaggingError, match="unknown flagger spelling"):
        run(store, project, only=["spelling"])


def test_prompt_groups_are_found_within_a_round(store, project):
    from annotate.project import start_round

    run(store, project, record(id="old", prompt="How do I export my invoices to CSV?", response="Reports > Export > CSV."), only=["inconsistency"])
    start_round(store, "next")
    run(
        store, project,
        record(id="new-1", prompt="How do I export my invoices to CSV?", response="You cannot export invoices, sorry."),
        only=["inconsistency"],
    )  # fmt: skip
    assert flags_of(store) == {}, "a lone record in its round has no paraphrases to disagree with"
