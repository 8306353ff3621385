"""Run by test_evaluate_distributed.py under torchrun: `gankit eval` with its arguments given as one JSON list
(torchrun's own parser would take `--log` for an abbreviation of its `--log-dir`)."""

import json
import sys

from gankit.cli import main

main(json.loads(sys.argv[1]))
