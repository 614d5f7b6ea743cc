"""Flywheel's training side: reads exported snapshots and model folders, never the database.

Training (`recipe`, with `sft` and `dpo` as its thin TRL scripts: `flywheel train sft|dpo` or
`python -m train.sft|dpo` under `accelerate launch`), evaluation and the release gate
(`evaluate`, over `eval_data`, `generation`, `metrics`, `gate`, `report`), and `tiny_model` for
tests and the demo. From `annotate` it imports only the values, `annotate.text` and the contracts
between the halves (`annotate.contracts`: manifest.json in, report.json and run.json's lineage out).
torch, transformers, trl and peft are imported inside the functions that need them.
"""
