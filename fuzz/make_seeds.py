#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/ (run from the repository root; the outputs are
committed, so this runs again only when a format changes). Seeds are small valid files of
each format, derived from the repository's configs and the formats' documentation
(runtime/io/npy.h, runtime/data/token_file.h, runtime/checkpoint/checkpoint.proto),
and a few invalid ones (each one rule broken), so the fuzzer starts at every branch."""
import glob
import os
import shutil
import struct
import zlib

ROOT = "fuzz/corpus"


def out(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# --- config_fuzz: every config of the repository, and a few broken ones.
for path in sorted(glob.glob("configs/**/*.yaml", recursive=True)):
    out("config_fuzz", path.replace("/", "_"), open(path, "rb").read())
out("config_fuzz", "empty.yaml", "")
out("config_fuzz", "unknown_key.yaml", "attention:\n  hedas: 8\n")
out("config_fuzz", "out_of_range.yaml", "attention:\n  head_dim: 0\n")
out("config_fuzz", "cross_key.yaml", "attention:\n  heads: 6\n  kv_heads: 4\n")
out("config_fuzz", "world.yaml", "parallel:\n  sp: 3\n  dp: 2\n  layout: zigzag\n")
out("config_fuzz", "simt.yaml", "attention:\n  backend: simt\n  dtype: bf16\n  head_dim: 32\nmodel:\n  compute: bf16\n")
out("config_fuzz", "cuda.yaml", "attention:\n  backend: cuda\n  dtype: bf16\ncomm:\n  backend: nccl\n")
out("config_fuzz", "tokens.yaml", "train:\n  data:\n    kind: tokens\n    files: [a.tok, 'b.tok']\n")
out("config_fuzz", "anchors.yaml", "a: &x {heads: 2}\nattention: *x\n")
out("config_fuzz", "tags.yaml", "attention: !!map {heads: !!int 8}\n")
out("config_fuzz", "duplicate.yaml", "attention:\n  heads: 2\n  heads: 4\n")

# --- npy_fuzz: the golden cases' small arrays, one array of each dtype and format
# version, and broken ones.
for path in sorted(glob.glob("tests/golden/attention/*/*.npy")):
    if os.path.getsize(path) <= 1024:
        out("npy_fuzz", path.split("/")[-2] + "_" + os.path.basename(path), open(path, "rb").read())


def npy(descr, shape, payload, version=1, fortran="False"):
    dims = "".join(f"{d}, " for d in shape) if len(shape) != 1 else f"{shape[0]},"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({dims}), }}"
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + payload


out("npy_fuzz", "f4_2x3.npy", npy("<f4", [2, 3], struct.pack("<6f", 0, 1, -2, 3.5, float("inf"), float("nan"))))
out("npy_fuzz", "f8_3.npy", npy("<f8", [3], struct.pack("<3d", 1e300, -0.0, 2.5)))
out("npy_fuzz", "i4_4.npy", npy("<i4", [4], struct.pack("<4i", 0, -1, 2**31 - 1, -2**31)))
out("npy_fuzz", "f2_2x2.npy", npy("<f2", [2, 2], struct.pack("<4H", 0x3C00, 0x0001, 0x7C00, 0xFBFF)))
out("npy_fuzz", "scalar.npy", npy("<f4", [], struct.pack("<f", 7)))
out("npy_fuzz", "empty_dim.npy", npy("<f4", [0, 5], b""))
out("npy_fuzz", "v2.npy", npy("<f4", [1], struct.pack("<f", 1), version=2))
out("npy_fuzz", "v3.npy", npy("<i4", [1, 1, 1], struct.pack("<i", 9), version=3))
out("npy_fuzz", "bad_fortran.npy", npy("<f4", [1], struct.pack("<f", 1), fortran="True"))
out("npy_fuzz", "bad_descr.npy", npy(">f4", [1], struct.pack(">f", 1)))
out("npy_fuzz", "bad_truncated.npy", npy("<f8", [4], struct.pack("<d", 1)))
out("npy_fuzz", "bad_trailing.npy", npy("<i4", [1], struct.pack("<2i", 1, 2)))
out("npy_fuzz", "bad_huge_shape.npy", npy("<f4", [2**40, 2**40], b""))


# --- token_file_fuzz: the layout of runtime/data/token_file.h.
def tokens(docs, width=2, vocab=256, version=1, reserved=0, magic=b"RATOKENS", trailing=b""):
    offs, toks = [0], []
    for d in docs:
        toks += d
        offs.append(len(toks))
    head = magic + struct.pack("<IIII", version, width, vocab, reserved) + struct.pack("<QQ", len(docs), len(toks))
    body = b"".join(struct.pack("<Q", o) for o in offs)
    body += b"".join(struct.pack("<H" if width == 2 else "<I", t) for t in toks)
    return head + body + trailing


out("token_file_fuzz", "u16_two_docs.tok", tokens([[1, 2, 3], [255]]))
out("token_file_fuzz", "u32_empty_doc.tok", tokens([[], [7, 65535, 65536]], width=4, vocab=70000))
out("token_file_fuzz", "no_docs.tok", tokens([]))
out("token_file_fuzz", "bad_vocab.tok", tokens([[300]], vocab=256))
out("token_file_fuzz", "bad_width.tok", tokens([[1]], width=3))
out("token_file_fuzz", "bad_version.tok", tokens([[1]], version=2))
out("token_file_fuzz", "bad_reserved.tok", tokens([[1]], reserved=1))
out("token_file_fuzz", "bad_trailing.tok", tokens([[1]], trailing=b"\0"))
out("token_file_fuzz", "bad_truncated.tok", tokens([[1, 2, 3]])[:-1])
out("token_file_fuzz", "bad_magic.tok", tokens([[1]], magic=b"RATOKENZ"))


# --- manifest_fuzz: checkpoint.proto by hand (no protobuf module needed), format 2 with
# its closing crc32, format 1 without; what the target expects: step 7, "cfg-hash", one
# rank, tensors w (f32 [2, 3]) and b (bf16 [4]).
def varint(n):
    b = b""
    while True:
        x = n & 0x7F
        n >>= 7
        if n:
            b += bytes([x | 0x80])
        else:
            return b + bytes([x])


def vfield(num, n):
    return varint(num << 3) + varint(n)


def lfield(num, data):
    data = data.encode() if isinstance(data, str) else data
    return varint(num << 3 | 2) + varint(len(data)) + data


def record(name, dtype, shape, file, offset, size, crc):
    packed = b"".join(varint(d) for d in shape)
    return (lfield(1, name) + lfield(2, dtype) + lfield(3, packed) + lfield(4, file) + vfield(5, offset) +
            vfield(6, size) + vfield(7, crc))


def manifest(version=2, step=7, hash_="cfg-hash", world=(1, 1, 1), recs=None, crc=True):
    if recs is None:
        recs = [record("w", "f32", [2, 3], "tensors-000.bin", 0, 24, 0x1234),
                record("b", "bf16", [4], "tensors-000.bin", 24, 8, 0x5678)]
    body = (vfield(1, version) + vfield(2, step) + lfield(3, hash_) + vfield(4, world[0]) + vfield(5, world[1]) +
            vfield(6, world[2]) + vfield(7, 42) + lfield(8, b"\x01\x02rng") + lfield(9, b"extra"))
    body += b"".join(lfield(10, r) for r in recs)
    if crc and version >= 2:
        body += bytes([11 << 3 | 5]) + struct.pack("<I", zlib.crc32(body))
    return body


out("manifest_fuzz", "v2_valid.pb", manifest())
out("manifest_fuzz", "v1_valid.pb", manifest(version=1))
out("manifest_fuzz", "v2_no_tensors.pb", manifest(recs=[]))
out("manifest_fuzz", "bad_crc.pb", manifest()[:-1] + b"\xff")
out("manifest_fuzz", "bad_truncated.pb", manifest()[:-9])
out("manifest_fuzz", "bad_version.pb", manifest(version=3))
out("manifest_fuzz", "bad_step.pb", manifest(step=8))
out("manifest_fuzz", "bad_world.pb", manifest(world=(2, 1, 2)))
out("manifest_fuzz", "bad_shape.pb",
    manifest(recs=[record("w", "f32", [3, 2], "tensors-000.bin", 0, 24, 0),
                   record("b", "bf16", [4], "tensors-000.bin", 24, 8, 0)]))
out("manifest_fuzz", "bad_file.pb",
    manifest(recs=[record("w", "f32", [2, 3], "../x", 0, 24, 0), record("b", "bf16", [4], "t", 24, 8, 0)]))
out("manifest_fuzz", "bad_duplicate.pb",
    manifest(recs=[record("w", "f32", [2, 3], "t", 0, 24, 0), record("w", "f32", [2, 3], "t", 0, 24, 0)]))
out("manifest_fuzz", "not_protobuf.pb", b"\xff\xff\xff\xff not a manifest")

# --- config_fuzz's dictionary: every key and enum value of the schema, and YAML syntax.
import re  # noqa: E402

proto = open("runtime/config/ringattn_config.proto").read()
words = set(re.findall(r"^\s+(?:repeated\s+)?\w+\s+(\w+)\s*=\s*\d+\s*\[", proto, re.M))
words |= set(re.findall(r"^message\s+\w+\s*{", proto, re.M) and re.findall(r"^\s+\w+\s+(\w+)\s*=\s*\d+;", proto, re.M))
enums = {}
for name, body in re.findall(r"^enum (\w+) {(.*?)^}", proto, re.M | re.S):
    prefix = re.sub(r"(?<!^)([A-Z])", r"_\1", name).upper() + "_"
    for v in re.findall(r"^\s+(\w+) = \d+;", body, re.M):
        if not v.endswith("_UNSPECIFIED"):
            words.add(v[len(prefix):].lower() if v.startswith(prefix) else v.lower())
syntax = [": ", "- ", "{", "}", "[", "]", ", ", "\n  ", "&a ", "*a", "!!str ", "!!int ", "!!map ", "<<: ", "---",
          "...", "'", '"', "#", "|", ">", "~", "null", "true", "false", "0x", "0o", "1e309", "-1", ".inf", ".nan",
          "4294967296", "18446744073709551616", "65536"]
os.makedirs("fuzz/dict", exist_ok=True)
with open("fuzz/dict/config_fuzz.dict", "w") as f:
    f.write("# libFuzzer dictionary of config_fuzz: generated by fuzz/make_seeds.py from the schema.\n")
    for w in sorted(words) + syntax:
        f.write('"' + w.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\x0A") + '"\n')
