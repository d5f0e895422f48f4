# Two front-door commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: run test lint typecheck pytest bench soak validate clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps record which extras are installed; they are rebuilt when pyproject.toml changes.
$(VENV)/.runtime: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime

$(VENV)/.bench: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.dev $(VENV)/.runtime

## run: the Telegram bot when TELEGRAM_BOT_TOKEN is set (environment or .env), else the console chat
run: $(VENV)/.runtime
	@set -a; [ ! -f .env ] || . ./.env; set +a; \
	if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then exec $(BIN)/dnws-bot run; else exec $(BIN)/dnws-bot chat; fi

## test: every check — lint, strict types, catalogue validation, tests
test: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src
	$(BIN)/dnws-bot validate
	$(BIN)/pytest -q

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench

validate: $(VENV)/.runtime
	$(BIN)/dnws-bot validate

## bench: accuracy and speed against baselines, in one run (not part of `make test`)
bench: $(VENV)/.bench
	$(PY) -m bench.run_all

## soak: mixed traffic against the stand-in for SOAK_MINUTES; updates, replies, lost, duplicates,
## RSS start/end/slope (not part of `make test`)
SOAK_MINUTES ?= 5
soak: $(VENV)/.dev
	$(PY) -m bench.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
