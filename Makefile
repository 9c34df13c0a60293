# meterlab: data -> warm -> onset-mlp -> extract -> grid -> eval, each step re-run only when
# its inputs change (file timestamps; stamps under data/stamps/ for steps that make many
# files). `make help` lists the targets.
#
#   make all                                   # the embedded corpus, no download
#   make all DATASET=meter2800 DATA_DIR=/data/METER2800 [CLASSES=3,4]
#   make all DATASET=manifest MANIFEST=my_songs.csv
#   make eval SAVE=1                           # also save the run as baseline if better
#   make all SCHEDULER=tcp://host:8786         # per-file work on a Dask cluster (README)

PYTHON_SYSTEM ?= python3.11
DATASET ?= corpus
DATA_DIR ?=
MANIFEST ?=
WORKERS ?= 2
# A Dask scheduler address (tcp://host:8786) or local:N; empty = WORKERS local processes.
SCHEDULER ?=
SAVE ?=
FILE ?=
OUT ?=
CLASSES ?=

# Paths may hold spaces (a clone under "My Projects", METERLAB_DATA="/tmp/my data"): Make
# splits words on them, so a path is escaped where it names a target or prerequisite
# ($(call escaped,PATH)) and double-quoted in recipes; $(abspath) would split it.
empty :=
space := $(empty) $(empty)
escaped = $(subst $(space),\$(space),$(1))

# Everything generated lives under DATA (METERLAB_DATA moves it; the scripts read the same).
DATA := $(if $(filter /%,$(firstword $(METERLAB_DATA))),$(METERLAB_DATA),$(CURDIR)/$(or $(METERLAB_DATA),data))
export METERLAB_DATA := $(DATA)
CORPUS_ARGS ?=
SCORES_ARGS ?=
GRID_ARGS ?=
EXTRACT_ARGS ?=

VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
STAMPS := $(DATA)/stamps
# How the per-file steps (warm, onset-mlp, extract, eval) run.
PARALLEL_ARGS := $(if $(SCHEDULER),--scheduler $(SCHEDULER),--workers $(WORKERS))

CORPUS_MANIFEST := $(DATA)/corpus/manifest.csv
# The real-score dataset (music21's corpus, performed): trained on through --extra-data
# beside the corpus, reported apart; DATASET=scores runs the chain on it alone.
SCORES_MANIFEST := $(DATA)/scores/manifest.csv
ifeq ($(DATASET),corpus)
  DATASET_ARGS := --dataset corpus
  DATASET_INPUT := $(call escaped,$(CORPUS_MANIFEST)) $(call escaped,$(SCORES_MANIFEST))
else ifeq ($(DATASET),scores)
  DATASET_ARGS := --dataset scores
  DATASET_INPUT := $(call escaped,$(SCORES_MANIFEST))
else ifeq ($(DATASET),meter2800)
  DATASET_ARGS := --dataset meter2800 --data-dir "$(DATA_DIR)"
  # The tables in either published form; without them, a target that says what is missing.
  METER2800_NAMES := $(foreach split,train val test,$(foreach n,2 4,$(foreach form,tab csv,\
    data_$(split)_$(n)_classes.$(form))))
  METER2800_TABLES := $(strip $(foreach name,$(METER2800_NAMES),\
    $(if $(wildcard $(call escaped,$(DATA_DIR)/$(name))),$(call escaped,$(DATA_DIR)/$(name)))))
  DATASET_INPUT := $(if $(DATA_DIR),$(or $(METER2800_TABLES),meter2800-tables-missing),meter2800-data-dir-missing)
else ifeq ($(DATASET),manifest)
  DATASET_ARGS := --dataset manifest --data-dir "$(MANIFEST)"
  DATASET_INPUT := $(call escaped,$(MANIFEST))
else
  $(error DATASET must be corpus, scores, meter2800 or manifest)
endif
DATASET_ARGS += $(if $(CLASSES),--classes $(CLASSES))

ARBITER_SOURCES := $(addprefix lib/meterlab/learn/,arbiter.py mlp.py grid.py table.py priors.py \
	calibration.py) scripts/training/grid_arbiter.py

