# Glassbox: `make serve` builds the site and serves it; `make test` runs every test.
# Both do all setup themselves (a .venv with Python 3.12, npm ci, numpy for Pyodide) and are quick
# when it is already done.

# The first Python 3.12 found (override: make PYTHON=/path/to/python3.12 ...).
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12 python3; do \
	if $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then echo $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.glassbox-installed
NPM_STAMP := node_modules/.glassbox-installed
PORT ?= 8000
# The address the site will be served at, for the chapters' notebooks (empty: make serve's, 127.0.0.1:PORT).
SITE_URL ?=

# Training and the SmolLM2 reference only: torch's CPU wheel on these machines is for Python 3.11.
PYTHON_TRAIN ?= $(shell for p in python3.11 $$HOME/.pyenv/versions/3.11*/bin/python3.11; do \
	if $$p -c 'import sys; assert sys.version_info[:2] == (3, 11)' >/dev/null 2>&1; then echo $$p; break; fi; done)
TRAIN_MINUTES ?= 40
# The SmolLM2 reference's packages (torch is installed first, alone, so nothing pulls in a CUDA build).
REFERENCE_PACKAGES := transformers==4.57.6 gguf==0.19.0 tokenizers==0.22.2 accelerate==1.15.0

.PHONY: setup build serve test test-core bench audit train train-draft reference training-reference clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 not found; run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

setup: $(STAMP) $(NPM_STAMP)

build: setup
	$(PY) build.py --strict $(if $(SITE_URL),--site-url $(SITE_URL))

serve: setup
	$(PY) build.py serve --strict --port $(PORT)

test: build
	$(PY) -m pytest

# The library's and widgets' tests only (about 2 minutes); the build first makes the data files they read
# (vocabularies, SmolLM2's file and tokenizer).
test-core: build
	$(PY) -m pytest tests/core

bench: build
	$(PY) benchmarks/run.py

audit: build
	$(PY) benchmarks/audit.py

# Retrain the tiny model (about TRAIN_MINUTES on 2 CPU cores) and rewrite its report; the site never does this.
train: setup
	@test -n "$(PYTHON_TRAIN)" || { echo "error: Python 3.11 not found; run: make PYTHON_TRAIN=/path/to/python3.11 train"; exit 1; }
	test -x .venv-train/bin/python || $(PYTHON_TRAIN) -m venv .venv-train
	.venv-train/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy==2.0.2
	.venv-train/bin/python scripts/train.py --minutes $(TRAIN_MINUTES) --out models/tiny
	$(PY) scripts/evaluate.py models/tiny

# Retrain the draft model that speculative decoding pairs with the tiny model (chapter 10): 2 layers, d_model 64,
# the tiny model's vocabulary reused byte for byte, one thread, about DRAFT_MINUTES; no checkpoints.
DRAFT_MINUTES ?= 20
train-draft: setup
	@test -n "$(PYTHON_TRAIN)" || { echo "error: Python 3.11 not found; run: make PYTHON_TRAIN=/path/to/python3.11 train-draft"; exit 1; }
	test -x .venv-train/bin/python || $(PYTHON_TRAIN) -m venv .venv-train
	.venv-train/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy==2.0.2
	.venv-train/bin/python scripts/train.py --minutes $(DRAFT_MINUTES) --threads 1 --evals 10 --no-checkpoints \
		--vocab-from models/tiny --d-model 64 --n-layer 2 --n-head 4 --n-kv-head 2 --d-head 16 --d-ff 192 --out models/draft
	$(PY) scripts/evaluate.py models/draft

# Rewrite tests/core/fixtures/smollm2_reference.{npz,json}: SmolLM2's logits, greedy continuations and token ids
# from Hugging Face transformers (torch float32, CPU) reading the same GGUF file (about 2 minutes); the tests never need torch.
reference:
	@test -n "$(PYTHON_TRAIN)" || { echo "error: Python 3.11 not found; run: make PYTHON_TRAIN=/path/to/python3.11 reference"; exit 1; }
	test -x .venv-train/bin/python || $(PYTHON_TRAIN) -m venv .venv-train
	.venv-train/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy==2.0.2
	.venv-train/bin/pip install --quiet --disable-pip-version-check $(REFERENCE_PACKAGES)
	.venv-train/bin/python scripts/reference_smollm2.py

# Rewrite tests/core/fixtures/training_reference.json: a 50-step training run of a small model in torch
# (scripts/train.py's TinyLlama, autograd, torch.optim.AdamW), which tests/core/test_train.py replays with
# llm_core.train (about 10 seconds); the tests never need torch.
training-reference:
	@test -n "$(PYTHON_TRAIN)" || { echo "error: Python 3.11 not found; run: make PYTHON_TRAIN=/path/to/python3.11 training-reference"; exit 1; }
	test -x .venv-train/bin/python || $(PYTHON_TRAIN) -m venv .venv-train
	.venv-train/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy==2.0.2
	.venv-train/bin/python scripts/reference_training.py

clean:
	rm -rf _site _build build dist *.egg-info
