#!/usr/bin/env bash
# One whole round of the flywheel on the sample data with the tiny model, and the start of the next:
# ingest, flag, select, import the simulated experts' answers, agreement, export, SFT, DPO on top,
# evaluate and gate, then ingest the next round's logs (the adapter's own answers) and report both
# rounds. About three minutes on two CPU cores; CI runs it (tests/test_round_script.py).
#
#   examples/round.sh [WORK_DIR]      # default: a new temporary folder; FLYWHEEL=path/to/flywheel to choose the command
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SAMPLE=$REPO/data/sample
WORK=${1:-$(mktemp -d)}
FLYWHEEL=${FLYWHEEL:-$REPO/.venv/bin/flywheel}
PYTHON=$(dirname "$FLYWHEEL")/python
PROJECT=$WORK/project
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # torch on 2 cores runs far faster on one thread

fw() { "$FLYWHEEL" --project "$PROJECT" "$@"; }
step() { printf '\n== %s\n' "$*"; }

step "1. A project for the Ledgerly support assistant, in $PROJECT"
"$FLYWHEEL" init "$PROJECT" --name "Ledgerly support (round script)"
cat "$SAMPLE/demo-validators.toml" >> "$PROJECT/flywheel.toml"
cp "$SAMPLE/triage.schema.json" "$SAMPLE/invoice.schema.json" "$PROJECT/"
sed -i.orig 's/^max_new_tokens = 256/max_new_tokens = 32/' "$PROJECT/flywheel.toml"  # the tiny model says little

step "2. Production logs in, flagged, and the most informative, diverse ones routed to experts"
fw --quiet ingest "$SAMPLE/records.jsonl" --source ledgerly-prod
fw --quiet flag
fw gold import "$SAMPLE/gold.jsonl"
fw select --budget 120 --spot-check 10% > /dev/null
fw select --budget 40 --kind preference > /dev/null
fw queue

step "3. The experts' answers (simulated; an outside vendor's file comes in the same way)"
fw annotations import "$SAMPLE/demo_answers.jsonl" --add-annotators

step "4. Agreement, and what waits for the lead"
fw agreement
fw adjudicate list

step "5. Versioned SFT and DPO snapshots"
fw --quiet export --kind sft --name support-sft
fw --quiet export --kind dpo --name support-dpo

step "6. A tiny base model, an SFT adapter and a DPO adapter on top of it"
fw train tiny-model "$WORK/models/tiny"
fw --quiet train sft --data "$PROJECT/exports/support-sft/v1" --base "$WORK/models/tiny" --runs-dir "$WORK/runs" \
    --run-id sft-1 --set trainer.max_steps=20 --set trainer.learning_rate=0.003
fw --quiet train dpo --data "$PROJECT/exports/support-dpo/v1" --base "$WORK/models/tiny" --runs-dir "$WORK/runs" \
    --run-id dpo-1 --init-adapter "$WORK/runs/sft-1" --set trainer.max_steps=10
fw train list --runs-dir "$WORK/runs"

step "7. Evaluate base vs prompt baseline vs adapters on held-out production inputs, and gate"
set +e
fw --quiet eval --base "$WORK/models/tiny" --adapter "$WORK/runs/sft-1" --adapter "$WORK/runs/dpo-1" \
    --data "$PROJECT/exports/support-sft/v1" --prompt-baseline "$SAMPLE/prompt_baseline.toml" \
    --general "$SAMPLE/eval_general.jsonl" --safety "$SAMPLE/eval_safety.jsonl" --out "$PROJECT/reports/round-1" \
    --human-eval 3
gate=$?
set -e
case $gate in
  0) echo "The gate passed: the adapters may ship." ;;
  3) echo "The gate failed (exit 3): this version is held back; the report says why." ;;
  4) echo "Not enough evidence (exit 4): no check failed, but one is inconclusive; evaluate on more examples." ;;
  *) exit "$gate" ;;
esac

step "8. The next round: the adapter's answers are its production logs"
fw round start round-2 --model tiny@sft-1
"$PYTHON" - "$PROJECT/reports/round-1/outputs.jsonl" "$WORK/round-2.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as outputs, open(sys.argv[2], "w", encoding="utf-8") as logs:
    for row in map(json.loads, outputs):
        if row["variant"] == "sft-1" and row["output"].strip():
            logs.write(json.dumps({"id": f"r2-{row['set']}-{row['id']}", "messages": row["prompt"], "response": row["output"],
                                   "model": "tiny@sft-1"}) + "\n")
PY
fw --quiet ingest "$WORK/round-2.jsonl" --source ledgerly-prod || [ $? -eq 3 ]
fw --quiet flag

step "9. What each round found, decided and shipped, and how far the prompts drifted"
fw round report round-1
fw round report round-2
fw round list
echo
echo "Done: the project is in $PROJECT (reports/round-1/report.md, exports/, and runs in $WORK/runs)."
