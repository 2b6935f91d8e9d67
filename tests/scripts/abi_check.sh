#!/bin/bash
# The C ABI may only grow. Compares the built libdsinfer.so with the ABI recorded in
# capi/abi/ (libabigail): an incompatible change fails unless DSI_ABI_VERSION was bumped.
# Re-record after an intended change with:
#   abidw --headers-dir capi --exported-interfaces-only --no-corpus-path build/capi/libdsinfer.so \
#     > capi/abi/libdsinfer.abi-v$(grep -oP '#define DSI_ABI_VERSION \K[0-9]+' capi/dsinfer.h).xml
set -uo pipefail
lib="$1" capi="$2" out="$3"
command -v abidw >/dev/null || { echo "FAIL: abidw not found (Debian package abigail-tools)"; exit 1; }
current=$(grep -oP '#define DSI_ABI_VERSION \K[0-9]+' "$capi/dsinfer.h")
recorded_file=$(ls "$capi"/abi/libdsinfer.abi-v*.xml 2>/dev/null | sort -V | tail -1)
[ -n "$recorded_file" ] || { echo "FAIL: no recorded ABI in $capi/abi"; exit 1; }
recorded=$(basename "$recorded_file" | grep -oP 'abi-v\K[0-9]+')
mkdir -p "$out"
abidw --headers-dir "$capi" --exported-interfaces-only --no-corpus-path "$lib" > "$out/current.xml" || { echo "FAIL: abidw"; exit 1; }
abidiff "$recorded_file" "$out/current.xml" > "$out/abidiff.txt"
rc=$?
if (( rc & 1 )); then echo "FAIL: abidiff could not compare"; cat "$out/abidiff.txt"; exit 1; fi
# abidiff flags only some breaks as "incompatible" (bit 8); a changed parameter type or
# struct layout of an existing function shows up as "Changed". Only additions are growth.
summary=$(grep -E "^Functions changes summary|^Variables changes summary" "$out/abidiff.txt")
broken=$(echo "$summary" | grep -oP '[0-9]+(?= (Removed|Changed))' | awk '{s+=$1} END {print s+0}')
if (( rc & 8 )) || [ "$broken" -gt 0 ]; then
  if [ "$current" -gt "$recorded" ]; then
    echo "incompatible ABI change, and DSI_ABI_VERSION went $recorded -> $current: record the new ABI (see this script)"
    exit 0
  fi
  echo "FAIL: existing C ABI functions changed or were removed while DSI_ABI_VERSION is still $current."
  echo "If the change is compatible by design (a field appended to a struct that carries struct_size),"
  echo "re-record the ABI (see this script); otherwise bump DSI_ABI_VERSION."
  cat "$out/abidiff.txt"
  exit 1
fi
if (( rc & 4 )); then
  echo "the C ABI grew compatibly since v$recorded was recorded:"
  head -20 "$out/abidiff.txt"
fi
echo "C ABI compatible with the recorded v$recorded"
