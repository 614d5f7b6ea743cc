"""Flywheel's error classes: one base, one subclass per area.

Domain code raises these; the edges (command line, review app) turn them into a clear
message and an exit code or an `st.error`, never a traceback.
"""


class FlywheelError(Exception):
    """Base class of every error Flywheel raises on purpose."""


class ConfigError(FlywheelError):
    """The project config (flywheel.toml) is missing, unreadable or invalid."""


class ProjectError(FlywheelError):
    """No project could be found, or one already exists where a new one was asked for."""


class StoreError(FlywheelError):
    """The database could not be opened or is not a Flywheel store."""


class StoreBusy(StoreError):
    """Another connection held the database's write lock for longer than the busy timeout: try again."""


class IngestError(FlywheelError):
    """A whole input file cannot be ingested (unreadable, unknown format, missing mapped column)."""


class RoundError(FlywheelError):
    """A round operation is not possible (no open round, duplicate name)."""


class AnnotatorError(FlywheelError):
    """An unknown, inactive or invalid annotator."""


class NotAllowed(AnnotatorError):
    """The acting person's role does not allow this change to someone's account (or to their own)."""


class FlaggingError(FlywheelError):
    """A flagger cannot run (bad validator setup, unknown record, missing dependency)."""


class SelectionError(FlywheelError):
    """Tasks cannot be selected as asked."""


class ReviewError(FlywheelError):
    """A claim or submission is not allowed (unknown task, wrong kind, invalid answer)."""


class ClaimLost(ReviewError):
    """The annotator's lease expired and the slot was taken by someone else."""


class Paused(ReviewError):
    """The annotator is paused from new tasks: gold accuracy under the bar, or a lead's decision."""


class ScoringError(FlywheelError):
    """Records cannot be scored: the model cannot be loaded, or torch/transformers are not installed."""


class SignInError(FlywheelError):
    """A sign-in was refused: wrong email or password, a locked account or a deactivated one."""


class LabelStudioError(FlywheelError):
    """Label Studio could not be reached, refused us, or holds something Flywheel cannot use."""


class LabelStudioProjectGone(LabelStudioError):
    """A Label Studio project Flywheel pushed to no longer exists on the server."""


class ManifestError(FlywheelError):
    """A snapshot's manifest.json is missing, unreadable, or not what `flywheel export` writes."""


class TrainingError(FlywheelError):
    """A training run cannot start or go on (bad snapshot, config, base model or run folder)."""


class EvaluationError(FlywheelError):
    """An evaluation cannot run (bad input file, adapter or base model), or its report cannot be read."""
