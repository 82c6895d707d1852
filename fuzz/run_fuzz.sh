#!/usr/bin/env bash
# The fuzz targets under ctest (fuzz/CMakeLists.txt).
#   run_fuzz.sh run BINARY TARGET FUZZ_DIR WORK_DIR SECONDS
#       fuzzes SECONDS over a fresh copy of FUZZ_DIR/corpus/TARGET (plus the YAML
#       dictionary for config_fuzz); a finding fails the test and leaves its reproducer
#       in WORK_DIR/TARGET-artifacts/.
#   run_fuzz.sh regressions BINARY TARGET FUZZ_DIR
#       runs every file of FUZZ_DIR/regressions/TARGET once (none: passes, saying so).
set -euo pipefail
mode=$1 bin=$2 target=$3 fuzz_dir=$4
case "$mode" in
  run)
    work=$5/$target seconds=$6
    rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
    cp "$fuzz_dir/corpus/$target/"* "$work/corpus/"
    dict=()
    [ -f "$fuzz_dir/dict/$target.dict" ] && dict=(-dict="$fuzz_dir/dict/$target.dict")
    # -jobs=1 and no forks: one process, the machine's other core stays free.
    exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus"
    ;;
  regressions)
    dir=$fuzz_dir/regressions/$target
    shopt -s nullglob
    files=("$dir"/*)
    if [ ${#files[@]} -eq 0 ]; then
      echo "no reproducers in $dir"
      exit 0
    fi
    # Given files (not directories), libFuzzer runs each once and fuzzes nothing.
    exec "$bin" -timeout=10 -rss_limit_mb=2048 "${files[@]}"
    ;;
  *) echo "run_fuzz.sh: unknown mode $mode" >&2; exit 2 ;;
esac
