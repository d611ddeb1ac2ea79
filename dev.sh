#!/usr/bin/env bash
# Set up a virtual environment in .venv and run the app or the tests.
#   ./dev.sh run [ARGS...]   set up, then open Conv Explorer (ARGS go to conv-explorer)
#   ./dev.sh test [ARGS...]  set up with the test extras, then run the whole test suite
#   ./dev.sh setup           set up with the test extras only
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
what=${1:-run}; shift || true

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }
# CPU torch first: an unpinned torch would pull a multi-GB CUDA build. 2.13.0 satisfies the
# package's own range, so the install below adds nothing more.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  pip install "torch==2.13.0" || pip install "torch>=2.2,<3"
fi
case "$what" in
  run)
    pip install -e .
    exec "$VENV/bin/conv-explorer" "$@" ;;
  setup)
    pip install -e ".[test]" ;;
  test)
    pip install -e ".[test]"
    export QT_QPA_PLATFORM=offscreen
    "$VENV/bin/lint-imports"
    "$VENV/bin/ruff" check --quiet .
    "$VENV/bin/ruff" format --check --quiet .
    exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: ./dev.sh run|test|setup [ARGS...]" >&2; exit 2 ;;
esac
