"""Flywheel's data side: production records in, expert annotations and curated datasets out.

Layers import one way: records/errors/config (values) <- store (SQL) <- domain modules <- cli and ui.
"""

__version__ = "0.1.0"
