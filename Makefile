# meterlab: warm -> extract -> grid -> eval, each step re-run only when its inputs change.
# `make help` lists the targets.

PYTHON_SYSTEM ?= python3.11
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install test data corpus-preview clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

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

CORPUS_MANIFEST := data/corpus/manifest.csv

data: $(CORPUS_MANIFEST) ## build the embedded default corpus (no download)

$(CORPUS_MANIFEST): $(INSTALLED) scripts/setup/make_corpus.py $(wildcard lib/meterlab/corpus/*.py)
	$(PYTHON) scripts/setup/make_corpus.py --workers 2

corpus-preview: $(CORPUS_MANIFEST) ## plot one clip per class with its beats: data/corpus/preview.png
	$(PYTHON) scripts/setup/make_corpus.py --preview data/corpus/preview.png

clean: ## remove caches, datasets made here, checkpoints and runs (never your own audio)
	rm -rf data/corpus data/cache data/arbiter_dataset data/arbiter_grid data/runs data/stamps \
	       data/meter_arbiter.pt data/onset_mlp.pt
