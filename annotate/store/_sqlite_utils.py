"""sqlite-utils, imported without the pandas import it does not need here.

`sqlite_utils.db` imports pandas when it can (0.4 s and about 70 MB on every command's start, a
fifth of `flywheel ingest` at 100,000 records) only to map `pd.Timestamp` to a TEXT column when
it creates a table from Python values. The store's tables come from its migrations, so the store
imports sqlite-utils from here, with pandas hidden; a page or report that needs pandas imports it
itself.
"""

from __future__ import annotations

import sys

if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
    from sqlite_utils import Database, Migrations
else:
    sys.modules["pandas"] = None  # type: ignore[assignment]  # so `import pandas` raises ImportError
    try:
        from sqlite_utils import Database, Migrations
    finally:
        del sys.modules["pandas"]

__all__ = ["Database", "Migrations"]
