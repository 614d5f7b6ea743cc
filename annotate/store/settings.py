"""Named queries over `settings`: the project settings the store must know on its own (taxonomy,
lease length), written whenever the project opens its store, so domain functions called with
only a store (`submit`, `next_task`) apply the project's rules."""

from __future__ import annotations

import json
from typing import Any

from annotate.clock import utc_now_text


class SettingQueries:
    db: Any

    def save_settings(self, values: dict[str, Any]) -> None:
        now = utc_now_text()
        rows = [(key, json.dumps(value, sort_keys=True), now) for key, value in values.items()]
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at "
                "WHERE value IS NOT excluded.value",
                rows,
            )

    def setting(self, key: str, default: Any = None) -> Any:
        rows = list(self.db.query("SELECT value FROM settings WHERE key = ?", [key]))
        return json.loads(rows[0]["value"]) if rows else default
