#!/usr/bin/env bash
# The layer check can fail: on a small tree with one violation of each rule it exits 1
# and names every one; on the same tree without them it passes.
set -uo pipefail
checker=$1
fail() { echo "FAIL: $*"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/low" "$t/high" "$t/peer" "$t/agnostic" "$t/tests" "$t/stray"
cat >"$t/layers.txt" <<'L'
bottom: low
middle: high peer
top: agnostic
@backend-agnostic: agnostic
L
echo '#pragma once' >"$t/low/a.h"
echo '#include "low/a.h"' >"$t/high/b.h"
echo '#include "low/a.h"' >"$t/peer/c.h"
printf '#include "high/b.h"\n// CpuThing in a comment is fine\nint f(const char* s = "CudaX in a message");\n' >"$t/agnostic/d.cc"
echo '#pragma once' >"$t/tests/helper.h"
out=$(python3 "$checker" "$t" "$t/layers.txt" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "a clean tree failed ($rc): $out"

echo '#include "high/b.h"' >>"$t/low/a.h"                 # lower includes higher
echo '#include "peer/c.h"' >>"$t/high/b.h"                # peer includes peer
echo '#include "tests/helper.h"' >>"$t/peer/c.h"          # product includes tests/
echo 'ra::CpuDevice dev;' >>"$t/agnostic/d.cc"           # names a backend outside the root
echo 'int x;' >"$t/stray/e.cc"                            # belongs to no module
echo 'see DESIGN.md' >"$t/low/notes.md"                  # refers outside the repository
out=$(python3 "$checker" "$t" "$t/layers.txt" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "violations not detected (exit $rc): $out"
for want in "low/a.h:2: low (layer bottom) includes high/b.h of high (higher layer middle)" \
            "high/b.h:2: high includes peer/c.h of its peer peer" \
            "peer/c.h:2: product code includes test code tests/helper.h" \
            "agnostic/d.cc:4: names the concrete backend type CpuDevice" \
            "stray/e.cc: belongs to no module" \
            "low/notes.md:1: refers to a file outside the repository" \
            "6 violation(s)"; do
  grep -qF "$want" <<<"$out" || fail "missing: $want in: $out"
done
echo PASS
