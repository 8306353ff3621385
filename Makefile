# Two commands for a fresh machine: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_PIN := torch==2.13.0

.PHONY: demo test lint bench clean-venv

$(BIN)/gankit: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH_PIN)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/gankit

demo: $(BIN)/gankit
	$(BIN)/gankit train --preset dcgan-digits-conditional --out runs/demo --resume auto
	$(BIN)/gankit sample --run runs/demo -n 64 --seed 0 --out runs/demo/samples/final-grid.png
	$(BIN)/gankit eval --run runs/demo --metrics fid
	@echo "samples:     runs/demo/samples/  (final grid: runs/demo/samples/final-grid.png)"
	@echo "checkpoint:  runs/demo/checkpoints/  (latest: runs/demo/checkpoints/latest.json)"
	@echo "metrics:     runs/demo/metrics.jsonl"

test: $(BIN)/gankit
	$(BIN)/python -m pytest -q

lint: $(BIN)/gankit
	$(BIN)/ruff check gankit tests benchmarks scripts

bench: $(BIN)/gankit
	$(BIN)/python benchmarks/throughput.py

clean-venv:
	rm -rf $(VENV)
