#!/bin/bash
# libdsinfer.so must export the C ABI and nothing else: a leaked C++ symbol becomes an
# accidental part of the ABI and can clash with a host's own copy of a library.
set -euo pipefail
lib="$1"
syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
bad=$(echo "$syms" | grep -v '^dsi_' || true)
if [ -n "$bad" ]; then
  echo "FAIL: symbols outside the C ABI are exported:"; echo "$bad" | head -20; exit 1
fi
count=$(echo "$syms" | grep -c '^dsi_')
[ "$count" -gt 0 ] || { echo "FAIL: no dsi_ symbols exported"; exit 1; }
echo "exported: $count dsi_ symbols, nothing else"
