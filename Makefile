# Two entry points: `make run` starts the bot, `make test` runs every test.
# Both create .venv and install the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

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

bench: $(BIN)/faktabot
	$(BIN)/python bench/squad.py

clean:
	rm -rf $(VENV) build *.egg-info
