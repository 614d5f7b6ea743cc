"""The retrieval few-shot baseline's selection, on constructed training rows with a stand-in embedding
(one dimension per topic word, so the nearest rows are known), and the snapshot's train split read
as its examples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotate.errors import EvaluationError
from train.eval_data import ProductionItem, train_items
from train.retrieval import RetrievalIndex, few_shot_prompt

TOPICS = ("refund", "invoice", "payroll", "bank", "password")


def topic_embed(texts) -> np.ndarray:
    """Counts of each topic word (plus a constant so no row is zero), L2-normalised."""
    rows = np.array([[text.lower().count(word) for word in TOPICS] + [0.1] for text in texts], dtype=float)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def item(id: str, user: str, answer: str = "", system: str | None = None) -> ProductionItem:
    prompt = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    return ProductionItem(id, prompt, answer or f"answer {id}")


TRAIN = [
    item("t-refund", "How long does a refund take?"),
    item("t-refund-2", "Refund for a refund of a double charge?"),
    item("t-invoice", "How do I send an invoice?"),
    item("t-payroll", "When does payroll run?"),
    item("t-bank", "My bank feed stopped."),
]


def prompt(user: str, system: str = "You are Ledgerly's assistant.") -> list[dict]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def test_the_examples_chosen_are_the_most_similar_training_rows_most_similar_first():
    index = RetrievalIndex(TRAIN, topic_embed)
    assert [i.id for i in index.nearest(prompt("Where is my refund?"), 2)] == ["t-refund", "t-refund-2"]
    assert [i.id for i in index.nearest(prompt("Refund refund refund"), 1)] == ["t-refund-2"]
    assert [i.id for i in index.nearest("Payroll question", 1)] == ["t-payroll"]
    multi_turn = [{"role": "user", "content": "Hi, a payroll question first"}, {"role": "assistant", "content": "Sure."},
                  {"role": "user", "content": "Actually: my bank feed is stuck."}]  # fmt: skip
    assert index.nearest(multi_turn, 1)[0].id == "t-bank"  # the last user turn is what is compared


def test_k_is_respected_and_a_k_larger_than_the_training_set_gives_all_of_it():
    index = RetrievalIndex(TRAIN, topic_embed)
    assert len(index.nearest(prompt("invoice"), 3)) == 3
    assert {i.id for i in index.nearest(prompt("invoice"), 50)} == {i.id for i in TRAIN}
    assert index.nearest(prompt("invoice"), 0) == []
    assert RetrievalIndex([], topic_embed).nearest(prompt("invoice"), 3) == []


def test_a_training_example_repeating_an_evaluated_prompt_is_never_shown():
    asked = [prompt("how do I send an  INVOICE?"), prompt("When does payroll run?")]  # case and spacing do not hide it
    index = RetrievalIndex.build(TRAIN, asked, topic_embed)
    assert {i.id for i in index.examples} == {"t-refund", "t-refund-2", "t-bank"}
    shown = {i.id for p in asked for i in index.nearest(p, 10)}
    assert not shown & {"t-invoice", "t-payroll"}


def test_the_wrapped_conversation_keeps_the_system_prompt_first_and_the_user_prompt_last():
    index = RetrievalIndex(TRAIN, topic_embed)
    asked = prompt("Where is my refund?", system="Be brief.")
    wrapped = index.wrap(asked, 2)
    assert wrapped[0] == {"role": "system", "content": "Be brief."}
    assert wrapped[-1] == {"role": "user", "content": "Where is my refund?"}
    assert wrapped[1:-1] == [
        {"role": "user", "content": "Refund for a refund of a double charge?"}, {"role": "assistant", "content": "answer t-refund-2"},
        {"role": "user", "content": "How long does a refund take?"}, {"role": "assistant", "content": "answer t-refund"},
    ]  # fmt: skip  (the most similar example last, next to the question)
    no_system = few_shot_prompt([{"role": "user", "content": "Q"}], [TRAIN[0]])
    assert [m["role"] for m in no_system] == ["user", "assistant", "user"] and no_system[-1]["content"] == "Q"
    shot_with_system = item("t-s", "Shot question", system="The shot's own system prompt")
    assert few_shot_prompt(asked, [shot_with_system])[0]["content"] == "Be brief."  # a shot brings no system prompt


def test_preparing_embeds_every_request_once_in_one_batch():
    calls = []

    def counting(texts):
        calls.append(list(texts))
        return topic_embed(texts)

    index = RetrievalIndex(TRAIN, counting)
    asked = [prompt("refund?"), prompt("bank?"), prompt("refund?")]
    index.prepare(asked)
    for p in asked:
        index.nearest(p, 2)
    assert calls[1:] == [["refund?", "bank?"]]  # after the training rows: one batch, no per-prompt calls


def _snapshot(tmp_path, rows: list[dict], kind: str = "sft"):
    from train.snapshot import Snapshot

    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return Snapshot(tmp_path, "s", 1, kind, "0" * 64, {}, [], train, None)


def test_the_train_split_is_read_like_the_eval_split_and_refused_with_its_bad_lines_named(tmp_path):
    rows = [{"id": "a", "messages": [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}]},
            {"id": "b", "prompt": [{"role": "user", "content": "Q2"}],
             "completion": [{"role": "assistant", "content": "A2"}], "label": False},
            {"id": "c", "prompt": [{"role": "user", "content": "Q3"}],
             "completion": [{"role": "assistant", "content": "A3"}], "label": True}]  # fmt: skip
    items = train_items(_snapshot(tmp_path, rows, "kto"))
    assert [(i.id, i.prompt[-1]["content"], i.reference) for i in items] == [("a", "Q1", "A1"), ("c", "Q3", "A3")]
    with pytest.raises(EvaluationError, match=r"train.jsonl:2: messages: the last message must be the expert's answer"):
        train_items(_snapshot(tmp_path, [rows[0], {"messages": [{"role": "user", "content": "Q"}]}]))
