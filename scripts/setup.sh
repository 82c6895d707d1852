#!/usr/bin/env bash
# Installs the Debian 12 packages ringattn needs to build and test. Idempotent:
# packages already present are skipped, so a second run does nothing.
# The CUDA toolkit is not installed here: it is optional (RA_CUDA=AUTO finds it
# under /usr/local/cuda when present); the CPU build never needs it.
set -euo pipefail

packages=(
  build-essential     # g++, make
  cmake               # >= 3.25 (Debian 12 ships 3.25)
  ninja-build         # the generator of CMakePresets.json
  pkg-config
  libgtest-dev        # GoogleTest (tests/)
  libgmock-dev
  libdnnl-dev         # oneDNN: the CPU GEMM (kernels/gemm), JIT for the CPU it runs on (AVX2 … AMX)
  libopenblas-dev     # dgemm of the f64 reference/finite-difference paths (kernels/gemm)
  libcli11-dev        # command-line parsing of launch/ringattn
  nlohmann-json3-dev  # JSON lines written by the benchmarks
  openmpi-bin         # mpirun/mpiexec: ranks of the ring (tests/distributed run P = 1..4)
  libopenmpi-dev      # the MPI communicator (comm/mpi), MPI_THREAD_MULTIPLE
  libprotobuf-dev     # the config schema and the run records (runtime/config, runtime/records)
  protobuf-compiler   # protoc
  libyaml-cpp-dev     # strict YAML configs
  gnuplot-nox         # the scaling plots of launch/sweep.sh
  zlib1g-dev          # crc32 checksums of checkpoint shards (runtime/checkpoint)
  python3             # tests/cli parses the JSON lines of kernel-bench
  clang-14            # the fuzz preset's compiler (fuzz/: libFuzzer targets of the parsers)
  libclang-rt-14-dev  # libFuzzer, ASan and UBSan runtimes of clang 14
  llvm-14             # llvm-symbolizer: source lines in the fuzz targets' crash reports
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "setup: these packages are missing and installing them needs root:" >&2
    echo "  apt-get install -y ${missing[*]}" >&2
    echo "setup: run this script as root, or ask an administrator to run the line above." >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
