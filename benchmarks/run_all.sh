#!/usr/bin/env bash
# Kept for old instructions: run_all.py is the one command (see benchmarks/README.md).
exec python3 "$(dirname "$0")/run_all.py" "$@"