DATASET_TAG := $(STAMPS)/dataset
WARM_STAMP := $(STAMPS)/warm
# The files behind the signals' cache versions, written by warm's recipe from the same
# function that computes the versions (scripts/setup/version_sources.py): editing any of
# them re-runs warm, which recomputes only the producers whose version changed.
WARM_DEPS := $(STAMPS)/warm.d
ONSET_MLP := $(DATA)/onset_mlp.pt
ARBITER_DATA := $(DATA)/arbiter_dataset/tuning.npz
ARBITER := $(DATA)/meter_arbiter.pt
EVAL_STAMP := $(STAMPS)/eval
SCORES_EVAL_STAMP := $(STAMPS)/eval-scores
EVAL_SOURCES := scripts/eval.py $(addprefix lib/meterlab/learn/,priors.py calibration.py) \
	$(addprefix lib/meterlab/evaluate/,evaluation.py metrics.py runs.py reference.py report.py)

.DEFAULT_GOAL := help
.PHONY: help install test data tracker-data tracker bar-model corpus-preview warm onset-mlp extract grid eval beat-diagnostics beat-report smoke predict \
	results bench all clean ship-models meter2800-data-dir-missing meter2800-tables-missing

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'
	@echo "  variables: DATASET=corpus|scores|meter2800|manifest DATA_DIR=... MANIFEST=... CLASSES=3,4"
	@echo "             WORKERS=$(WORKERS) SAVE=1 FILE=... OUT=... METERLAB_DATA=... CORPUS_ARGS=... GRID_ARGS=..."
	@echo "             SCHEDULER=tcp://host:8786|local:N (per-file steps on Dask, instead of WORKERS)"
	@echo "             SCORES_ARGS='--size large --soundfont my.sf2' (the real-score dataset)"
	@echo "             EXTRACT_ARGS='--allow-missing NAME' (keep a signal missing on most files)"

install: $(INSTALLED) ## create .venv and install the pinned requirements

$(INSTALLED): requirements.txt requirements-nodeps.txt pyproject.toml
	$(PYTHON_SYSTEM) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PYTHON) -m pip install --quiet --no-deps -e .
	touch $@

test: $(INSTALLED) ## run the test suite (the command CI runs)
	$(PYTHON) -m pytest -q

data: $(call escaped,$(CORPUS_MANIFEST)) $(call escaped,$(SCORES_MANIFEST)) ## build the embedded corpus and real-score dataset (no download)

