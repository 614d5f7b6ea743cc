"""Lines checked in worker processes give exactly what checking them in the ingest process gives:
the same records in the same order, the same rejects, the same counts, and a file that breaks
part-way keeps every good line before the break."""

from __future__ import annotations

import gzip
import json

import pytest

import annotate.ingest.pipeline as pipeline
from annotate.config import IngestLimits
from annotate.ingest import ingest_files
from annotate.store import Store
from tests.conftest import record

pytestmark = pytest.mark.usefixtures("small_blocks")


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(pipeline, "BLOCK_BYTES", 700)  # a pool starts from the third block
    monkeypatch.setattr(pipeline, "BLOCK_ROWS", 7)


def mixed_lines(n: int) -> list[str]:
    lines = []
    for number in range(n):
        line = json.dumps(record(id=f"r{number % (n - 5)}", prompt=f"How do I do thing {number}?"))  # the last 5 repeat ids
        if number % 13 == 0:
            line = line[:40]  # malformed JSON
        elif number % 17 == 0:
            line = line.replace('"response"', '"reply"')  # no response
        elif number % 19 == 0:
            lines.append("")
        lines.append(line)
    return lines


def new_store(folder) -> Store:
    folder.mkdir()
    return Store(folder / "flywheel.db")


def stored(store: Store) -> list[tuple]:
    return list(store.db.execute("SELECT rowid, id, external_id, messages, response, metadata, ingest_id FROM records ORDER BY rowid").fetchall())


@pytest.mark.parametrize(
    ("batch_size", "bom", "line_end", "last_end"), [(5, "", "\n", "\n"), (1000, "\ufeff", "\r\n", ""), (7, "", "\n", "")]
)
def test_workers_store_and_reject_exactly_what_the_ingest_process_would(tmp_path, batch_size, bom, line_end, last_end):
    logs = tmp_path / "logs.jsonl"
    lines = mixed_lines(120)
    lines[3] = "\xff not UTF-8"
    logs.write_bytes((bom + line_end.join(lines) + last_end).encode("utf-8", "surrogateescape").replace(b"\xc3\xbf not", b"\xff not"))
    results = {}
    for workers in (1, 2):
        folder = tmp_path / f"workers{workers}"
        with new_store(folder) as store:
            summary = ingest_files(store, [logs], limits=IngestLimits(batch_size=batch_size, workers=workers))
            (file,) = summary.files
            rejects = (folder / "rejects" / f"ingest-1-{logs.name}.rejects.jsonl").read_text()
            results[workers] = (stored(store), (file.read, file.ingested, file.present, file.rejected), rejects)
    assert results[1] == results[2]
    _, (read, ingested, present, rejected), rejects = results[2]
    assert (read, rejected) == (120, len(rejects.splitlines())) and rejected > 10 and present > 0
    assert ingested + present + rejected == read
    reasons = {entry["line"]: entry["reason"] for entry in map(json.loads, rejects.splitlines())}
    assert "invalid UTF-8" in reasons[4] and "malformed JSON" in reasons[14]  # line numbers survive the blocks


def test_a_file_that_breaks_part_way_keeps_every_good_line_before_the_break(tmp_path):
    whole = gzip.compress(("\n".join(json.dumps(record(id=f"r{n}", prompt=f"Question {n}?")) for n in range(400)) + "\n").encode())
    logs = tmp_path / "logs.jsonl.gz"
    logs.write_bytes(whole[: len(whole) * 2 // 3])  # cut off mid-stream
    outcomes = {}
    for workers in (1, 2):
        with new_store(tmp_path / f"workers{workers}") as store:
            (file,) = ingest_files(store, [logs], limits=IngestLimits(workers=workers)).files
            outcomes[workers] = (file.error, file.ingested, stored(store))
    assert outcomes[1] == outcomes[2]
    error, ingested, _ = outcomes[2]
    assert "unreadable after line" in error and f"the {ingested:,} good lines before it were kept" in error and ingested > 20
