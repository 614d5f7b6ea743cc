"""Named read-only queries for the store overview (records by source and model, feedback mix)."""

from __future__ import annotations

from typing import Any


class OverviewQueries:
    db: Any

    def records_by_source_and_model(self) -> list[dict]:
        return list(
            self.db.query(
                """
                SELECT source, COALESCE(model_name, '(unknown)') AS model,
                       COALESCE(model_version, '') AS version, COUNT(*) AS records
                FROM records GROUP BY source, model_name, model_version
                ORDER BY records DESC
                """
            )
        )

    def feedback_mix(self) -> dict[str, int]:
        return next(
            self.db.query(
                """
                SELECT COUNT(*) AS records,
                       SUM(feedback_thumbs = 'up') AS thumbs_up,
                       SUM(feedback_thumbs = 'down') AS thumbs_down,
                       SUM(feedback_rating IS NOT NULL) AS rated,
                       SUM(feedback_rating <= 2) AS rated_1_or_2,
                       SUM(feedback_comment IS NOT NULL) AS commented,
                       SUM(feedback_thumbs IS NULL AND feedback_rating IS NULL
                           AND feedback_comment IS NULL) AS no_feedback,
                       SUM(logprob_mean IS NOT NULL) AS with_logprobs,
                       SUM(group_id IS NOT NULL) AS in_a_group
                FROM records
                """
            )
        )

    def rating_histogram(self) -> list[dict]:
        return list(
            self.db.query(
                "SELECT feedback_rating AS rating, COUNT(*) AS records FROM records "
                "WHERE feedback_rating IS NOT NULL GROUP BY feedback_rating ORDER BY feedback_rating"
            )
        )
