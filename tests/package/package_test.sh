#!/usr/bin/env bash
# The installed package works for a consumer: install this build into a fresh prefix,
# configure and build tests/package/consumer with find_package(ringattn) against it
# (nothing else on its search path), and run the consumer on 2 MPI ranks.
# Usage: package_test.sh <build dir> <consumer source dir> <mpiexec>
set -u
build=$1 consumer=$2 mpiexec=$3
fail() { echo "FAIL: $*"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cmake --install "$build" --prefix "$t/prefix" >"$t/install.log" 2>&1 || fail "install: $(tail -5 "$t/install.log")"
[ -f "$t/prefix/lib/cmake/ringattn/ringattnConfig.cmake" ] || fail "no package config in the prefix"
[ -x "$t/prefix/bin/ringattn" ] || fail "no ringattn executable in the prefix"
[ -f "$t/prefix/include/ringattn/runtime/config/ringattn_config.pb.h" ] || fail "generated headers not installed"
cmake -S "$consumer" -B "$t/build" -G Ninja -DCMAKE_PREFIX_PATH="$t/prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$t/configure.log" 2>&1 || fail "consumer configure: $(tail -20 "$t/configure.log")"
cmake --build "$t/build" >"$t/build.log" 2>&1 || fail "consumer build: $(tail -30 "$t/build.log")"
out=$("$mpiexec" --oversubscribe --bind-to none -n 2 "$t/build/consumer" 2>&1); rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "consumer on 2 ranks exited $rc"
[ "$(grep -c 'consumer: rank [01] of 2, backend cpu: max |O - O_f64|' <<<"$out")" = 2 ] || fail "expected both ranks' reports"
echo PASS
