"""One clock for the whole product: the current moment in UTC, and how it is written down.

Stored times are ISO 8601 UTC strings; `utc_now_text` gives seconds (rows, lineage) or
milliseconds (claims and annotations, whose order within a second matters), `file_stamp` the
`YYYYmmdd-HHMMSS` form used in file and run names.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def utc_now_text(timespec: str = "seconds") -> str:
    """The current moment as ISO 8601 text in UTC (`timespec` as `datetime.isoformat` takes it)."""
    return utc_now().isoformat(timespec=timespec)


def file_stamp() -> str:
    """The current moment as `YYYYmmdd-HHMMSS` (UTC), for file and run names."""
    return utc_now().strftime("%Y%m%d-%H%M%S")
