# cxqa: `make run` starts the product, `make test` runs every test. Both install whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
RASA_VENV := .venv-rasa
MODEL := models/cxqa.tar.gz
TRAINING_DATA := config.yml domain.yml $(shell find nlu_data -name '*.yml' 2>/dev/null) $(wildcard bot/policies/*.py) $(wildcard bot/nlu/*.py)
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install run test lint model db validate nlu-eval clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(VENV)/.installed $(RASA_VENV)/.installed node_modules/.installed ## Create both virtualenvs and the web widget (idempotent)

$(VENV)/.installed: requirements/main.lock pyproject.toml
	@python310=$$(scripts/find_python310.sh) && \
	  { [ -x $(VENV)/bin/python ] || "$$python310" -m venv $(VENV); }
	$(VENV)/bin/pip install -q -r requirements/main.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock requirements/rasa-nodeps.lock
	@python310=$$(scripts/find_python310.sh) && \
	  { [ -x $(RASA_VENV)/bin/python ] || "$$python310" -m venv $(RASA_VENV); }
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa.lock
	$(RASA_VENV)/bin/pip install -q --no-deps -r requirements/rasa-nodeps.lock
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

model: $(MODEL) ## Train the bot if the training data changed

$(MODEL): $(RASA_VENV)/.installed $(TRAINING_DATA)
	$(RASA_VENV)/bin/rasa train --data nlu_data --domain domain.yml --config config.yml \
	  --out models --fixed-model-name cxqa
	@touch $@

validate: $(RASA_VENV)/.installed ## Check the Rasa training data and domain
	$(RASA_VENV)/bin/rasa data validate --data nlu_data --domain domain.yml

nlu-eval: $(VENV)/.installed $(MODEL) ## Intent macro-F1 on the held-out utterances
	$(VENV)/bin/python scripts/nlu_eval.py

db: $(VENV)/.installed ## Create or migrate the database
	$(VENV)/bin/cxqa db upgrade

run: install $(MODEL) ## Start the bot, action server, web page and scheduler on the embedded database
	$(VENV)/bin/python -m bot.launcher

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check .

test: install $(MODEL) ## Run every test (lint, unit, database, Rasa, end-to-end, browser)
	@bash scripts/ensure_chromium.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

clean: ## Remove generated files (keeps the virtualenvs)
	rm -rf models .rasa results var .pytest_cache
