#!/bin/bash
# Installs dsinfer into a scratch prefix and builds an outside C program against it twice:
# with CMake's find_package(dsinfer) and with pkg-config. Both must build and run.
set -euo pipefail
build="$1" src="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
prefix="$work/prefix"
libdir=$(dirname "$(find "$prefix" -name 'libdsinfer.so' | head -1)")

cmake -S "$src/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
cmake --build "$work/cmake-build" > "$work/build.log"
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer"

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c99 -Wall -Werror "$src/consumer/consumer.c" $(pkg-config --cflags --libs dsinfer) -o "$work/pc-consumer"
LD_LIBRARY_PATH="$libdir" "$work/pc-consumer"
echo "installed dsinfer works with find_package and pkg-config"
