# meterlab: data -> warm -> onset-mlp -> extract -> grid -> eval, each step re-run only when
# its inputs change (file timestamps; stamps under data/stamps/ for steps that make many
# files). `make help` lists the targets.
#
#   make all                                   # the embedded corpus, no download
#   make all DATASET=meter2800 DATA_DIR=/data/METER2800
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

# Everything generated lives under DATA (METERLAB_DATA moves it; the scripts read the same).
DATA := $(abspath $(or $(METERLAB_DATA),data))
export METERLAB_DATA := $(DATA)
CORPUS_ARGS ?=
GRID_ARGS ?=

VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
STAMPS := $(DATA)/stamps
# How the per-file steps (warm, onset-mlp, extract, eval) run.
PARALLEL_ARGS := $(if $(SCHEDULER),--scheduler $(SCHEDULER),--workers $(WORKERS))

CORPUS_MANIFEST := $(DATA)/corpus/manifest.csv
ifeq ($(DATASET),corpus)
  DATASET_ARGS := --dataset corpus
  DATASET_INPUT := $(CORPUS_MANIFEST)
else ifeq ($(DATASET),meter2800)
  DATASET_ARGS := --dataset meter2800 --data-dir $(DATA_DIR)
  DATASET_INPUT := $(DATA_DIR)/data_train_4_classes.tab
else ifeq ($(DATASET),manifest)
  DATASET_ARGS := --dataset manifest --data-dir $(MANIFEST)
  DATASET_INPUT := $(MANIFEST)
else
  $(error DATASET must be corpus, meter2800 or manifest)
endif

