"""The store's schema, as migrations applied in order on every open.

Never edit a migration once it has been released: add a new one. Each runs in a transaction
together with the record of it having been applied (sqlite-utils `Migrations`).
"""

from sqlite_utils import Database, Migrations

migrations = Migrations("flywheel")


@migrations()
def create_rounds(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            model TEXT,
            started_at TEXT NOT NULL,
            ended_at TEXT
        )
        """
    )


@migrations()
def create_annotators(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE annotators (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT,
            role TEXT NOT NULL DEFAULT 'annotator'
                CHECK (role IN ('annotator', 'lead', 'engineer', 'admin')),
            password_hash TEXT,
            sso_subject TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )
        """
    )


@migrations()
def create_ingests(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE ingests (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            format TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'done', 'failed')),
            n_read INTEGER NOT NULL DEFAULT 0,
            n_ingested INTEGER NOT NULL DEFAULT 0,
            n_present INTEGER NOT NULL DEFAULT 0,
            n_rejected INTEGER NOT NULL DEFAULT 0,
            rejects_path TEXT
        )
        """
    )


@migrations()
def create_records(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE records (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT,
            messages TEXT NOT NULL,
            response TEXT NOT NULL,
            model_name TEXT,
            model_version TEXT,
            created_at TEXT,
            feedback_thumbs TEXT CHECK (feedback_thumbs IN ('up', 'down')),
            feedback_rating INTEGER CHECK (feedback_rating BETWEEN 1 AND 5),
            feedback_comment TEXT,
            logprob_mean REAL,
            logprob_min REAL,
            group_id TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            ingest_id INTEGER REFERENCES ingests(id)
        )
        """
    )
    db.execute("CREATE INDEX records_round ON records (round_id)")
    db.execute("CREATE INDEX records_source_model ON records (source, model_name, model_version)")
    db.execute("CREATE INDEX records_group ON records (group_id) WHERE group_id IS NOT NULL")
