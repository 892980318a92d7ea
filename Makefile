# Two entry points: `make run` starts the bot, `make test` runs every test.
# Both create .venv and install the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench bench-scale clean

$(BIN)/faktabot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/faktabot
	$(BIN)/faktabot

test: $(BIN)/faktabot
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Held-out answer quality in every regime (folds by article; ~20 min on 2 cores).
bench: $(BIN)/faktabot
	$(BIN)/python bench/heldout.py

# Scale benchmark (real, 100k, 1M sentences; ~15 min); `bench/run --quick` for 100k only.
bench-scale: $(BIN)/faktabot
	$(BIN)/pip install --quiet -e '.[bench]'
	PYTHON=$(BIN)/python bench/run

clean:
	rm -rf $(VENV) build *.egg-info
