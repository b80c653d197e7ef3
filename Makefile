# Shorthands for the scripts in scripts/ (the README shows the scripts directly).
.PHONY: setup demo test bench lint

setup:
	bash scripts/setup.sh --dev

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/mypy

bench:
	.venv/bin/python bench/bench_ingest.py
