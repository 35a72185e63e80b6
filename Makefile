# The two commands of the README. Each one sets up what it needs from nothing.
.PHONY: demo test lint

# Build the demo workspace (Tour De Farce map, sample evidence, rendered map and report).
demo:
	@scripts/setup.sh
	.venv/bin/journeyscope demo journeyscope-demo

# Everything CI checks: formatting, lint, types, the whole test suite with coverage.
test:
	@scripts/setup.sh dev
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/python -m pytest --cov --cov-report=term:skip-covered -q

lint:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .
