#!/usr/bin/env bash
# Tests the native LRU core without Node: once under AddressSanitizer,
# LeakSanitizer and UBSan (float-cast-overflow too, which GCC's
# -fsanitize=undefined leaves out), once under valgrind memcheck with full leak
# checking. Both runs share one seed (printed; set SEED to reproduce). OPS and
# VALGRIND_OPS set how many random operations each run does. A missing g++ or
# valgrind is installed from Debian's packages (scripts/debian-packages.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mktemp -d "${TMPDIR:-/tmp}/caro-native-test.XXXXXX")"
trap 'rm -rf "$out"' EXIT

seed="${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
ops="${OPS:-2000000}"
valgrind_ops="${VALGRIND_OPS:-200000}"
sources=("$root/native/lru_core.cc" "$root/native/test/lru_core_test.cc")
cxxflags=(-std=c++17 -g -Wall -Wextra -Werror)

if ! command -v valgrind >/dev/null || ! command -v g++ >/dev/null; then
  bash "$root/scripts/debian-packages.sh" g++ valgrind
fi

echo "test-native: seed $seed"

echo "test-native: AddressSanitizer + UBSan build"
g++ "${cxxflags[@]}" -O1 -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
  -fno-sanitize-recover=all "${sources[@]}" -o "$out/lru_core_test_asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$out/lru_core_test_asan" --seed "$seed" --ops "$ops"

echo "test-native: valgrind build"
g++ "${cxxflags[@]}" -O1 "${sources[@]}" -o "$out/lru_core_test"
valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
  "$out/lru_core_test" --seed "$seed" --ops "$valgrind_ops"

echo "test-native: all passed (${SECONDS} s)"
