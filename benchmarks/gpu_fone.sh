#!/usr/bin/env bash
# The FoNE fidelity benchmarks on one GPU in under 9 minutes (about 6-7 expected).
#
#   OUT=/path/for/results bash benchmarks/gpu_fone.sh               # on the GPU machine
#   GPU_FONE_DRY=1 OUT=/tmp/dry bash benchmarks/gpu_fone.sh         # the same logic on CPU, tiny budgets
#
# The four benchmarks run at once: their models are tiny, so one H200 stays mostly idle running one of
# them, and every run's budget is wall-clock time, so sharing the GPU costs steps, never the deadline.
# Each benchmark is capped by `timeout`; a benchmark cut short keeps its finished runs in its
# results.jsonl, and rerunning its logged command resumes from there (on any machine).
#
# Needs python3 with torch (CUDA build), transformers >= 5.17, accelerate, safetensors, numpy,
# matplotlib and rich; modgap is not installed: it runs from src/. No network.
# Run folders go to $GPU_FONE_WORK (default: a temp folder). $OUT receives 7 files: fone_gpu.tar.gz
# (every run folder, CSV, PNG and log), summary.log, and the key CSVs.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_fone}
PY=${PYTHON:-$(command -v python3 || command -v python)}
WORK=${GPU_FONE_WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$WORK"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4} TOKENIZERS_PARALLELISM=false COLUMNS=150

# modgap's package __init__s resolve names lazily with lazy_loader, which a bare GPU image may lack (and
# cannot pip-install offline): then a stand-in with the same attach() goes first on the path.
if ! "$PY" -c "import lazy_loader" 2>/dev/null; then
  mkdir -p "$WORK/.shim"
  cat >"$WORK/.shim/lazy_loader.py" <<'EOF'
"""Stand-in for lazy_loader.attach (written by benchmarks/gpu_fone.sh): names resolve on first use."""
import importlib


def attach(package_name, submodules=None, submod_attrs=None):
    submodules = set(submodules or ())
    owner = {attr: mod for mod, attrs in (submod_attrs or {}).items() for attr in attrs}
    names = sorted(submodules | owner.keys())

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f"{package_name}.{name}")
        if name in owner:
            return getattr(importlib.import_module(f"{package_name}.{owner[name]}"), name)
        raise AttributeError(f"No {package_name} attribute {name}")

    return __getattr__, lambda: list(names), list(names)
EOF
  export PYTHONPATH="$WORK/.shim:$PYTHONPATH"
  echo "lazy_loader missing: using the stand-in in $WORK/.shim" >"$WORK/shim.log"
fi

if [[ ${GPU_FONE_DRY:-0} == 1 ]]; then
  DEVICE=cpu LIMIT=900
  LARGE=(--digits 3,5 --size 1x64 --train-size 200 --test-size 20 --minutes 0.01)
  LENGTH=(--train-length 2 --size 1x64 --train-size 200 --test-size 20 --minutes 0.01)
  LADDER=(--sizes 1x64,2x128 --int-digits 2 --frac-digits 0 --train-size 200 --test-size 20 --minutes 0.01)
  DATA=(--int-digits 2 --frac-digits 0 --methods fone,digit --train-sizes 100,400 --refine 1
        --test-size 20 --minutes 0.01)
else
  DEVICE=cuda LIMIT=420
  # 9 runs x 24 s (+ data and scoring): 20-, 40-, 60-digit addition, fone / digit / abacus
  LARGE=(--digits 20,40,60 --size 4x256 --train-size 30000 --test-size 2000 --minutes 0.4)
  # 3 runs x 90 s, then 1,000 problems at each of 10, 15, 20, 30 digits
  LENGTH=(--train-length 10 --size 2x128 --train-size 100000 --test-size 1000 --minutes 1.5)
  # 24 runs x 9 s: 1x64 ... 4x256 x add / sub / mul x fone / digit, 3.3-digit operands
  LADDER=(--train-size 25600 --test-size 2000 --minutes 0.15)
  # 8 ladder runs x 18 s (as the earlier H200 run) + up to 2 bisection runs per bracketed method
  DATA=(--methods fone,digit --train-sizes 6400,25600,102400,409600 --refine 2 --test-size 5000
        --minutes 0.3)
fi

{
  echo "gpu_fone.sh $(date -u +%FT%TZ) dry=${GPU_FONE_DRY:-0} commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  "$PY" - <<'EOF'
import platform, torch, transformers, accelerate
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
print(f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}, "
      f"accelerate {accelerate.__version__}, cuda available: {torch.cuda.is_available()}, gpu: {gpu}")
EOF
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
} >"$WORK/environment.log" 2>&1

run() {  # name script args...: one benchmark in the background, everything it prints to $WORK/name.log
  local name=$1 script=$2
  shift 2
  (
    echo "\$ $PY benchmarks/$script $* --device $DEVICE --out $WORK/$name"
    timeout "$LIMIT" "$PY" "benchmarks/$script" "$@" --device "$DEVICE" --out "$WORK/$name"
    status=$?
    [[ $status == 124 ]] && echo "TIMED OUT after ${LIMIT}s: finished runs are in $WORK/$name/"
    echo "exit status $status after ${SECONDS}s"
    exit $status
  ) >"$WORK/$name.log" 2>&1 &
}

run large_numbers fone_large_numbers.py "${LARGE[@]}"
run length_generalisation fone_length_generalisation.py "${LENGTH[@]}"
run ladder fone_ladder.py "${LADDER[@]}"
run data_efficiency fone_data_efficiency.py "${DATA[@]}"
failed=0
for job in $(jobs -p); do
  wait "$job" || failed=$((failed + 1))
done

cp "$WORK/large_numbers/results.csv" "$OUT/large_numbers.csv"
cp "$WORK/length_generalisation/accuracy_vs_length.csv" "$OUT/length_generalisation.csv"
cp "$WORK/ladder/results.csv" "$OUT/ladder.csv"
cp "$WORK/data_efficiency/results.csv" "$OUT/data_efficiency.csv"
cp "$WORK/data_efficiency/crossing.csv" "$OUT/data_efficiency_crossing.csv"
{
  cat "$WORK/environment.log" "$WORK/shim.log" 2>/dev/null
  for name in large_numbers length_generalisation ladder data_efficiency; do
    printf '\n===== %s =====\n' "$name"
    cat "$WORK/$name.log"
  done
  printf '\n%d of 4 benchmarks failed; whole script %ss\n' "$failed" "$SECONDS"
} >"$OUT/summary.log"
tar -czf "$OUT/fone_gpu.tar.gz" -C "$WORK" .
tail -n 1 "$OUT/summary.log"
ls -l "$OUT"
exit "$failed"
