#!/usr/bin/env bash
# Build a separate environment with the reference port (pytorch-fid) and write the Inception equivalence fixture.
# Usage: bash scripts/make_inception_fixture.sh [ENV_DIR]   (default /tmp/refenv; never inside the repo)
set -euo pipefail
ENV_DIR="${1:-/tmp/refenv}"
cd "$(dirname "$0")/.."
test -x "$ENV_DIR/bin/python" || python3 -m venv "$ENV_DIR"
"$ENV_DIR/bin/pip" install --quiet torch==2.13.0 numpy
# torchvision without its dependencies: the only build served needs CUDA torch; its Python model code is all we use.
"$ENV_DIR/bin/pip" install --quiet --no-deps torchvision==0.28.0 pytorch-fid==0.3.0
OMP_NUM_THREADS=1 "$ENV_DIR/bin/python" scripts/make_inception_fixture.py "${@:2}"
