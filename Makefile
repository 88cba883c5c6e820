# Two commands for a fresh machine: `make run` and `make test`. Both set up what they need.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# Read here, before `test` names it: make expands a rule's prerequisites where the rule stands.
AUDIT_STAMP := $(VENV)/.audit-installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test check test-sqlite test-postgres setup messages bench clean audit lock

$(STAMP): pyproject.toml
	@scripts/ensure-python.sh
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/rinnalla migrate
	$(BIN)/rinnalla demo
	@echo "Open http://localhost:$(PORT) and log in with one of the demo logins above."
	@echo "Demo: MFA_REQUIRED_ROLES is empty, so the lead and the admin log in without a second factor"
	@echo "(in production they must set one up: the default is lead,admin). Settings > Second factor tries it."
	@# The reminder dispatcher beside the web app (the Procfile's worker), stopped with it.
	export MFA_REQUIRED_ROLES=; $(BIN)/rinnalla worker & trap 'kill $$! 2>/dev/null' EXIT INT TERM; $(BIN)/rinnalla serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(AUDIT_STAMP)
	@scripts/check.sh
	@scripts/audit.sh --when-reachable
	@scripts/ensure-postgres.sh
	@scripts/ensure-chromium.sh
	@scripts/run-tests.sh

# The static checks alone (type checker, JavaScript linter; see scripts/check.sh).
check: $(STAMP)
	@scripts/check.sh

test-sqlite: $(STAMP)
	RINNALLA_TEST_DB=sqlite $(BIN)/python -m pytest -q

test-postgres: $(STAMP)
	@scripts/ensure-postgres.sh
	RINNALLA_TEST_DB=postgres $(BIN)/python -m pytest -q

# Security checks (scripts/audit.sh): bandit over server/ and pip-audit over the installed
# packages. `make audit` fails (exit 2) when the vulnerability data can't be reached; `make test`
# runs the same checks but only notes that case (CI sits behind a package mirror).

$(AUDIT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,audit]'
	@rm -f $(VENV)/.audit-installed-* && touch $@

audit: $(AUDIT_STAMP)
	@scripts/audit.sh

# requirements.txt: the exact versions a clean install of the app resolves to today (for Procfile
# platforms and /opt/rinnalla). Run after changing pyproject.toml's dependencies.
lock:
	rm -rf .test-data/lock-venv && python3 -m venv .test-data/lock-venv
	.test-data/lock-venv/bin/python -m pip install --quiet --upgrade pip
	.test-data/lock-venv/bin/python -m pip install --quiet .
	{ sed -n '1,3p' requirements.txt; .test-data/lock-venv/bin/python -m pip freeze --exclude rinnalla; echo "."; } > requirements.txt.new
	mv requirements.txt.new requirements.txt && rm -rf .test-data/lock-venv

# Re-extract translatable strings and merge them into the fi/sv/en catalogues.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _plural:1,2 -o server/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i server/locale/messages.pot -d server/locale --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .test-data
