"""The contracts between Flywheel's two halves, as values.

- `manifest`: `manifest.json`, what `flywheel export` writes beside a snapshot and `train/` reads
  (`read_manifest`, the one reader); `schemas/manifest.schema.json` is generated from `Manifest`.
- `report`: `report.json`, what `flywheel eval` writes and the app, the round report and
  `flywheel eval human|gate|list` read (`read_report`); `schemas/report.schema.json`.
- `lineage`: `code_version()` and the lineage a run or a report records.
- `training`: `RunRequest`, what `flywheel train sft|dpo` and `python -m train.sft|dpo` hand the
  trainer, with its options defined once.
- `eval_metrics`: the evaluation's metric vocabulary, shared by the report and the pages.

Values and plain functions only: this package imports the standard library, pydantic and
`annotate.errors` / `annotate.config`, never the store, so `train/` may import it.
"""
