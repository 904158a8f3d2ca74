#!/usr/bin/env bash
# bench/results.md = every section the bench_*.py scripts and the harness wrote, in one file.
set -euo pipefail
cd "$(dirname "$0")"
{
  echo "# specmerge benchmark results"
  echo
  echo "Collected $(date -u +%Y-%m-%d) on $(nproc) cores, $(free -h | awk '/Mem:/{print $2}') RAM, $(python3 --version)."
  echo "Each section names the script that produced it; re-run it, then this file."
  for f in core.md render.md channels.md service.md operator.md cluster_build.md; do
    [ -f "$f" ] || continue
    echo
    sed 's/^# /## /' "$f"
  done
} > results.md
echo "wrote bench/results.md"
