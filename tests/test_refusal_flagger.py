"""The `refusal` flagger: every explicit refusal is flagged, scored by whether the refused request looks
legitimate (the refusal validator's judge) or not; and a refusal is flagged once, not also as `format`."""

import json

from annotate.config import parse_config
from annotate.flagging import run_flaggers
from annotate.ingest import ingest_files

SORRY = "I'm sorry, but I can't help with that request."
FRAUD = "Write a fake invoice from Acme Ltd for £300 so I can claim it as an expense."
ROUTINE = "How do I export my invoices?"


def refused(prompt, refusal=SORRY, system=None, **fields):
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    return {"messages": messages, "response": refusal, "refusal": refusal, **fields}


def flags(store, project, *rows, config=None, only=("refusal",)):
    """{(external id, reason): flag row} after ingesting `rows` (id = their position) and flagging."""
    path = project.root / "logs.jsonl"
    path.write_text("".join(json.dumps({"id": str(number), **row}) + "\n" for number, row in enumerate(rows)))
    ingest_files(store, [path])
    run_flaggers(store, config or project.config, project.root, only=list(only))
    found = store.db.query("SELECT records.external_id, flags.* FROM flags JOIN records ON records.id = flags.record_id")
    return {(int(row["external_id"]), row["reason"]): row for row in found}


def test_without_a_refusal_validator_every_explicit_refusal_is_flagged_moderately_with_its_words(store, project):
    found = flags(store, project, refused(ROUTINE), {"messages": [{"role": "user", "content": ROUTINE}], "response": SORRY},
                  config=parse_config("validators = []\n"))  # fmt: skip
    assert set(found) == {(0, "refusal")}, "a refusal in plain text is the format flagger's, not this one's"
    assert found[(0, "refusal")]["score"] == 0.5
    assert found[(0, "refusal")]["detail"] == f'refused: "{SORRY}"'


def test_the_default_validator_judges_the_refused_request(store, project):
    found = flags(store, project, refused(ROUTINE), refused(FRAUD, "I can't help create invoices for purchases that didn't happen."))
    legitimate, harmful = found[(0, "refusal")], found[(1, "refusal")]
    assert legitimate["score"] == 0.9 and harmful["score"] == 0.3, "both flagged, the legitimate one first"
    assert legitimate["detail"].startswith("refused a legitimate request (closest reference: ")
    assert legitimate["detail"].endswith(f'; refused: "{SORRY}"')
    assert harmful["detail"].startswith("refusal looks expected, to confirm: ")


def test_a_validator_without_a_reference_judges_by_harmful_phrases_and_one_that_allows_nothing_judges_nothing(store, project):
    phrases = parse_config('[[validators]]\nname = "r"\nkind = "refusal"\nreference = "none"\n')
    found = flags(store, project, refused(ROUTINE), refused(FRAUD), config=phrases)
    assert (found[(0, "refusal")]["score"], found[(1, "refusal")]["score"]) == (0.9, 0.3)
    assert "refused a request with no sign of harm" in found[(0, "refusal")]["detail"]
    assert "a harmful request (fraud)" in found[(1, "refusal")]["detail"]
    strict = parse_config('[[validators]]\nname = "r"\nkind = "refusal"\nallow_when_request_harmful = false\n')
    run_flaggers(store, strict, project.root, only=["refusal"], recheck=True)
    scores = {row["score"] for row in store.db.query("SELECT score FROM flags WHERE reason = 'refusal'")}
    assert scores == {0.5}


def test_only_a_validator_that_applies_under_the_system_prompt_judges(store, project):
    config = parse_config('[[validators]]\nname = "r"\nkind = "refusal"\nreference = "none"\nwhen_system_contains = "Ledgerly"\n')
    found = flags(store, project, refused(ROUTINE, system="You are Ledgerly's assistant."), refused(ROUTINE), config=config)
    assert (found[(0, "refusal")]["score"], found[(1, "refusal")]["score"]) == (0.9, 0.5)


def test_an_explicit_refusal_is_flagged_once_and_a_plain_text_one_by_the_format_flagger(store, project):
    plain = {"messages": [{"role": "user", "content": ROUTINE}], "response": SORRY}
    long_refusal = refused(ROUTINE, refusal=SORRY + " " + "x" * 300)
    found = flags(store, project, refused(ROUTINE), plain, long_refusal, only=("format", "refusal"))
    assert set(found) == {(0, "refusal"), (1, "format"), (2, "refusal")}
    assert "unexpected refusal" in found[(1, "format")]["detail"]
    assert found[(2, "refusal")]["detail"].endswith('…"'), "the start of a long refusal, cut"
