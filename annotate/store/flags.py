"""Named queries over `flags` (why a record deserves an expert), the flaggers' progress marks and the
embeddings they keep (`text_vectors`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from annotate.clock import utc_now_text
from annotate.store.records import EVAL_SOURCE

_RECORD_FIELDS = """
    records.rowid AS rowid, records.id, records.external_id, records.messages, records.response, records.model_name,
    records.model_version, records.feedback_thumbs, records.feedback_rating, records.feedback_comment,
    records.logprob_mean, records.logprob_min, records.group_id, records.round_id, records.tool_calls, records.tools,
    records.refusal
"""


class FlagQueries:
    db: Any

    def records_for_flagging(self, *, after_rowid: int, limit: int) -> list[dict]:
        """Production records after a rowid, in order, with the most recent model-computed signals when any.
        (Here and below, evaluation's answers, source `EVAL_SOURCE`, are never flagged or paired.)"""
        return list(
            self.db.query(
                f"""
                SELECT {_RECORD_FIELDS}, signals.logprob_mean AS signal_mean, signals.logprob_min AS signal_min,
                       signals.scorer AS signal_scorer
                FROM records
                LEFT JOIN signals ON signals.record_id = records.id AND signals.scorer = (
                    SELECT s.scorer FROM signals AS s WHERE s.record_id = records.id ORDER BY s.scored_at DESC LIMIT 1)
                WHERE records.rowid > :after AND records.source != :eval ORDER BY records.rowid LIMIT :limit
                """,
                {"after": after_rowid, "limit": limit, "eval": EVAL_SOURCE},
            )
        )

    def max_record_rowid(self) -> int:
        return next(self.db.query("SELECT COALESCE(MAX(rowid), 0) AS n FROM records"))["n"]

    def flagger_progress(self, flagger: str) -> int:
        rows = list(self.db.query("SELECT last_rowid FROM flagger_progress WHERE flagger = ?", [flagger]))
        return rows[0]["last_rowid"] if rows else 0

    def save_flags(
        self,
        flags: Iterable[tuple[str, str, float, str]],
        *,
        progress: dict[str, int] | None = None,
        clear: tuple[Sequence[str], Sequence[str]] | None = None,
    ) -> None:
        """Upsert (record_id, reason, score, detail) flags and progress marks in one transaction.

        `clear=(reasons, record_ids)` first removes those reasons' flags from those records, so a
        re-check drops flags that no longer apply.
        """
        now = utc_now_text()
        with self.db.atomic():
            if clear:
                reasons, record_ids = clear
                self.db.conn.executemany(
                    "DELETE FROM flags WHERE record_id = ? AND reason = ?",
                    [(record_id, reason) for record_id in record_ids for reason in reasons],
                )
            self.db.conn.executemany(
                """
                INSERT INTO flags (record_id, reason, score, detail, flagged_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (record_id, reason) DO UPDATE SET
                    score = excluded.score, detail = excluded.detail, flagged_at = excluded.flagged_at
                """,
                [(record_id, reason, score, detail, now) for record_id, reason, score, detail in flags],
            )
            for flagger, rowid in (progress or {}).items():
                self.db.execute(
                    "INSERT INTO flagger_progress (flagger, last_rowid, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (flagger) DO UPDATE SET last_rowid = excluded.last_rowid, updated_at = excluded.updated_at",
                    [flagger, rowid, now],
                )

    def record_exists(self, record_id: str) -> bool:
        return bool(list(self.db.query("SELECT 1 FROM records WHERE id = ?", [record_id])))

    def grouped_records(self, *, touched_after_rowid: int) -> list[dict]:
        """Every record of each group that has a record after the given rowid."""
        return list(
            self.db.query(
                f"""
                SELECT {_RECORD_FIELDS} FROM records
                WHERE group_id IN (SELECT DISTINCT group_id FROM records
                                   WHERE rowid > :after AND group_id IS NOT NULL)
                  AND source != :eval
                ORDER BY group_id, records.rowid
                """,
                {"after": touched_after_rowid, "eval": EVAL_SOURCE},
            )
        )

    def record_ids_flagged(self, reason: str) -> set[str]:
        return {row[0] for row in self.db.conn.execute("SELECT record_id FROM flags WHERE reason = ?", [reason])}

    def rounds_with_ungrouped_records_after(self, rowid: int) -> list[int]:
        return [row["round_id"] for row in self.db.query(
            "SELECT DISTINCT round_id FROM records WHERE rowid > ? AND group_id IS NULL AND source != ? ORDER BY round_id",
            [rowid, EVAL_SOURCE],
        )]  # fmt: skip

    def ungrouped_records(self, round_id: int) -> list[dict]:
        return list(
            self.db.query(
                f"SELECT {_RECORD_FIELDS} FROM records WHERE group_id IS NULL AND round_id = ? AND source != ? ORDER BY rowid",
                [round_id, EVAL_SOURCE],
            )
        )

    def flag_counts(self) -> list[dict]:
        return list(
            self.db.query(
                "SELECT reason, COUNT(*) AS records, ROUND(AVG(score), 3) AS mean_score FROM flags "
                "GROUP BY reason ORDER BY records DESC"
            )
        )

    def flags_for(self, record_ids: Sequence[str]) -> list[dict]:
        """Flags of these records (chunked to stay under SQLite's variable limit)."""
        rows: list[dict] = []
        for start in range(0, len(record_ids), 500):
            chunk = list(record_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            rows += self.db.query(f"SELECT * FROM flags WHERE record_id IN ({marks}) ORDER BY record_id, reason", chunk)
        return rows

    def count_flagged_records(self) -> int:
        return next(self.db.query("SELECT COUNT(DISTINCT record_id) AS n FROM flags"))["n"]

    def save_preference_candidates(self, rows: Sequence[tuple[str, str, str, float, str]]) -> None:
        """Upsert (record_id, record_b_id, origin, score, detail) pairs, record_id < record_b_id."""
        now = utc_now_text()
        with self.db.atomic():
            self.db.conn.executemany(
                """
                INSERT INTO preference_candidates (record_id, record_b_id, origin, score, detail, found_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (record_id, record_b_id) DO UPDATE SET score = excluded.score, detail = excluded.detail
                """,
                [(*row, now) for row in rows],
            )

    def conversations(self) -> Iterable[dict]:
        """Every record's id, rowid, model and conversation, streamed in rowid order."""
        return self.db.query(
            "SELECT rowid, id, external_id, model_name, model_version, messages FROM records WHERE source != ? ORDER BY rowid",
            [EVAL_SOURCE],
        )

    def preference_candidate_counts(self) -> dict[str, int]:
        rows = self.db.query("SELECT origin, COUNT(*) AS n FROM preference_candidates GROUP BY origin")
        return {row["origin"]: row["n"] for row in rows}

    def kept_vectors(self, model: str, text_hashes: Sequence[bytes]) -> dict[bytes, bytes]:
        """{text hash: float32 vector bytes} of the texts this model embedded before (chunked under the variable limit)."""
        found: dict[bytes, bytes] = {}
        for start in range(0, len(text_hashes), 500):
            chunk = list(text_hashes[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            found.update(self.db.conn.execute(
                f"SELECT text_hash, vector FROM text_vectors WHERE model = ? AND text_hash IN ({marks})", [model, *chunk]
            ).fetchall())  # fmt: skip
        return found

    def keep_vectors(self, model: str, rows: Iterable[tuple[bytes, bytes]]) -> None:
        """Keep (text hash, float32 vector bytes) for this model; a text kept before keeps its vector."""
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO text_vectors (model, text_hash, vector) VALUES (?, ?, ?)",
                [(model, text_hash, vector) for text_hash, vector in rows],
            )
