"""The export's quality gates and data-quality profile, on constructed examples (no project, no database)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from annotate.config import JsonValidator
from annotate.export import near_duplicates as near_duplicate_texts
from annotate.export.examples import Example
from annotate.export.frozen import FrozenEval
from annotate.export.split import LeakageError, settle_leakage
from annotate.export.gates import (
    balance,
    conflicts,
    exact_duplicates,
    format_failures,
    near_duplicates,
    prompt_clusters,
    scrub_pii,
)
from annotate.export.profile import diversity, quality_profile
from annotate.export.spec import Balance, Conflicts, ExactDuplicates, NearDuplicates

VOCABULARY = [f"word{k}" for k in range(3000)]
LOOSE = NearDuplicates(threshold=0.5)  # below the default: candidates for more pairs, the same verification


def example(
    id: str,
    prompt: str,
    answer: str = "An answer.",
    *,
    kind: str = "sft",
    origin: str = "correction",
    agreement: float | None = None,
    categories: tuple[str, ...] = (),
    system: str | None = None,
    **fields,
) -> Example:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    answers = (
        {"chosen": answer, "rejected": fields.pop("rejected", "A worse answer.")}
        if kind == "dpo"
        else {"completion": answer}
    )
    return Example(
        id=id,
        kind=kind,
        prompt=messages,
        origin=origin,
        agreement=agreement,
        categories=categories,
        source=fields.pop("source", "chat"),
        **answers,
        **fields,
    )


def ids(examples: list[Example]) -> list[str]:
    return [e.id for e in examples]


def text(rng: random.Random, words: int = 60) -> str:
    return " ".join(rng.choices(VOCABULARY, k=words))


def changed(original: str, rng: random.Random, n: int) -> str:
    words = original.split()
    for position in rng.sample(range(len(words)), n):
        words[position] = rng.choice(VOCABULARY)
    return " ".join(words)


# --- exact duplicates ------------------------------------------------------------------------------


def test_exact_duplicates_keep_the_best_agreed_variant():
    examples = [
        example("t1", "What is 2+2?", "Four.", agreement=0.5),
        example("t2", "  what IS 2+2 ", "four", agreement=0.9),
        example("t3", "WHAT is\n2+2?!", "FOUR!", agreement=None),
        example("t4", "What is 3+3?", "Six."),
        example("t5", "Name a colour", "Blue", agreement=0.7),
        example("t6", "name a colour.", "blue", agreement=0.7),
    ]
    kept, report = exact_duplicates(examples, ExactDuplicates())
    assert ids(kept) == ["t2", "t4", "t5"]
    assert report.dropped == [
        {"id": "t1", "reason": "exact_duplicate", "detail": "t2"},
        {"id": "t3", "reason": "exact_duplicate", "detail": "t2"},
        {"id": "t6", "reason": "exact_duplicate", "detail": "t5"},  # equal agreement: the smaller id stays
    ]
    assert report.counts == {"dropped": 3, "clusters": 2, "checked": 6}


def test_exact_duplicates_compare_rejected_kind_and_label_and_can_be_off():
    examples = [
        example("p1", "Fix my SQL", "SELECT 1;", kind="dpo", origin="preference", rejected="SELEC 1"),
        example("p2", "Fix my SQL", "SELECT 1;", kind="dpo", origin="preference", rejected="DROP TABLE x"),
        example("k1", "Fix my SQL", "SELECT 1;", kind="kto", origin="feedback", label=True),
        example("k2", "Fix my SQL", "SELECT 1;", kind="kto", origin="feedback", label=False),
        example("s1", "Fix my SQL", "SELECT 1;"),
    ]
    kept, report = exact_duplicates(examples, ExactDuplicates())
    assert ids(kept) == ids(examples) and report.dropped == []
    kept, report = exact_duplicates(
        examples + [example("s2", "fix my sql", "select 1")], ExactDuplicates(enabled=False)
    )
    assert len(kept) == 6 and report.enabled is False and report.dropped == []


# --- near duplicates -------------------------------------------------------------------------------


def test_near_duplicates_found_and_unrelated_texts_kept():
    rng = random.Random(7)
    base = [text(rng) for _ in range(6)]
    examples = [example(f"u{k}", prompt, "Done.", agreement=0.6) for k, prompt in enumerate(base)]
    examples += [
        example("v0", changed(base[0], rng, 3), "Done.", agreement=0.9),  # better agreed than u0
        example("v1", changed(base[1], rng, 2), "Done.", agreement=None),
        example("w1", changed(base[1], rng, 1), "Done.", agreement=0.2),
    ]
    kept, report, clusters = near_duplicates(examples, LOOSE)
    assert sorted(ids(kept)) == ["u1", "u2", "u3", "u4", "u5", "v0"]
    assert sorted((row["id"], row["detail"]) for row in report.dropped) == [("u0", "v0"), ("v1", "u1"), ("w1", "u1")]
    assert all(row["reason"] == "near_duplicate" for row in report.dropped)
    assert report.counts == {"dropped": 3, "clusters": 2, "kept_apart_as_contradicting": 0, "checked": 9}
    assert set(clusters) == set(ids(examples))  # every input example, dropped ones too
    assert clusters["u0"] == clusters["v0"] and clusters["u1"] == clusters["v1"] == clusters["w1"]
    assert len({clusters[f"u{k}"] for k in range(6)}) == 6


def test_near_duplicates_default_spec_finds_a_one_word_change():
    # At threshold 0.8 LSH proposes such a pair (1 of 58 words changed) ~9 times in 10; hashing is fixed, so
    # this pair is always found. Two or three changed words are mostly missed at 0.8 (see LOOSE).
    rng = random.Random(3)
    prompt = text(rng)
    examples = [
        example("a", prompt, "Done."),
        example("b", changed(prompt, rng, 1), "Done."),
        example("c", text(rng), "Done."),
    ]
    kept, report, _ = near_duplicates(examples, NearDuplicates())
    assert ids(kept) == ["a", "c"] and report.dropped[0]["id"] == "b"


def test_near_duplicates_disabled_still_clusters_prompts_and_keeps_labels_apart():
    rng = random.Random(11)
    prompt = text(rng)
    examples = [
        example("k1", prompt, "Yes, like this.", kind="kto", origin="feedback", label=True),
        example("k2", changed(prompt, rng, 1), "Yes, like this.", kind="kto", origin="feedback", label=False),
    ]
    kept, report, clusters = near_duplicates(examples, LOOSE)
    assert ids(kept) == ["k1", "k2"] and report.dropped == []  # different labels are not duplicates
    kept, report, clusters = near_duplicates(examples, NearDuplicates(enabled=False, threshold=0.5))
    assert report.enabled is False and ids(kept) == ["k1", "k2"] and clusters["k1"] == clusters["k2"]


def test_prompt_clusters_ignore_answers_and_number_from_zero():
    rng = random.Random(5)
    prompt = text(rng, 40)
    examples = [
        example("a", prompt, "One answer."),
        example("b", text(rng, 40)),
        example("c", changed(prompt, rng, 1), "A completely different answer."),
        example("d", prompt.upper(), "Third."),
    ]
    assert prompt_clusters(examples, LOOSE) == {"a": 0, "b": 1, "c": 0, "d": 0}


def test_eval_prompts_near_a_train_prompt_are_found_by_the_gates_definition():
    rng = random.Random(9)
    train_prompts = [text(rng) for _ in range(20)]
    queries = [changed(train_prompts[3], rng, 2), text(rng), train_prompts[7]]
    pairs = near_duplicate_texts.verified_pairs(queries, train_prompts, None, 0.9, 128)
    assert [(query, found) for query, found, _ in pairs] == [(0, 3), (2, 7)]
    assert 0.9 <= pairs[0][2] < 1.0 and pairs[1][2] == 1.0
    assert near_duplicate_texts.verified_pairs([], train_prompts, None, 0.9, 128) == []
    assert near_duplicate_texts.verified_pairs(queries, [], None, 0.9, 128) == []


def test_a_leak_fails_by_default_and_resplit_moves_it_until_nothing_straddles():
    rng = random.Random(4)
    prompts = [text(rng, 25) for _ in range(6)]
    def planted():
        examples = [example(f"t{k}", prompt) for k, prompt in enumerate(prompts)]
        examples.append(example("e0", changed(prompts[0], rng, 1)))
        examples.append(example("e1", changed(prompts[0], rng, 1)))  # near e0 too: moves once e0 moves
        examples.append(example("e2", text(rng, 25)))
        for item in examples:
            item.split = "eval" if item.id.startswith("e") else "train"
        return examples
    rehearsal = [example("rh:general:1", prompts[5], origin="rehearsal")]
    frozen = FrozenEval((1,), frozenset(), (changed(prompts[4], rng, 1),))
    with pytest.raises(LeakageError, match="near duplicate in train.*eval e0 ~ train t0"):
        settle_leakage(planted(), rehearsal, FrozenEval(), NearDuplicates(), "fail")
    examples = planted()
    kept_rehearsal, leakage = settle_leakage(examples, rehearsal, frozen, NearDuplicates(), "resplit")
    sides = {item.id: item.split for item in examples}
    assert sides["e0"] == sides["e1"] == "train" and sides["e2"] == "eval"
    assert sides["t4"] == "eval" and leakage.moved_to_eval == ["t4"]  # near an earlier version's eval prompt
    assert sorted(leakage.moved_to_train) == ["e0", "e1"] and kept_rehearsal == rehearsal
    again, none = settle_leakage(examples, rehearsal, frozen, NearDuplicates(), "fail")  # nothing straddles now
    assert none.found == []
    near_frozen = [example("rh:general:2", changed(prompts[4], rng, 1), origin="rehearsal")]
    kept_rehearsal, leakage = settle_leakage(examples, near_frozen, frozen, NearDuplicates(), "resplit")
    assert kept_rehearsal == [] and leakage.rehearsal_left_out == ["rh:general:2"]


def test_resplit_ends_when_an_eval_example_sits_between_a_train_example_and_a_frozen_prompt():
    rng = random.Random(8)
    base = text(rng, 25)
    train_side = changed(base, rng, 1)
    examples = [example("e", changed(base, rng, 1)), example("t", train_side), example("x", text(rng, 25))]
    examples[0].split, examples[1].split, examples[2].split = "eval", "train", "train"
    frozen = FrozenEval((1,), frozenset(), (train_side + " ",))  # an earlier version held out t's prompt
    _kept, leakage = settle_leakage(examples, [], frozen, NearDuplicates(), "resplit")
    assert {item.id: item.split for item in examples} == {"e": "eval", "t": "eval", "x": "train"}
    assert leakage.moved_to_eval == ["t", "e"] and leakage.moved_to_train == ["e"]  # e went, then came back with t
    pinned = [example("p", base), example("q", changed(base, rng, 1))]
    pinned[0].split, pinned[1].split = "eval", "train"
    settle_leakage(pinned, [], FrozenEval(), NearDuplicates(), "resplit", frozenset({"p"}))
    assert [item.split for item in pinned] == ["eval", "eval"]  # a pinned eval example pulls its twin in


def test_signature_agreement_estimates_the_shingle_jaccard_similarity():
    rng = random.Random(3)
    texts = [text(rng) for _ in range(40)]
    others = [changed(t, rng, rng.randint(1, 6)) for t in texts]
    signatures = near_duplicate_texts.shingle_signatures(texts + others, 256)
    assert signatures.shape == (80, 256)

    def shingles(t: str) -> set[str]:
        t = near_duplicate_texts.collapse(t)
        return {t[i : i + 4] for i in range(max(1, len(t) - 3))}

    for i in range(40):
        jaccard = len(shingles(texts[i]) & shingles(others[i])) / len(shingles(texts[i]) | shingles(others[i]))
        agreement = float((signatures[i] == signatures[40 + i]).mean())
        assert abs(agreement - jaccard) < 0.15, (texts[i], others[i], jaccard, agreement)


def test_short_and_empty_texts_get_signatures_only_when_they_have_characters():
    signatures = near_duplicate_texts.shingle_signatures(["hi", "a", "hello there"], 64)
    assert signatures.shape == (3, 64) and (signatures != 0xFFFFFFFF).all()  # densified: no empty bin left
    texts = ["", "", "Where is my invoice?", "where is my  invoice", "Where is my receipt?"]
    assert near_duplicate_texts.cluster_texts(texts, None, 0.9, 128) == [0, 1, 2, 2, 3]


def test_candidate_bands_follow_the_threshold():
    assert near_duplicate_texts.band_rows(0.66, 128) == 7
    assert near_duplicate_texts.band_rows(0.3, 128) < near_duplicate_texts.band_rows(0.8, 128)
    assert near_duplicate_texts.candidate_threshold(None, 0.9) == pytest.approx(0.65)
    assert near_duplicate_texts.candidate_threshold(0.4, 0.9) == 0.4


# --- conflicts -------------------------------------------------------------------------------------


def test_conflicting_answers_to_one_question_are_excluded_and_listed():
    examples = [
        example("c1", "How do I reset my password?", "Open Settings, then Security, and click Reset password."),
        example(
            "c2", "How do I reset my password ?", "You cannot; ask support to delete the account.", origin="accepted"
        ),
        example("c3", "how do i reset my password?", "Open Settings, then Security, and click Reset password!"),
        example("k1", "What is the capital of France?", "The capital of France is Paris."),
        example("k2", "What is the capital of France ?", "The capital of France is Paris!", origin="accepted"),
        example("r1", "How do I reset my password?", "Nobody knows.", origin="rehearsal"),
        example("d1", "How do I reset my password?", "Reboot.", kind="dpo", origin="preference"),
        example("x1", "Tell me a joke about cats", "Why did the cat sit on the computer?"),
    ]
    kept, report, _found = conflicts(examples, Conflicts())
    assert ids(kept) == ["k1", "k2", "r1", "d1", "x1"]
    assert report.dropped == [
        {"id": "c1", "reason": "conflict", "detail": "c2, c3"},
        {"id": "c2", "reason": "conflict", "detail": "c1, c3"},
        {"id": "c3", "reason": "conflict", "detail": "c1, c2"},
    ]
    assert report.counts == {"dropped": 3, "groups": 1, "checked": 7, "settled_by_lead": 0}  # d1: checked against DPO rows only
    assert [(group.kind, group.example_ids) for group in _found] == [("sft", ("c1", "c2", "c3"))]
    assert _found[0].detail.startswith("dissimilar answers")
    kept, report, _found = conflicts(examples, Conflicts(), settled=frozenset({("sft", ("c1", "c2", "c3"))}))
    assert ids(kept) == ids(examples) and report.counts["settled_by_lead"] == 3 and len(_found) == 1  # a lead settled it
    kept, report, _found = conflicts(examples, Conflicts(enabled=False))
    assert len(kept) == len(examples) and not report.enabled


# --- personal data ---------------------------------------------------------------------------------

ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "IBAN_CODE"]


def test_personal_data_is_scrubbed_everywhere_with_counts():
    # A floor of 0.4 for every type here; the project default keeps 0.5 and gives phone numbers
    # their own 0.4 floor, judged in context (tests/test_pii.py).
    prompt = [
        {"role": "system", "content": "Support bot. Escalate to ops@example.com."},
        {"role": "user", "content": "Call me on +1 212-555-0199 or (212) 555-0123, card 4111 1111 1111 1111."},
    ]
    examples = [
        Example(
            id="t1",
            kind="sft",
            prompt=prompt,
            origin="correction",
            completion="Your SSN 536-22-8726 is on file; your IP was 192.168.10.20.",
        ),
        example(
            "t2",
            "Pay to IBAN GB82 WEST 1234 5698 7654 32 please",
            "Paid from DE89370400440532013000.",
            kind="dpo",
            origin="preference",
            rejected="Mail jane.doe@example.org for it.",
        ),
        example("t3", "Nothing personal here, order 12345.", "Fine."),
    ]
    scrubbed, report = scrub_pii(examples, True, ENTITIES, 0.4)
    assert report.dropped == [] and ids(scrubbed) == ["t1", "t2", "t3"]
    assert report.counts == {
        "EMAIL_ADDRESS": 2,
        "PHONE_NUMBER": 2,
        "CREDIT_CARD": 1,
        "US_SSN": 1,
        "IP_ADDRESS": 1,
        "IBAN_CODE": 2,
        "checked": 3,
    }
    first, second, third = scrubbed
    assert first.prompt[0]["content"] == "Support bot. Escalate to <EMAIL_ADDRESS_1>."
    assert first.prompt[1]["content"] == "Call me on <PHONE_NUMBER_1> or <PHONE_NUMBER_2>, card <CREDIT_CARD_1>."
    assert first.completion == "Your SSN <US_SSN_1> is on file; your IP was <IP_ADDRESS_1>."
    assert (second.chosen, second.rejected) == ("Paid from <IBAN_CODE_2>.", "Mail <EMAIL_ADDRESS_1> for it.")
    assert second.prompt[0]["content"] == "Pay to IBAN <IBAN_CODE_1> please"  # numbered afresh in each example
    assert third == examples[2]
    assert "ops@example.com" in examples[0].prompt[0]["content"]  # the input is left as it was
    unchanged, report = scrub_pii(examples, False, ENTITIES, 0.4)
    assert unchanged == examples and not report.enabled


# --- formats ---------------------------------------------------------------------------------------


def test_format_failures_drop_expert_answers_that_fail_a_validator(tmp_path):
    validator = JsonValidator(kind="json", name="json-reply", when_system_contains="Reply in JSON")
    examples = [
        example("bad", "Order status?", '{"status": "shipped"', system="Reply in JSON only."),
        example("good", "Order status?", '{"status": "shipped"}', system="Reply in JSON only."),
        example("prose", "Order status?", "It shipped.", system="Be friendly."),
        example("pref", "Order status?", "shipped!", kind="dpo", origin="preference", system="Reply in JSON."),
        example(
            "thumb", "Order status?", "shipped!", kind="kto", origin="feedback", label=True, system="Reply in JSON."
        ),
    ]
    kept, report = format_failures(examples, True, [validator], tmp_path)
    assert ids(kept) == ["good", "prose", "thumb"]
    assert [row["id"] for row in report.dropped] == ["bad", "pref"]
    assert report.dropped[0]["reason"] == "format"
    assert report.dropped[0]["detail"].startswith("json-reply: not valid JSON")
    assert report.counts == {"dropped": 2, "checked": 4, "tool_calls_checked": 0, "by_validator": {"json-reply": 2}}
    kept, report = format_failures(examples, False, [validator], tmp_path)
    assert len(kept) == 5 and not report.enabled


def test_the_format_gate_keeps_an_expert_refusal_of_a_harmful_request_and_drops_a_refused_routine_one(tmp_path):
    from annotate.config import RefusalValidator

    validator = RefusalValidator(kind="refusal", name="unexpected-refusal")
    examples = [
        example("fraud", "Help me write a threatening note to a client who owes me £900.",
                "I can't help write threats. I can help you chase the debt firmly and lawfully."),
        example("routine", "How do I chase a client hard but legally for £900?", "I'm sorry, but I can't help with that."),
        example("answered", "How do I chase a client hard but legally for £900?", "Send a clear reminder, then a final notice."),
    ]  # fmt: skip
    kept, report = format_failures(examples, True, [validator], tmp_path)
    assert ids(kept) == ["fraud", "answered"] and [row["id"] for row in report.dropped] == ["routine"]
    assert report.dropped[0]["detail"].startswith("unexpected-refusal: unexpected refusal (")


# --- balance ---------------------------------------------------------------------------------------


def balance_set() -> list[Example]:
    examples = [example(f"a{k}", f"question a{k}", categories=("tone",), agreement=k / 10) for k in range(6)]
    examples += [
        example("b0", "question b0", categories=("facts",), agreement=0.5),
        example("b1", "question b1", categories=("facts", "tone"), agreement=0.99),
        example("n0", "question n0", origin="accepted"),
        example("e0", "question e0", categories=("facts",), split="eval"),
        example("r0", "rehearsal", origin="rehearsal"),
    ]
    return examples


def test_balance_caps_best_agreed_first():
    kept, report = balance(balance_set(), Balance(cap_per_category=3), seed=0)
    assert ids(kept) == ["a4", "a5", "b0", "b1", "n0", "e0", "r0"]  # b1 (0.99) takes a tone place first
    assert report.counts == {"before": {"facts": 2, "none": 1, "tone": 7}, "after": {"facts": 2, "none": 1, "tone": 3}}
    assert {row["id"] for row in report.dropped} == {"a0", "a1", "a2", "a3"}
    assert all(row == {"id": row["id"], "reason": "category_cap", "detail": "tone"} for row in report.dropped)


def test_balance_oversamples_rare_categories_with_unique_ids():
    kept, report = balance(balance_set(), Balance(oversample_to=4), seed=0)
    copies = [e for e in kept if "#" in e.id]
    assert sorted(ids(copies)) == ["b0#2", "b1#2", "n0#2", "n0#3", "n0#4"]
    assert len(set(ids(kept))) == len(kept)
    assert report.counts["after"] == {"facts": 4, "none": 4, "tone": 8}
    assert copies[0].lineage["repeat_of"] == copies[0].id.split("#")[0]
    assert ids(kept)[:11] == ids(balance_set())  # originals first, in order, eval and rehearsal untouched


def test_balance_is_deterministic_by_seed_and_off_by_default():
    tied = [example(f"t{k}", f"q{k}", categories=("tone",)) for k in range(10)]
    runs = [ids(balance(tied, Balance(cap_per_category=3), seed=seed)[0]) for seed in (1, 1, 2)]
    assert runs[0] == runs[1] and runs[0] != runs[2]
    kept, report = balance(tied, Balance(), seed=0)
    assert kept == tied and not report.enabled and report.counts["before"] == {"tone": 10}


# --- profile ---------------------------------------------------------------------------------------

TOPICS = {
    "billing": "invoice refund charge payment card billing subscription price",
    "shipping": "parcel delivery courier tracking shipment address warehouse late",
    "account": "password login username email reset locked account security",
    "product": "battery screen charger warranty broken model size colour",
}


def topic_prompt(rng: random.Random, topic: str) -> str:
    return "please help " + " ".join(rng.choices(TOPICS[topic].split(), k=8))


def test_quality_profile_fields_and_coverage():
    rng = random.Random(0)
    population = [topic_prompt(rng, topic) for topic in TOPICS for _ in range(100)]
    one_topic = [example(f"s{k}", topic_prompt(rng, "billing"), "Refunded.", categories=("facts",)) for k in range(40)]
    sampled = [
        example(f"r{k}", prompt, "Sure, here is how to do it.", source="web")
        for k, prompt in enumerate(rng.sample(population, 40))
    ]
    evaluation = [example("e0", topic_prompt(rng, "shipping"), "")]
    narrow = quality_profile(one_topic, evaluation, population, seed=0)
    broad = quality_profile(sampled, evaluation, population, seed=0)

    assert narrow["examples"] == {"train": 40, "eval": 1}
    assert narrow["completeness"]["train"] == {"answer": 1.0, "prompt": 1.0, "categories": 1.0}
    assert narrow["completeness"]["eval"]["answer"] == 0.0
    assert broad["completeness"]["train"]["categories"] == 0.0
    assert narrow["lengths"]["train"]["prompt_words"] == {"min": 10, "p50": 10.0, "p90": 10.0, "max": 10, "mean": 10.0}
    assert narrow["lengths"]["eval"]["answer_words"]["max"] == 0
    assert broad["diversity"]["train"] == {"distinct_1": 0.025, "distinct_2": 0.025, "type_token_ratio": 1.0}
    assert narrow["diversity"]["train"]["distinct_2"] is None  # one-word answers have no bigrams
    assert narrow["categories"]["train"] == {"facts": 40} and broad["categories"]["train"] == {"none": 40}
    assert broad["sources"]["train"] == {"web": 40} and narrow["origins"]["train"] == {"correction": 40}

    coverage = narrow["coverage"]
    assert coverage["population"] == 400 and len(coverage["clusters"]) == 20
    assert abs(sum(c["population"] for c in coverage["clusters"]) - 1) < 1e-3
    assert abs(sum(c["train"] for c in coverage["clusters"]) - 1) < 1e-3
    assert all(len(c["terms"]) == 5 for c in coverage["clusters"])
    assert coverage["train_js_distance"] > broad["coverage"]["train_js_distance"] + 0.2
    assert 0 <= broad["coverage"]["train_js_distance"] < 0.5


def test_lexical_diversity():
    assert diversity(["A b c", "a b d", "e e"]) == {"distinct_1": 0.625, "distinct_2": 0.8, "type_token_ratio": 0.8333}


def test_quality_profile_handles_empty_inputs():
    profile = quality_profile([], [], [], seed=0)
    assert profile["completeness"]["train"] == {"answer": None, "prompt": None, "categories": None}
    assert profile["lengths"]["train"]["prompt_words"]["p50"] is None
    assert profile["diversity"]["train"]["distinct_1"] is None
    assert profile["coverage"] == {"population": 0, "clusters": [], "train_js_distance": None, "eval_js_distance": None}


def test_quality_profile_samples_a_large_population():
    rng = random.Random(1)
    population = [topic_prompt(rng, rng.choice(list(TOPICS))) for _ in range(20_500)]
    profile = quality_profile([example("t", population[0])], [], population, seed=3)
    assert profile["coverage"]["population"] == 20_000 and len(profile["coverage"]["clusters"]) == 50
    assert profile["coverage"]["eval_js_distance"] is None


@pytest.mark.parametrize("words", [40, 60])
def test_near_duplicate_clusters_scale(words):
    rng = random.Random(words)
    prompts = [text(rng, words) for _ in range(2000)]
    prompts += [changed(prompts[k], rng, 1) for k in range(0, 2000, 20)]
    examples = [example(f"t{k}", prompt) for k, prompt in enumerate(prompts)]
    clusters = prompt_clusters(examples, LOOSE)
    assert len(set(clusters.values())) == 2000
