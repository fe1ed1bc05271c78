# Developer entry points. The real work lives in scripts/ so CI and humans run the
# same thing; see the header of each script for details.
#   make run                 dev server on http://127.0.0.1:$(PORT) (default 5000)
#   make test [ARGS=...]     ruff + pytest on SQLite and PostgreSQL (what CI runs)
#   make lint | format | translations | bench | clean

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
TRANSLATIONS := docflow/translations
POT := $(TRANSLATIONS)/messages.pot
# Prepare .venv with the [test] extras (pip only when setup.cfg changed) and
# compile translations, without running anything else.
SETUP := DOCFLOW_SETUP_ONLY=1 bash scripts/test.sh

.PHONY: help run test lint format translations bench clean

help:
	@echo "targets: run, test [ARGS=...], lint, format, translations, bench, clean"

run:
	bash scripts/run.sh

# ARGS is split by the shell on purpose: make test ARGS='-k "login and not slow" -x'
test:
	bash scripts/test.sh $(ARGS)

lint:
	@$(SETUP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Import sorting is a lint rule (I), not part of `ruff format`: fix it too.
format:
	@$(SETUP)
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

# Extract -> merge into every existing catalog -> compile. A new language is started
# once by hand: $(BIN)/pybabel init -i $(POT) -d $(TRANSLATIONS) -l kk
translations:
	@[[ -f babel.cfg ]] || { echo "babel.cfg (pybabel extraction config) is missing" >&2; exit 1; }
	@$(SETUP)
	mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(POT) .
	@if compgen -G '$(TRANSLATIONS)/*/LC_MESSAGES/messages.po' >/dev/null; then \
		$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS); \
		$(BIN)/pybabel compile -d $(TRANSLATIONS); \
	else \
		echo "no catalogs yet; start one with: $(BIN)/pybabel init -i $(POT) -d $(TRANSLATIONS) -l LANG"; \
	fi

# Every benchmark runs even if an earlier one fails; the target fails at the end.
bench:
	@$(SETUP)
	@status=0; found=0; \
	for script in benchmarks/*.py; do \
		[[ -e "$$script" ]] || continue; \
		found=1; \
		echo; echo "===== $$script ====="; \
		$(BIN)/python "$$script" || { echo "!!!!! $$script failed (exit $$?)"; status=1; }; \
	done; \
	[[ $$found -eq 1 ]] || echo "no benchmarks/*.py found"; \
	exit $$status

# Build/cache artefacts and compiled catalogs only. Keeps .venv and instance/ (the
# dev database); remove those by hand if you really mean it.
clean:
	rm -rf build dist .pytest_cache .ruff_cache .tmp ./*.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	find $(TRANSLATIONS) -name '*.mo' -delete 2>/dev/null || true
