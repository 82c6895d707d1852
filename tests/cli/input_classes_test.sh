#!/usr/bin/env bash
# Issue 14, failures 1-8, as classes through the `ringattn` executable: every path a user
# names (config, .npy, token file) may be a directory, FIFO, symlink, device or missing;
# a config is one untagged YAML document; float inputs are finite; an output directory is
# never a symlink, a system directory or inside a world-writable parent; the attention
# tool's outputs appear together with attention.done or not at all; a token file without
# tokens names the file. Each case: the documented exit code and exactly one line naming
# what is wrong. Every command runs under `timeout` (a FIFO must never block: exit 124
# fails the case) and ctest's TIMEOUT.
# Usage: input_classes_test.sh ringattn mpirun.sh configs-dir
set -u
bin=$1 mpirun=$2 configs=$3
export RINGATTN_ALLOW_ROOT=1  # CI and containers run as root; root-only cases say so
fails=0 passes=0
dir=$(mktemp -d)
chmod 755 "$dir"  # the unprivileged user of the read-only case must reach it
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
# Read $? into a variable before calling check: a $(...) in the message resets $?.
check() { if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

# expect NAME CODE PATTERN -- COMMAND...: exit CODE, one stderr line matching PATTERN.
expect() {
  local name=$1 code=$2 pattern=$3
  shift 4
  timeout 60 "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  [ "$rc" -eq "$code" ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q -- "$pattern" "$dir/err"
  local ok=$?
  check "$name: exit $rc (want $code), stderr: $(head -c 600 "$dir/err")" "$ok"
}

# --- 1, 3: the config path is not a regular file (exit 2, the config code) -------------
mkdir "$dir/cfgdir"
mkfifo "$dir/fifo.yaml"
ln -s "$dir/cfgdir" "$dir/link-to-dir.yaml"
ln -s "$dir/nowhere.yaml" "$dir/dangling.yaml"
for c in check-config bench; do
  out_dir=()
  [ "$c" = bench ] && out_dir=(--out-dir "$dir/o-bench")
  expect "$c --config directory" 2 "cfgdir: the config file is a directory, not a regular file" -- \
    "$bin" "$c" --config "$dir/cfgdir" "${out_dir[@]}"
  expect "$c --config FIFO (must not block)" 2 "fifo.yaml: the config file is a FIFO (named pipe), not a regular file" -- \
    "$bin" "$c" --config "$dir/fifo.yaml" "${out_dir[@]}"
done
expect "check-config --config symlink to a directory" 2 \
  "link-to-dir.yaml: the config file is a directory (through a symbolic link), not a regular file" -- \
  "$bin" check-config --config "$dir/link-to-dir.yaml"
expect "check-config --config dangling symlink" 2 "dangling.yaml: cannot open the config file (No such file or directory)" -- \
  "$bin" check-config --config "$dir/dangling.yaml"
expect "check-config --config /dev/zero (endless)" 2 "/dev/zero: the config file is a character device" -- \
  "$bin" check-config --config /dev/zero
# On 2 ranks the config is read on rank 0 before anything is shared: the FIFO must not
# hold the job (--comm-timeout does not cover that phase).
expect "bench on 2 ranks --config FIFO" 2 "fifo.yaml: the config file is a FIFO" -- \
  "$mpirun" 2 "$bin" bench --config "$dir/fifo.yaml" --out-dir "$dir/o-bench2"
expect "train on 2 ranks --config FIFO" 2 "fifo.yaml: the config file is a FIFO" -- \
  "$mpirun" 2 "$bin" train --config "$dir/fifo.yaml" --out-dir "$dir/o-train2"

expect "bench --jsonl FIFO (must not block)" 2 "fifo.yaml: refusing to append to a FIFO (named pipe); give a regular file" -- \
  "$bin" bench --tokens-per-rank 16 --jsonl "$dir/fifo.yaml" --out-dir "$dir/o-jsonl"

# --- 2: one document, no tags -----------------------------------------------------------
printf 'attention:\n  heads: 4\n---\nattention:\n  heads: 8\n' >"$dir/two.yaml"
expect "second YAML document" 2 "two.yaml:3:1: a second YAML document starts here" -- \
  "$bin" check-config --config "$dir/two.yaml"
printf 'attention:\n  heads: !!str 4\n' >"$dir/tag.yaml"
expect "!!str on a number" 2 "tag.yaml:2:10: attention.heads: YAML tag '!!str' is not accepted" -- \
  "$bin" check-config --config "$dir/tag.yaml"

# --- 4, 5: attention inputs ---------------------------------------------------------------
python3 - "$dir" <<'PY'
import math, struct, sys
d = sys.argv[1]
def npy(path, descr, shape, data):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, "".join(f"{s}, " for s in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)
def f32(path, shape, values):
    npy(path, "<f4", shape, struct.pack(f"<{len(values)}f", *values))
n = 6 * 2 * 4
q = [0.5 + 0.01 * i for i in range(n)]
f32(f"{d}/q.npy", (6, 2, 4), q)
f32(f"{d}/k.npy", (6, 1, 4), [0.25 - 0.01 * i for i in range(24)])
f32(f"{d}/v.npy", (6, 1, 4), [1.0 + 0.1 * i for i in range(24)])
f32(f"{d}/dout.npy", (6, 2, 4), [0.1] * n)
bad = list(q); bad[3 * 8 + 1 * 4 + 2] = math.nan          # q[3, 1, 2], element 30
f32(f"{d}/q_nan.npy", (6, 2, 4), bad)
k_inf = [0.25] * 24; k_inf[17] = -math.inf                 # k[4, 0, 1]
f32(f"{d}/k_inf.npy", (6, 1, 4), k_inf)
dout_nan = [0.1] * n; dout_nan[47] = math.nan              # dout[5, 1, 3]
f32(f"{d}/dout_nan.npy", (6, 2, 4), dout_nan)
f32(f"{d}/alibi_nan.npy", (2,), [0.5, math.nan])
f32(f"{d}/v_big.npy", (6, 1, 4), [3.4e38] + [1.0] * 23)    # finite in f32, inf in bf16
v16 = [0x3c00] * 24; v16[5] = 0x7c00                       # float16 +inf at v[1, 0, 1]
npy(f"{d}/v_f16_inf.npy", "<f2", (6, 1, 4), struct.pack("<24H", *v16))
# A 16 GiB v (sparse: no disk used) of the wrong shape: refused from its header alone,
# before any of its payload is read or allocated.
npy(f"{d}/v_huge.npy", "<f4", (1 << 30, 1, 4), b"")
with open(f"{d}/v_huge.npy", "r+b") as f:
    f.seek(0, 2)
    f.truncate(f.tell() + (1 << 34))
PY
mkdir "$dir/qdir"
mkfifo "$dir/q.fifo"
att=("$mpirun" 2 "$bin" attention)
qkv=(--q "$dir/q.npy" --k "$dir/k.npy" --v "$dir/v.npy")
expect "--q directory" 3 "qdir: the .npy file is a directory, not a regular file" -- \
  "${att[@]}" --q "$dir/qdir" --k "$dir/k.npy" --v "$dir/v.npy" --out-dir "$dir/a"
expect "--q FIFO (must not block)" 3 "q.fifo: the .npy file is a FIFO (named pipe), not a regular file" -- \
  "${att[@]}" --q "$dir/q.fifo" --k "$dir/k.npy" --v "$dir/v.npy" --out-dir "$dir/a"
expect "NaN in q" 3 "q_nan.npy: q\[3, 1, 2\] (element 30) is NaN: inputs must be finite" -- \
  "${att[@]}" --q "$dir/q_nan.npy" --k "$dir/k.npy" --v "$dir/v.npy" --out-dir "$dir/a"
expect "-inf in k" 3 "k_inf.npy: k\[4, 0, 1\] (element 17) is -inf" -- \
  "${att[@]}" --q "$dir/q.npy" --k "$dir/k_inf.npy" --v "$dir/v.npy" --out-dir "$dir/a"
expect "NaN in dout" 3 "dout_nan.npy: dout\[5, 1, 3\] (element 47) is NaN" -- \
  "${att[@]}" "${qkv[@]}" --dout "$dir/dout_nan.npy" --out-dir "$dir/a"
expect "16 GiB v of the wrong shape, refused from its header" 3 \
  "v_huge.npy: shape \[1073741824, 1, 4\] does not fit: v must have the shape of k" -- \
  "${att[@]}" --q "$dir/q_nan.npy" --k "$dir/k.npy" --v "$dir/v_huge.npy" --out-dir "$dir/a"
expect "NaN ALiBi slope" 3 "alibi_nan.npy: alibi\[1\] (element 1) is NaN" -- \
  "${att[@]}" "${qkv[@]}" --alibi "$dir/alibi_nan.npy" --out-dir "$dir/a"
expect "float16 inf in v" 3 "v_f16_inf.npy: v\[1, 0, 1\] (element 5) is inf" -- \
  "${att[@]}" --q "$dir/q.npy" --k "$dir/k.npy" --v "$dir/v_f16_inf.npy" --out-dir "$dir/a"
expect "finite f32 that is inf in bf16" 3 "v_big.npy: v\[0, 0, 0\] (element 0) is 3.[0-9e+]*, which rounds to inf in bf16" -- \
  "${att[@]}" --q "$dir/q.npy" --k "$dir/k.npy" --v "$dir/v_big.npy" --dtype bf16 --out-dir "$dir/a"
timeout 60 "$mpirun" 2 "$bin" attention --q "$dir/q.npy" --k "$dir/k.npy" --v "$dir/v_big.npy" --out-dir "$dir/a" \
  >"$dir/out" 2>&1
ok=$?
check "the same v in fp32 is accepted: $(cat "$dir/out")" "$ok"

# --- 6: output directories (exit 2) -------------------------------------------------------
mkdir "$dir/real"
ln -s "$dir/real" "$dir/out-link"
expect "--out-dir symlink" 2 "out-link: the output directory is a symbolic link (to $dir/real); ringattn never writes through a symlink" -- \
  "${att[@]}" "${qkv[@]}" --out-dir "$dir/out-link"
[ -z "$(ls -A "$dir/real")" ]; check "nothing written through the symlink" $?
expect "--out-dir /" 2 "/: refusing to write a run's outputs into /, a system directory" -- \
  "${att[@]}" "${qkv[@]}" --out-dir /
expect "bench --out-dir /etc" 2 "/etc: refusing to write a run's outputs into /etc, a system directory" -- \
  "$bin" bench --tokens-per-rank 16 --out-dir /etc
mkdir -p "$dir/open/mine"
chmod 0777 "$dir/open"
expect "--out-dir inside a world-writable parent" 2 "refusing an output directory inside $dir/open, which is world-writable without the sticky bit" -- \
  "${att[@]}" "${qkv[@]}" --out-dir "$dir/open/mine"
expect "train --out-dir created in a world-writable parent" 2 "refusing to create an output directory inside $dir/open" -- \
  "$mpirun" 2 "$bin" train --config "$configs/train/passkey_cpu.yaml" --out-dir "$dir/open/new"
[ ! -e "$dir/open/new" ]; check "nothing created inside the world-writable parent" $?
chmod 1777 "$dir/open"
timeout 60 "$mpirun" 2 "$bin" attention "${qkv[@]}" --out-dir "$dir/open/mine" >"$dir/out" 2>&1
ok=$?
check "with the sticky bit the parent is safe: $(cat "$dir/out")" "$ok"

# --- 7: all-or-nothing outputs --------------------------------------------------------------
o="$dir/sets"
timeout 60 "$mpirun" 2 "$bin" attention "${qkv[@]}" --dout "$dir/dout.npy" --out-dir "$o" >"$dir/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ -s "$o/o.npy" ] && [ -s "$o/lse.npy" ] && [ -s "$o/dq.npy" ] && [ -s "$o/dk.npy" ] && [ -s "$o/dv.npy" ] &&
  [ "$(cut -d' ' -f1 "$o/attention.done" | tr '\n' ' ')" = "o.npy lse.npy dq.npy dk.npy dv.npy " ] &&
  [ "$(cut -d' ' -f2 "$o/attention.done" | head -1)" = "$(stat -c %s "$o/o.npy")" ]
ok=$?
check "a backward run writes the five files and attention.done listing them: exit $rc $(cat "$dir/out")" "$ok"
# A failed run (bad input) into a directory holding a complete set: none of it is left.
expect "failed run into a full set" 3 "q_nan.npy" -- "${att[@]}" --q "$dir/q_nan.npy" --k "$dir/k.npy" --v "$dir/v.npy" --out-dir "$o"
left=$(ls "$o")
[ -z "$left" ]; check "a failed run leaves no outputs that could pass for its own: left '$left'" $?
# A run that fails while writing (the ranks' file size limit: write(2) fails with EFBIG,
# SIGXFSZ ignored) into a directory holding a complete set leaves nothing either.
timeout 60 "$mpirun" 2 "$bin" attention "${qkv[@]}" --dout "$dir/dout.npy" --out-dir "$o" >/dev/null 2>&1
timeout 60 "$mpirun" 2 bash -c 'trap "" XFSZ; ulimit -f 0; exec "$0" "$@"' "$bin" attention "${qkv[@]}" \
  --dout "$dir/dout.npy" --out-dir "$o" >"$dir/out" 2>"$dir/err"
rc=$?
left=$(ls "$o")
[ "$rc" -eq 2 ] && [ -z "$left" ] && grep -q "o.npy.tmp.*File too large" "$dir/err"
ok=$?
check "a write that fails mid-set leaves nothing: exit $rc, left '$left', $(head -c 600 "$dir/err")" "$ok"
# Forward only after backward: no stale dq/dk/dv beside the new o/lse.
timeout 60 "$mpirun" 2 "$bin" attention "${qkv[@]}" --dout "$dir/dout.npy" --out-dir "$o" >/dev/null 2>&1
timeout 60 "$mpirun" 2 "$bin" attention "${qkv[@]}" --out-dir "$o" >/dev/null 2>&1
[ "$(ls "$o" | tr '\n' ' ')" = "attention.done lse.npy o.npy " ]
ok=$?
check "a forward run removes an earlier run's dq/dk/dv: $(ls "$o" | tr '\n' ' ')" "$ok"
# A read-only directory is refused before the computation (as an unprivileged user: root
# writes anywhere).
mkdir "$dir/ro" && chmod 555 "$dir/ro"
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
expect "read-only --out-dir" 2 "ro/.write-probe.tmp.*Permission denied" -- \
  "${as_user[@]}" "$bin" attention "${qkv[@]}" --out-dir "$dir/ro"

# --- 8: token files (exit 3 naming the file) ------------------------------------------------
python3 - "$dir" <<'PY'
import struct, sys
d = sys.argv[1]
def tok(path, tokens, docs, vocab=256, width=2, extra=b""):
    b = b"RATOKENS" + struct.pack("<IIIIQQ", 1, width, vocab, 0, len(docs) - 1, len(tokens))
    b += b"".join(struct.pack("<Q", o) for o in docs)
    b += b"".join(struct.pack("<H" if width == 2 else "<I", t) for t in tokens)
    open(path, "wb").write(b + extra)
tok(f"{d}/none.tok", [], [0])                       # no documents, no tokens
tok(f"{d}/emptydocs.tok", [], [0, 0, 0])            # two empty documents
open(f"{d}/header.tok", "wb").write(open(f"{d}/none.tok", "rb").read()[:40])  # header only
tok(f"{d}/odd.tok", [1, 2, 3], [0, 3], extra=b"\x07")  # an odd byte after uint16 tokens
tok(f"{d}/vocab.tok", [1, 2, 3], [0, 3], vocab=4000)   # header vocab beyond the model's 256
PY
train=("$mpirun" 2 "$bin" train --config "$configs/train/passkey_cpu.yaml" --set train.seq_len=64 \
            --set train.batch_size=2 --steps 1 --out-dir "$dir/t" --set train.data.kind=tokens)
expect "token file without tokens" 3 "none.tok: byte 32: token_count is 0 (0 documents): a training data file needs at least one token" -- "${train[@]}" --set "train.data.files=[$dir/none.tok]"
expect "token file of empty documents" 3 "emptydocs.tok: byte 32: token_count is 0 (2 documents)" -- "${train[@]}" --set "train.data.files=[$dir/emptydocs.tok]"
expect "token file, header only" 3 "header.tok: byte 24: doc_count 0: header and offsets need" -- "${train[@]}" --set "train.data.files=[$dir/header.tok]"
expect "token file, odd byte count" 3 "odd.tok: byte 56: .*(trailing bytes)" -- "${train[@]}" --set "train.data.files=[$dir/odd.tok]"
expect "token file, vocab beyond the model" 3 "vocab.tok: byte 16: vocab_size 4000 exceeds the model's vocab 256" -- "${train[@]}" --set "train.data.files=[$dir/vocab.tok]"
expect "token file is a directory" 3 "qdir: the token file is a directory, not a regular file" -- "${train[@]}" --set "train.data.files=[$dir/qdir]"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ] && echo PASS
