#!/usr/bin/env bash
# The checks to run once on a machine with a CUDA GPU (the `device` tool, when one is lent):
#   bash benchmarks/gpu_check.sh [OUT]      (about 5 minutes; everything it prints also goes to OUT/;
#   N=200 draws fewer images for a dry run)
# 1. the GPU tests and the CUDA-path tests; 2. a real training run on the GPU (bf16), timed per epoch;
# 3. the same run on the CPU cores for comparison; 4. a 2-process data-parallel run. With one GPU, NCCL
# needs one GPU per process, so step 4 runs on CPU processes (gloo) and says so.
set -uo pipefail
OUT=${1:-${OUT:-gpu-check}}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
cd "$(dirname "$0")/.."
pip install -q -e ".[test]" || exit 1
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpus', torch.cuda.device_count(),
[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])"
python -m pytest -q tests/train/test_gpu.py tests/train/test_cuda_paths.py tests/test_runtime.py -rs
DATA="$OUT/toons"
toonlab synth "$DATA" --n "${N:-2000}" --size 128 -q
for device in cuda cpu; do
  toonlab train "$DATA" --out "$OUT/run-$device" --epochs 3 --train.device=$device --no-progress --overwrite \
    --data.cache_dir="$OUT/cache"
done
gpus=$(python -c "import torch; print(torch.cuda.device_count())")
if [ "$gpus" -ge 2 ]; then
  toonlab train "$DATA" --out "$OUT/run-ddp" --epochs 2 --nproc 2 --train.device=cuda --no-progress --overwrite
else
  echo "one GPU: the 2-process run uses CPU processes (gloo); NCCL is not exercised"
  toonlab train "$DATA" --out "$OUT/run-ddp" --epochs 2 --nproc 2 --train.device=cpu --no-progress --overwrite
fi
python - "$OUT" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
rows = {}
for run in sorted(out.glob("run-*")):
    m = json.loads((run / "metrics.json").read_text())
    rows[run.name] = {"device": m.get("device"), "mean_accuracy": m.get("mean_accuracy"), "wall_time_s": m.get("wall_time_s")}
print(json.dumps(rows, indent=2))
(out / "summary.json").write_text(json.dumps(rows, indent=2))
PY
