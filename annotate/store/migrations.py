"""The store's schema, as migrations applied in order on every open.

Never edit a migration once it has been released: add a new one. Each runs in a transaction
together with the record of it having been applied (sqlite-utils `Migrations`).
"""

from annotate.store._sqlite_utils import Database, Migrations

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


@migrations()
def create_flags(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE flags (
            record_id TEXT NOT NULL REFERENCES records(id),
            reason TEXT NOT NULL,
            score REAL NOT NULL CHECK (score BETWEEN 0 AND 1),
            detail TEXT NOT NULL,
            flagged_at TEXT NOT NULL,
            PRIMARY KEY (record_id, reason)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX flags_reason ON flags (reason)")
    db.execute(
        """
        CREATE TABLE flagger_progress (
            flagger TEXT PRIMARY KEY,
            last_rowid INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


@migrations()
def create_signals(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE signals (
            record_id TEXT NOT NULL REFERENCES records(id),
            scorer TEXT NOT NULL,
            logprob_mean REAL NOT NULL,
            logprob_min REAL NOT NULL,
            entropy_mean REAL NOT NULL,
            n_tokens INTEGER NOT NULL,
            scored_at TEXT NOT NULL,
            PRIMARY KEY (record_id, scorer)
        ) WITHOUT ROWID
        """
    )


@migrations()
def create_tasks_claims_annotations(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE tasks (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('correction', 'preference')),
            record_id TEXT NOT NULL REFERENCES records(id),
            record_b_id TEXT REFERENCES records(id),
            origin TEXT NOT NULL,
            priority REAL NOT NULL,
            why TEXT NOT NULL DEFAULT '',
            cluster INTEGER,
            required_annotations INTEGER NOT NULL CHECK (required_annotations >= 1),
            done_annotations INTEGER NOT NULL DEFAULT 0,
            active_claims INTEGER NOT NULL DEFAULT 0,
            is_gold INTEGER NOT NULL DEFAULT 0,
            gold_answer TEXT,
            route TEXT NOT NULL DEFAULT 'app' CHECK (route IN ('app', 'labelstudio')),
            external_id TEXT,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            created_at TEXT NOT NULL,
            CHECK ((kind = 'preference') = (record_b_id IS NOT NULL))
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX tasks_once ON tasks (kind, record_id, COALESCE(record_b_id, '')) WHERE is_gold = 0")
    db.execute("CREATE INDEX tasks_queue ON tasks (route, priority DESC, id) WHERE status = 'open'")
    db.execute("CREATE INDEX tasks_record_b ON tasks (record_b_id) WHERE record_b_id IS NOT NULL")
    db.execute(
        """
        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            annotator_id INTEGER NOT NULL REFERENCES annotators(id),
            claimed_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            outcome TEXT NOT NULL DEFAULT 'active'
                CHECK (outcome IN ('active', 'submitted', 'skipped', 'expired')),
            ended_at TEXT,
            reason TEXT
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX claims_one_active ON claims (task_id, annotator_id) WHERE outcome = 'active'")
    db.execute("CREATE INDEX claims_expiry ON claims (expires_at) WHERE outcome = 'active'")
    db.execute("CREATE INDEX claims_annotator ON claims (annotator_id, task_id)")
    db.execute("CREATE INDEX claims_active_by_annotator ON claims (annotator_id, task_id) WHERE outcome = 'active'")
    db.execute(
        """
        CREATE TABLE annotations (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            annotator_id INTEGER NOT NULL REFERENCES annotators(id),
            kind TEXT NOT NULL CHECK (kind IN ('correction', 'preference')),
            answer TEXT NOT NULL,
            verdict TEXT CHECK (verdict IN ('acceptable', 'corrected', 'unusable')),
            choice TEXT CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
            corrected_response TEXT,
            failure_categories TEXT NOT NULL DEFAULT '[]',
            severity TEXT,
            rationale TEXT NOT NULL DEFAULT '',
            seconds_spent REAL,
            source TEXT NOT NULL DEFAULT 'app' CHECK (source IN ('app', 'labelstudio', 'import')),
            external_id TEXT,
            supersedes INTEGER REFERENCES annotations(id),
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX annotations_first ON annotations (task_id, annotator_id) WHERE supersedes IS NULL")
    db.execute("CREATE INDEX annotations_annotator ON annotations (annotator_id, created_at)")


@migrations()
def create_gold_answers(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE gold_answers (
            record_id TEXT NOT NULL REFERENCES records(id),
            kind TEXT NOT NULL CHECK (kind IN ('correction', 'preference')),
            record_b_id TEXT REFERENCES records(id),
            answer TEXT NOT NULL,
            source TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (kind, record_id)
        )
        """
    )


@migrations()
def create_preference_candidates(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE preference_candidates (
            record_id TEXT NOT NULL REFERENCES records(id),
            record_b_id TEXT NOT NULL REFERENCES records(id),
            origin TEXT NOT NULL CHECK (origin IN ('inconsistency', 'model_versions')),
            score REAL NOT NULL CHECK (score BETWEEN 0 AND 1),
            detail TEXT NOT NULL,
            found_at TEXT NOT NULL,
            PRIMARY KEY (record_id, record_b_id),
            CHECK (record_id < record_b_id)
        ) WITHOUT ROWID
        """
    )


@migrations()
def create_settings(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


@migrations()
def add_sign_in_columns(db: Database) -> None:
    """Per-account sign-in state: consecutive failures, a lockout end, the last success."""
    db.execute("ALTER TABLE annotators ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE annotators ADD COLUMN locked_until TEXT")
    db.execute("ALTER TABLE annotators ADD COLUMN last_sign_in_at TEXT")


@migrations()
def create_labelstudio_links(db: Database) -> None:
    """Label Studio: one project per (task kind, round) on a server, and what each pull saw.

    `ls_projects.push_started_at` is set while a batch of tasks is in flight, so a push that was
    cut off is reconciled (tasks the server did take are matched, not pushed again). `ls_annotations`
    remembers each Label Studio annotation pulled: its result hash (an edit changes it), what it
    became (`stored`, `skipped`, `invalid`, `deleted`) and the Flywheel annotation it last wrote.
    """
    db.execute(
        """
        CREATE TABLE ls_projects (
            id INTEGER PRIMARY KEY,
            server_url TEXT NOT NULL,
            ls_project_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('correction', 'preference')),
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            title TEXT NOT NULL,
            label_config_hash TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'gone')),
            pull_cursor TEXT,
            push_started_at TEXT,
            created_at TEXT NOT NULL,
            last_push_at TEXT,
            last_pull_at TEXT
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX ls_projects_one_active ON ls_projects (kind, round_id) WHERE status = 'active'")
    db.execute("ALTER TABLE tasks ADD COLUMN ls_project INTEGER REFERENCES ls_projects(id)")
    db.execute("CREATE INDEX tasks_external ON tasks (ls_project, external_id) WHERE ls_project IS NOT NULL")
    db.execute(
        """
        CREATE TABLE ls_annotations (
            ls_project INTEGER NOT NULL REFERENCES ls_projects(id),
            ls_annotation_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            annotator_id INTEGER REFERENCES annotators(id),
            result_hash TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('stored', 'skipped', 'invalid', 'deleted')),
            problem TEXT,
            annotation_id INTEGER REFERENCES annotations(id),
            ls_updated_at TEXT NOT NULL,
            pulled_at TEXT NOT NULL,
            PRIMARY KEY (ls_project, ls_annotation_id)
        )
        """
    )
    db.execute("CREATE INDEX ls_annotations_task ON ls_annotations (task_id)")


@migrations()
def create_adjudications(db: Database) -> None:
    """A lead's final decision on a task: the answer that wins in every export, with its reason.
    Append-only like annotations: a new decision supersedes the last one."""
    db.execute(
        """
        CREATE TABLE adjudications (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            lead_id INTEGER NOT NULL REFERENCES annotators(id),
            kind TEXT NOT NULL CHECK (kind IN ('correction', 'preference')),
            answer TEXT NOT NULL,
            verdict TEXT CHECK (verdict IN ('acceptable', 'corrected', 'unusable')),
            choice TEXT CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
            method TEXT NOT NULL CHECK (method IN ('picked', 'merged', 'written')),
            picked_annotation_id INTEGER REFERENCES annotations(id),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            supersedes INTEGER REFERENCES adjudications(id),
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX adjudications_task ON adjudications (task_id)")
    db.execute("CREATE INDEX annotations_supersedes ON annotations (supersedes) WHERE supersedes IS NOT NULL")


@migrations()
def create_datasets(db: Database) -> None:
    """Export snapshots: immutable folders `exports/NAME/vN/`, registered with their manifest."""
    db.execute(
        """
        CREATE TABLE datasets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            kind TEXT NOT NULL CHECK (kind IN ('sft', 'dpo', 'kto')),
            path TEXT NOT NULL,
            spec TEXT NOT NULL,
            counts TEXT NOT NULL,
            file_hashes TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (name, version)
        )
        """
    )


@migrations()
def create_current_answers(db: Database) -> None:
    """Each annotator's current answer per task (the last of its edit chain), kept by a trigger on
    every insert into `annotations`, so bulk readers (agreement, resolution, export) scan a narrow
    table instead of finding chain ends with `NOT EXISTS` over the wide one. `first_created_at` is
    the slot's first submission (`first_created_ms`: the same in milliseconds since the epoch, so a
    bulk read parses no dates). Derived data: `annotations` stays the append-only record."""
    db.execute(
        """
        CREATE TABLE current_answers (
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            annotator_id INTEGER NOT NULL REFERENCES annotators(id),
            annotation_id INTEGER NOT NULL UNIQUE REFERENCES annotations(id),
            verdict TEXT,
            choice TEXT,
            severity TEXT,
            failure_categories TEXT NOT NULL,
            corrected_response TEXT,
            seconds_spent REAL,
            source TEXT NOT NULL,
            first_created_at TEXT NOT NULL,
            first_created_ms INTEGER NOT NULL,
            PRIMARY KEY (task_id, annotator_id)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TRIGGER annotations_keep_current AFTER INSERT ON annotations BEGIN
            INSERT INTO current_answers (task_id, annotator_id, annotation_id, verdict, choice, severity,
                                         failure_categories, corrected_response, seconds_spent, source, first_created_at,
                                         first_created_ms)
            VALUES (NEW.task_id, NEW.annotator_id, NEW.id, NEW.verdict, NEW.choice, NEW.severity,
                    NEW.failure_categories, NEW.corrected_response, NEW.seconds_spent, NEW.source, NEW.created_at,
                    CAST(ROUND((julianday(NEW.created_at) - 2440587.5) * 86400000) AS INTEGER))
            ON CONFLICT (task_id, annotator_id) DO UPDATE SET
                annotation_id = excluded.annotation_id, verdict = excluded.verdict, choice = excluded.choice,
                severity = excluded.severity, failure_categories = excluded.failure_categories,
                corrected_response = excluded.corrected_response, seconds_spent = excluded.seconds_spent,
                source = excluded.source;
        END
        """
    )
    db.execute(
        """
        INSERT INTO current_answers
        SELECT a.task_id, a.annotator_id, a.id, a.verdict, a.choice, a.severity, a.failure_categories,
               a.corrected_response, a.seconds_spent, a.source,
               COALESCE((SELECT first.created_at FROM annotations AS first WHERE first.task_id = a.task_id
                         AND first.annotator_id = a.annotator_id AND first.supersedes IS NULL), a.created_at), 0
        FROM annotations AS a
        WHERE NOT EXISTS (SELECT 1 FROM annotations AS newer WHERE newer.supersedes = a.id)
        """
    )
    db.execute(
        "UPDATE current_answers SET first_created_ms = CAST(ROUND((julianday(first_created_at) - 2440587.5) * 86400000) AS INTEGER)"
    )


@migrations()
def add_datasets_round(db: Database) -> None:
    """The round a snapshot was exported in (the round report's "what was exported"). Older
    snapshots get the round whose time span holds their export time."""
    db.execute("ALTER TABLE datasets ADD COLUMN round_id INTEGER REFERENCES rounds(id)")
    db.execute(
        """
        UPDATE datasets SET round_id = (
            SELECT rounds.id FROM rounds WHERE rounds.started_at <= datasets.created_at
            ORDER BY rounds.started_at DESC, rounds.id DESC LIMIT 1)
        """
    )


@migrations()
def add_ingest_process(db: Database) -> None:
    """Which process runs an ingest (host and pid), so the next ingest can tell a run that died
    (`kill -9`, a lost machine) from one still going, and a note of what happened to it."""
    db.execute("ALTER TABLE ingests ADD COLUMN host TEXT")
    db.execute("ALTER TABLE ingests ADD COLUMN pid INTEGER")
    db.execute("ALTER TABLE ingests ADD COLUMN note TEXT")


@migrations()
def create_conflicts(db: Database) -> None:
    """Conflicts the export found across tasks (near-identical prompts, contradicting answers of one
    kind): the lead's to settle. `example_ids` (JSON, sorted) with the kind is the conflict's
    identity; a lead settles it by deciding its tasks after it was found, or by dismissing it."""
    db.execute(
        """
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            example_ids TEXT NOT NULL,
            task_ids TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            found_at TEXT NOT NULL,
            dismissed_by INTEGER REFERENCES annotators(id),
            dismissed_at TEXT,
            reason TEXT,
            UNIQUE (kind, example_ids)
        )
        """
    )


@migrations()
def create_annotator_pauses(db: Database) -> None:
    """Pauses from new tasks and their lifting, append-only: the latest row per annotator is their
    standing. `source` says who decided (the gold-accuracy `rule`, a `lead` or admin named by
    `lead_id`, or the machine's `operator`); the gold tally at the time (`n_gold`, `n_right` and
    the Wilson interval) is the evidence. `tasks_gold` lets a claim count its gold answers fast."""
    db.execute(
        """
        CREATE TABLE annotator_pauses (
            id INTEGER PRIMARY KEY,
            annotator_id INTEGER NOT NULL REFERENCES annotators(id),
            action TEXT NOT NULL CHECK (action IN ('paused', 'resumed')),
            source TEXT NOT NULL CHECK (source IN ('rule', 'lead', 'operator')),
            lead_id INTEGER REFERENCES annotators(id),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            n_gold INTEGER NOT NULL,
            n_right INTEGER NOT NULL,
            low REAL,
            high REAL,
            created_at TEXT NOT NULL,
            CHECK ((source = 'lead') = (lead_id IS NOT NULL))
        )
        """
    )
    db.execute("CREATE INDEX annotator_pauses_latest ON annotator_pauses (annotator_id, id)")
    db.execute("CREATE INDEX tasks_gold ON tasks (id) WHERE is_gold = 1")


@migrations()
def add_record_tool_columns(db: Database) -> None:
    """What a response is beyond its text: the tool calls it made (JSON, OpenAI's shape), its refusal,
    the tools offered (JSON), a reasoning summary, optional per-token log-probabilities (JSON) and
    its place in a trace."""
    for column in ("tool_calls", "refusal", "tools", "reasoning", "token_logprobs", "trace_id", "span_id"):
        db.execute(f"ALTER TABLE records ADD COLUMN {column} TEXT")
    db.execute("CREATE INDEX records_trace ON records (trace_id) WHERE trace_id IS NOT NULL")


@migrations()
def create_sessions(db: Database) -> None:
    """Review-app sign-ins that survive a reload: the browser holds a random token in an HttpOnly
    cookie and the store keeps only its SHA-256 (`token_hash`). A session starts with a one-time
    `handoff_hash` that the page's script exchanges for the cookie; `last_seen_at` drives the idle
    timeout. Signing out deletes the row, so its cookie signs nobody in again."""
    db.execute(
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            annotator_id INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
            handoff_hash TEXT UNIQUE,
            token_hash TEXT UNIQUE,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX sessions_annotator ON sessions (annotator_id)")


COUNTED_TABLES = ("records", "flags", "signals", "tasks", "annotations", "adjudications", "annotators",
                  "annotator_pauses", "rounds", "conflicts", "datasets")


@migrations()
def create_change_counter(db: Database) -> None:
    """`changes.n` goes up with every row inserted, updated or deleted in the tables the review
    app's pages read (`COUNTED_TABLES`), inside the writing transaction, from any process: a
    reader that sees a change also sees its count, so a page can cache what it computes from
    these tables under the count it read first. (About 2 µs per row written; a trigger's writes
    count in `total_changes`, so the store counts its own writes with `rowcount`.)"""
    db.execute("CREATE TABLE changes (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)")
    db.execute("INSERT INTO changes (id, n) VALUES (1, 0)")
    for table in COUNTED_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_counts AFTER {event} ON {table} "
                "BEGIN UPDATE changes SET n = n + 1 WHERE id = 1; END"
            )


@migrations()
def count_records_per_batch(db: Database) -> None:
    """Records are only ever inserted, in batches, through `RecordQueries.insert_new_records`,
    which adds the batch's new rows to `changes.n` itself: one update a batch instead of one a
    row (the per-row trigger was a third of the insert's time in `bench/ingest.py`)."""
    for event in ("insert", "update", "delete"):
        db.execute(f"DROP TRIGGER IF EXISTS records_{event}_counts")


@migrations()
def create_text_vectors(db: Database) -> None:
    """Sentence embeddings the flaggers computed (the refusal judge's requests and reference), by
    model (name, package version, token limit) and the text's 16-byte BLAKE2b digest: a re-run or a
    re-check embeds only texts never seen. `vector` holds float32 values, little-endian. Only a cache:
    deleting rows costs time, never a different flag."""
    db.execute(
        """
        CREATE TABLE text_vectors (
            model TEXT NOT NULL,
            text_hash BLOB NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (model, text_hash)
        ) WITHOUT ROWID
        """
    )
