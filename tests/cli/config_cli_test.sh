#!/usr/bin/env bash
# The config as a user meets it through the `ringattn` executable: docs/config.md is
# what the schema says, every shipped config checks, --set wins over the file, and 300
# seeded mutations of the shipped configs each end in exit 0 or exit 2 with exactly one
# "ringattn: error:" line — never a crash, a hang or another code.
# Usage: config_cli_test.sh path/to/ringattn path/to/source-root
set -u
bin=$1 root=$2
fails=0 passes=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Read $? into a variable before calling check: a $(...) in the message resets $?.
check() { if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

"$bin" config-doc >"$dir/config.md"
diff -u "$root/docs/config.md" "$dir/config.md" >"$dir/diff"
ok=$?
check "docs/config.md differs from \`ringattn config-doc\` (regenerate it): $(head -20 "$dir/diff")" "$ok"

for f in "$root"/configs/*.yaml "$root"/configs/*/*.yaml; do
  [ -e "$f" ] || continue
  case "$f" in */configs/hardware/*) continue ;; esac  # hardware profiles of `ringattn plan`, not run configs
  # A config that fixes parallel.sp is checked for its own world (sp × dp); others at 2 ranks.
  ranks=(--ranks 2)
  grep -qE '^\s+sp: [1-9]' "$f" && ranks=()
  "$bin" check-config --config "$f" "${ranks[@]}" >/dev/null 2>"$dir/err"
  rc=$?
  # A ringattn built without CUDA refuses the cuda configs, saying so (exit 2).
  if [ "$rc" = 2 ] && grep -q "backend: cuda" "$f" && grep -q "built without CUDA" "$dir/err"; then rc=0; fi
  check "check-config $f: $(cat "$dir/err")" $rc
done

"$bin" check-config --config "$root/configs/demo.yaml" --set attention.heads=16 --ranks 2 >"$dir/out" 2>&1
grep -q "^  heads: 16  # --set attention.heads=16" "$dir/out"; check "--set wins over the file" $?

python3 - "$root" "$dir" <<'PY'
import glob, os, random, sys
root, out = sys.argv[1], sys.argv[2]
files = sorted(f for f in glob.glob(os.path.join(root, "configs", "**", "*.yaml"), recursive=True)
               if os.sep + "hardware" + os.sep not in f)
rng = random.Random(20261122)
punct = ":-[]{}'\"\n\t #&*!|>%@`,?0123456789.e"
for i in range(300):
    s = bytearray(open(files[i % len(files)], "rb").read())
    for _ in range(rng.randint(1, 4)):
        if not s:
            break
        at = rng.randrange(len(s))
        op = rng.randrange(4)
        if op == 0:
            s[at] = ord(rng.choice(punct))
        elif op == 1:
            del s[at:at + rng.randint(1, 8)]
        elif op == 2:
            s.insert(at, ord(rng.choice(punct)))
        else:
            s[at] = rng.randrange(256)
    open(os.path.join(out, f"m{i:03d}.yaml"), "wb").write(bytes(s))
PY
bad=0
for f in "$dir"/m*.yaml; do
  # A config that fixes parallel.sp is checked for its own world (sp × dp); others at 2 ranks.
  ranks=(--ranks 2)
  grep -qE '^\s+sp: [1-9]' "$f" && ranks=()
  "$bin" check-config --config "$f" "${ranks[@]}" >/dev/null 2>"$dir/err"
  rc=$?
  lines=$(wc -l <"$dir/err")
  if [ "$rc" -eq 0 ] && [ "$lines" -eq 0 ]; then continue; fi
  if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "^ringattn: error: " "$dir/err"; then continue; fi
  echo "FAIL: $f -> exit $rc, $lines stderr lines:"; cat "$dir/err"; bad=$((bad + 1))
done
check "mutated configs: $bad of 300 ended other than exit 0 or one error line with exit 2" "$bad"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