$(call escaped,$(CORPUS_MANIFEST)): $(INSTALLED) scripts/setup/make_corpus.py \
		$(wildcard lib/meterlab/data/build/corpus/*.py) lib/meterlab/data/build/render.py
	$(PYTHON) scripts/setup/make_corpus.py $(PARALLEL_ARGS) $(CORPUS_ARGS)

$(call escaped,$(SCORES_MANIFEST)): $(INSTALLED) scripts/setup/make_scores.py \
		$(wildcard lib/meterlab/data/build/scores/*.py) \
		$(addprefix lib/meterlab/data/build/,performance.py render.py)
	$(PYTHON) scripts/setup/make_scores.py $(PARALLEL_ARGS) $(SCORES_ARGS)

TRACKER_DATA := $(DATA)/tracker/tracker_data.json
TRACKER_MODEL := lib/meterlab/models/tracker/tracker.pt

tracker-data: $(call escaped,$(TRACKER_DATA)) ## build the tracker's training data (not part of all; ~15 min)

$(call escaped,$(TRACKER_DATA)): $(INSTALLED) scripts/setup/make_tracker_data.py \
		$(addprefix lib/meterlab/tracker/,works.py data.py augment.py) \
		$(addprefix lib/meterlab/learn/tracker/,features.py blstm.py)
	$(PYTHON) scripts/setup/make_tracker_data.py $(PARALLEL_ARGS)

tracker: $(call escaped,$(TRACKER_DATA)) ## train the beat/downbeat tracker on the tracker data -> lib/meterlab/models/tracker/ (seeded)
	$(PYTHON) scripts/training/train_tracker.py --data "$(DATA)/tracker" --out $(TRACKER_MODEL)

bar-model: $(call escaped,$(WARM_STAMP)) ## train the bar model (downbeats among the tracked beats; a signal) on the tuning splits, cross-fitted -> lib/meterlab/models/bar_model/ (seeded)
	$(PYTHON) scripts/training/train_bar_model.py $(PARALLEL_ARGS)

corpus-preview: $(call escaped,$(CORPUS_MANIFEST)) ## plot one clip per class with its beats: data/corpus/preview.png
	$(PYTHON) scripts/setup/make_corpus.py --preview "$(DATA)/corpus/preview.png"

meter2800-data-dir-missing:
	@echo "error: DATASET=meter2800 needs DATA_DIR=/path/to/METER2800, the folder holding data_{train,val,test}_4_classes.tab and the audio" >&2; exit 2

meter2800-tables-missing:
	@echo "error: DATA_DIR=$(DATA_DIR) $(if $(wildcard $(call escaped,$(DATA_DIR))/.),has no METER2800 tables,is not a folder): expected data_{train,val,test}_4_classes.tab (or .csv) in it" >&2; exit 2

# Rewritten, while the Makefile is read, only when the dataset variables change: switching
# datasets re-runs the chain, and `make -q` still answers whether anything is pending.
DATASET_LINE := $(DATASET) $(DATA_DIR) $(MANIFEST) $(CLASSES)
$(shell mkdir -p "$(STAMPS)" && echo "$(DATASET_LINE)" | cmp -s - "$(DATASET_TAG)" || \
	echo "$(DATASET_LINE)" > "$(DATASET_TAG)")

warm: $(call escaped,$(WARM_STAMP)) ## fill the signal caches for the tuning and test splits

-include $(call escaped,$(WARM_DEPS))

$(call escaped,$(WARM_STAMP)): $(INSTALLED) $(DATASET_INPUT) $(call escaped,$(DATASET_TAG)) \
		scripts/setup/warm.py scripts/setup/version_sources.py
	$(PYTHON) scripts/setup/version_sources.py --rule "$@" > "$(WARM_DEPS).tmp"
	mv "$(WARM_DEPS).tmp" "$(WARM_DEPS)"
	$(PYTHON) scripts/setup/warm.py $(DATASET_ARGS) --split all --extra-data $(PARALLEL_ARGS)
	touch "$@"

onset-mlp: $(call escaped,$(ONSET_MLP)) ## train the onset MLP signal's model (tuning split, cached analyses)

$(call escaped,$(ONSET_MLP)): $(call escaped,$(WARM_STAMP)) \
		$(addprefix lib/meterlab/learn/,onset_mlp.py onset_training.py mlp.py) \
		scripts/training/train_onset_mlp.py
	$(PYTHON) scripts/training/train_onset_mlp.py $(DATASET_ARGS) --extra-data $(PARALLEL_ARGS)

extract: $(call escaped,$(ARBITER_DATA)) ## write every signal's scores on the tuning split to data/arbiter_dataset/

$(call escaped,$(ARBITER_DATA)): $(call escaped,$(WARM_STAMP)) $(call escaped,$(ONSET_MLP)) \
		$(addprefix lib/meterlab/learn/,extract.py table.py) scripts/training/train_arbiter.py
	$(PYTHON) scripts/training/train_arbiter.py --extract $(DATASET_ARGS) --split tuning --extra-data $(PARALLEL_ARGS) \
		$(EXTRACT_ARGS)

grid: $(call escaped,$(ARBITER)) ## cross-validate the sharpen x boost_rare grid over song folds; refit the best -> data/meter_arbiter.pt

$(call escaped,$(ARBITER)): $(call escaped,$(ARBITER_DATA)) $(ARBITER_SOURCES)
	$(PYTHON) scripts/training/grid_arbiter.py $(PARALLEL_ARGS) $(GRID_ARGS)
	touch "$@"

EVAL_COMMAND = $(PYTHON) scripts/eval.py $(DATASET_ARGS) --split test --limit 0 $(PARALLEL_ARGS) $(if $(SAVE),--save)
# The real-score dataset's test split, whatever the chain trained on; until it is built, a
# note (and the stamp, which its manifest, once built, makes stale again).
SCORES_EVAL_COMMAND = if [ -f "$(SCORES_MANIFEST)" ]; then \
	  $(PYTHON) scripts/eval.py --dataset scores $(if $(CLASSES),--classes $(CLASSES)) --split test \
	    --limit 0 $(PARALLEL_ARGS) $(if $(SAVE),--save); \
	else echo "scores dataset not built ($(SCORES_MANIFEST) missing; make data builds it):" \
	  "only the $(DATASET) test split is reported"; fi

eval: $(call escaped,$(ARBITER)) ## evaluate on the test split, then on the real-score dataset's (SAVE=1: keep each as baseline if better)
	$(EVAL_COMMAND)
	@$(SCORES_EVAL_COMMAND)
	touch "$(EVAL_STAMP)" "$(SCORES_EVAL_STAMP)"

$(call escaped,$(EVAL_STAMP)): $(call escaped,$(ARBITER)) $(call escaped,$(WARM_STAMP)) $(EVAL_SOURCES)
	$(EVAL_COMMAND)
	touch "$@"

$(call escaped,$(SCORES_EVAL_STAMP)): $(call escaped,$(ARBITER)) $(call escaped,$(WARM_STAMP)) \
		$(EVAL_SOURCES) $(call escaped,$(wildcard $(call escaped,$(SCORES_MANIFEST))))
	@$(SCORES_EVAL_COMMAND)
	touch "$@"

all: $(call escaped,$(EVAL_STAMP)) $(call escaped,$(SCORES_EVAL_STAMP)) ## the whole chain; a second run does nothing

results: $(call escaped,$(EVAL_STAMP)) $(call escaped,$(SCORES_EVAL_STAMP)) ## write the README's results section (both datasets) from the latest test runs
	$(PYTHON) scripts/report_results.py --datasets $(DATASET) scores

beat-diagnostics: $(call escaped,$(ARBITER)) ## madmom vs the trained tracker (mir_eval beat/downbeat F, level); the arbiter and beat-reading signals with tracked vs annotated beats
	$(PYTHON) scripts/beat_diagnostics.py $(DATASET_ARGS) --split test $(PARALLEL_ARGS)

beat-report: $(call escaped,$(ARBITER)) ## the reported beats on the test splits: downbeat F (mir_eval), grouping accuracy on the corpus's 5 and 7
	$(PYTHON) scripts/beat_report.py $(DATASET_ARGS) --split test $(PARALLEL_ARGS)
	@if [ -f "$(SCORES_MANIFEST)" ]; then $(PYTHON) scripts/beat_report.py --dataset scores --split test $(PARALLEL_ARGS); fi

smoke: $(INSTALLED) $(DATASET_INPUT) ## a fast end-to-end check: 3 test files, 1 worker
	$(PYTHON) scripts/eval.py $(DATASET_ARGS) --limit 3 --workers 1

predict: $(INSTALLED) ## meter of a file, folder or manifest: make predict FILE=music/ [OUT=p.csv]
	@test -n "$(FILE)" || { echo "usage: make predict FILE=song.mp3|folder/|songs.csv [OUT=predictions.csv]"; exit 2; }
	$(PYTHON) scripts/predict.py "$(FILE)" $(PARALLEL_ARGS) $(if $(OUT),--out "$(OUT)")

ship-models: $(call escaped,$(EVAL_STAMP)) $(call escaped,$(SCORES_EVAL_STAMP)) ## commit this make all's arbiter and onset MLP into the package (lib/meterlab/models/, with PROVENANCE.json)
	$(PYTHON) scripts/ship_models.py

bench: $(INSTALLED) $(DATASET_INPUT) ## per-signal cost per file, worker speed-up, cost and memory by input length
	$(PYTHON) scripts/bench_signals.py $(DATASET_ARGS)

clean: ## remove caches, datasets made here, checkpoints and runs (never your own audio)
	rm -rf "$(DATA)/corpus" "$(DATA)/scores" "$(DATA)/cache" "$(DATA)/arbiter_dataset" \
	       "$(DATA)/arbiter_grid" "$(DATA)/runs" "$(DATA)/tracker" "$(STAMPS)" "$(ARBITER)" \
	       "$(ONSET_MLP)"
