#!/usr/bin/env python3
"""The include-layer check (ctest: layers_include_graph).

Reads the layer declaration (cmake/layers.txt) and every product source file's
#include "..." lines, and fails, naming file, line and rule, when
  - a file includes a module on a higher layer, or a peer module on its own layer;
  - a product file (outside tests/) includes anything under tests/;
  - a product source file belongs to no declared module;
  - a file of a module declared @backend-agnostic names a concrete backend type
    (Cpu*, Cuda*, Simt*, Nccl*, Mpi* followed by an upper-case letter) in code
    (comments and string literals may);
  - any file of the repository refers to a file outside it (DESIGN.md, ../shared/).
Usage: check_layers.py <repo root> [<layers file>]
"""
import os
import re
import sys

SOURCE_EXT = (".h", ".hpp", ".cc", ".cpp", ".cu", ".cuh")
TEXT_EXT = SOURCE_EXT + (".md", ".txt", ".cmake", ".py", ".sh", ".yaml", ".json", ".proto", ".sbatch")
SKIP_DIRS = {".git", "build"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
BACKEND_NAME = re.compile(r"\b(?:Cpu|Cuda|Simt|Nccl|Mpi)[A-Z]\w*")
OUTSIDE_REFS = re.compile(r"DESIGN\.md|\.\./shared/")


def load_layers(path):
    """-> ({module: (layer index, layer name)}, [backend-agnostic module prefixes])"""
    layers = []  # [(name, [module, ...])], bottom first
    agnostic = []
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if ":" not in line:
                sys.exit(f"{path}:{n}: expected '<layer>: <module> ...', got {raw.strip()!r}")
            name, mods = line.split(":", 1)
            if name.strip() == "@backend-agnostic":
                agnostic += mods.split()
            else:
                layers.append((name.strip(), mods.split()))
    module_layer = {}
    for i, (name, mods) in enumerate(layers):
        for m in mods:
            if m in module_layer:
                sys.exit(f"{path}: module {m} is declared twice")
            module_layer[m] = (i, name)
    return module_layer, agnostic


def module_of(path, module_layer):
    best = None
    for m in module_layer:
        if path == m or path.startswith(m + "/"):
            if best is None or len(m) > len(best):
                best = m
    return best


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)  # string literals (messages) may name anything


def main():
    root = os.path.abspath(sys.argv[1])
    layers_file = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "cmake", "layers.txt")
    module_layer, agnostic = load_layers(layers_file)
    errors = []
    files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build")]
        for fn in filenames:
            full = os.path.join(dirpath, fn)
            rel = os.path.relpath(full, root)
            if not fn.endswith(TEXT_EXT):
                continue
            with open(full, errors="replace") as f:
                text = f.read()
            checker_dir = os.path.relpath(os.path.dirname(os.path.abspath(__file__)), root)
            if not rel.startswith(checker_dir + os.sep) and rel != os.path.relpath(layers_file, root):
                for n, line in enumerate(text.splitlines(), 1):
                    if OUTSIDE_REFS.search(line):
                        errors.append(f"{rel}:{n}: refers to a file outside the repository: {line.strip()}")
            if not fn.endswith(SOURCE_EXT) or rel.startswith("tests" + os.sep):
                continue
            files += 1
            mod = module_of(rel, module_layer)
            if mod is None:
                errors.append(f"{rel}: belongs to no module of {os.path.relpath(layers_file, root)}; declare its folder there")
                continue
            layer, layer_name = module_layer[mod]
            for n, line in enumerate(text.splitlines(), 1):
                m = INCLUDE.match(line)
                if not m or "/" not in m.group(1):
                    continue  # same-folder includes and system headers
                inc = m.group(1)
                if inc.startswith("tests/"):
                    errors.append(f"{rel}:{n}: product code includes test code {inc}")
                    continue
                target = module_of(inc, module_layer)
                if target is None or target == mod:
                    continue  # generated headers resolve to their folder; same module is fine
                t_layer, t_name = module_layer[target]
                if t_layer > layer:
                    errors.append(f"{rel}:{n}: {mod} (layer {layer_name}) includes {inc} of {target} "
                                  f"(higher layer {t_name}): lower layers never include higher ones")
                elif t_layer == layer:
                    errors.append(f"{rel}:{n}: {mod} includes {inc} of its peer {target} (both layer {layer_name}): "
                                  f"peers are independent; move the shared part down a layer")
            if any(rel == a or rel.startswith(a + "/") for a in agnostic):
                code = strip_comments(text)
                for n, line in enumerate(code.splitlines(), 1):
                    for name in BACKEND_NAME.findall(line):
                        errors.append(f"{rel}:{n}: names the concrete backend type {name}; only the composition "
                                      f"root (runtime/backend) does")
    for e in errors:
        print(e)
    print(f"check_layers: {files} product source files, {len(module_layer)} modules: "
          f"{'OK' if not errors else str(len(errors)) + ' violation(s)'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