# Code whose change alters signal scores (each signal's cache entries invalidate on their own).
SIGNAL_SOURCES := $(wildcard lib/meterlab/signals/*.py lib/meterlab/analyses/*.py) \
	$(addprefix lib/meterlab/,analysis.py audio.py cache.py compat.py config.py engine.py \
	meter_decoding.py) requirements.txt requirements-nodeps.txt
ARBITER_SOURCES := $(addprefix lib/meterlab/,arbiter.py mlp.py grid.py extract.py) \
	scripts/training/grid_arbiter.py

DATASET_TAG := $(STAMPS)/dataset
WARM_STAMP := $(STAMPS)/warm
ONSET_MLP := $(DATA)/onset_mlp.pt
ARBITER_DATA := $(DATA)/arbiter_dataset/tuning.npz
ARBITER := $(DATA)/meter_arbiter.pt
EVAL_STAMP := $(STAMPS)/eval

.DEFAULT_GOAL := help
.PHONY: help install test data corpus-preview warm onset-mlp extract grid eval smoke predict \
	results bench all clean FORCE

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'
	@echo "  variables: DATASET=corpus|meter2800|manifest DATA_DIR=... MANIFEST=... WORKERS=$(WORKERS)"
	@echo "             SCHEDULER=tcp://host:8786|local:N (Dask, instead of WORKERS)"
	@echo "             SAVE=1 FILE=... METERLAB_DATA=... CORPUS_ARGS=... GRID_ARGS=..."

install: $(INSTALLED) ## create .venv and install the pinned requirements

$(INSTALLED): requirements.txt requirements-nodeps.txt
	$(PYTHON_SYSTEM) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	echo "$(CURDIR)/lib" > "$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/meterlab.pth"
	touch $@

test: $(INSTALLED) ## run the test suite (the command CI runs)
	$(PYTHON) -m pytest -q

data: $(CORPUS_MANIFEST) ## build the embedded default corpus (no download)

$(CORPUS_MANIFEST): $(INSTALLED) scripts/setup/make_corpus.py $(wildcard lib/meterlab/corpus/*.py)
	$(PYTHON) scripts/setup/make_corpus.py --workers $(WORKERS) $(CORPUS_ARGS)

corpus-preview: $(CORPUS_MANIFEST) ## plot one clip per class with its beats: data/corpus/preview.png
	$(PYTHON) scripts/setup/make_corpus.py --preview $(DATA)/corpus/preview.png

# Rewritten only when the dataset variables change, so switching datasets re-runs the chain.
$(DATASET_TAG): FORCE
	@mkdir -p $(STAMPS)
	@echo "$(DATASET) $(DATA_DIR) $(MANIFEST)" | cmp -s - $@ || echo "$(DATASET) $(DATA_DIR) $(MANIFEST)" > $@

warm: $(WARM_STAMP) ## fill the signal caches for the tuning and test splits

$(WARM_STAMP): $(INSTALLED) $(DATASET_INPUT) $(DATASET_TAG) $(SIGNAL_SOURCES) scripts/setup/warm.py
	$(PYTHON) scripts/setup/warm.py $(DATASET_ARGS) --split all --extra-data $(PARALLEL_ARGS)
	touch $@

onset-mlp: $(ONSET_MLP) ## train the onset MLP signal's model (tuning split, cached analyses)

$(ONSET_MLP): $(WARM_STAMP) $(addprefix lib/meterlab/,onset_mlp.py onset_training.py mlp.py) \
		scripts/training/train_onset_mlp.py
	$(PYTHON) scripts/training/train_onset_mlp.py $(DATASET_ARGS) --extra-data $(PARALLEL_ARGS)

extract: $(ARBITER_DATA) ## write every signal's scores on the tuning split to data/arbiter_dataset/

$(ARBITER_DATA): $(WARM_STAMP) $(ONSET_MLP) lib/meterlab/extract.py scripts/training/train_arbiter.py
	$(PYTHON) scripts/training/train_arbiter.py --extract $(DATASET_ARGS) --split tuning --extra-data $(PARALLEL_ARGS)

grid: $(ARBITER) ## train the sharpen x boost_rare grid; best by validation -> data/meter_arbiter.pt

$(ARBITER): $(ARBITER_DATA) $(ARBITER_SOURCES)
	$(PYTHON) scripts/training/grid_arbiter.py -j $(WORKERS) $(GRID_ARGS)
	touch $@

EVAL_COMMAND = $(PYTHON) scripts/eval.py $(DATASET_ARGS) --split test --limit 0 $(PARALLEL_ARGS) $(if $(SAVE),--save)

eval: $(ARBITER) ## evaluate on the whole test split (SAVE=1: keep as baseline if better)
	$(EVAL_COMMAND)
	touch $(EVAL_STAMP)

$(EVAL_STAMP): $(ARBITER) $(WARM_STAMP) scripts/eval.py $(addprefix lib/meterlab/,evaluation.py metrics.py runs.py)
	$(EVAL_COMMAND)
	touch $@

all: $(EVAL_STAMP) ## the whole chain; a second run does nothing

results: $(EVAL_STAMP) ## write the README's results section from the latest test run
	$(PYTHON) scripts/report_results.py

smoke: $(INSTALLED) $(DATASET_INPUT) ## a fast end-to-end check: 3 test files, 1 worker
	$(PYTHON) scripts/eval.py $(DATASET_ARGS) --limit 3 --workers 1

predict: $(INSTALLED) ## meter of one file: make predict FILE=song.mp3
	@test -n "$(FILE)" || { echo "usage: make predict FILE=song.mp3"; exit 2; }
	$(PYTHON) scripts/predict.py "$(FILE)" $(if $(SCHEDULER),--scheduler $(SCHEDULER))

bench: $(INSTALLED) $(DATASET_INPUT) ## per-signal cost per file and worker speed-up
	$(PYTHON) scripts/bench_signals.py $(DATASET_ARGS)

clean: ## remove caches, datasets made here, checkpoints and runs (never your own audio)
	rm -rf $(DATA)/corpus $(DATA)/cache $(DATA)/arbiter_dataset $(DATA)/arbiter_grid \
	       $(DATA)/runs $(STAMPS) $(ARBITER) $(ONSET_MLP)
