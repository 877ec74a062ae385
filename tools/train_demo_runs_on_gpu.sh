#!/usr/bin/env bash
# Train several demo-model runs side by side on a lent GPU machine, in one call of the device tool
# (issue: a demo model that looks at the image — a recipe is judged on more than one seed, and a
# session has 15 device minutes in all). The H200 runs a 6 M-parameter model far below its
# capacity, so runs share it; each gets an equal share of the machine's cores.
#
# Here, first (CPU, ~40 s; the pack is git-ignored, 15 MiB, and travels as a carried path):
#     python -m lightbox.demo_model.pack --out work/gpu-pack
# Then one device call from the repository root:
#     run(command="bash tools/train_demo_runs_on_gpu.sh 1.5 6 'pa:--finding-pairs --seed 1' 'pb:--seed 2'",
#         carry=["work/gpu-pack"], timeout_s=585)
# Each run comes back as $OUT/<name>.tar.gz (its folder with float16 weights, and its log; at most
# 16 MiB each, 5 runs at most within the tool's 64 MiB). Back here, for each run:
#     tar -xzf <files_at>/<name>.tar.gz -C work/gpu && python tools/demo_model_carry.py restore work/gpu/<name>
#     python -m lightbox.demo_model.train --export work/gpu/<name> --bundle work/bundle-<name>
#     python -m lightbox.demo_model.evaluate --model work/bundle-<name> --out work/eval-<name>.json
set -uo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 VISION_MINUTES MINUTES NAME:OPTIONS ..." >&2
    exit 2
fi
vision_minutes="$1"
minutes="$2"
shift 2
out="${OUT:-/tmp/out}"
runs=/tmp/demo-runs
mkdir -p "$out" "$runs"
cd "$(dirname "$0")/.."
if [ ! -f work/gpu-pack/training-pack.json ]; then
    echo "no training pack: run python -m lightbox.demo_model.pack --out work/gpu-pack here and carry work/gpu-pack" >&2
    exit 3
fi
python3 -c "import PIL" 2>/dev/null || { echo "Pillow is missing on this machine: carry its wheel (the device README says how)" >&2; exit 3; }
python3 - <<'PY'
import torch, transformers
print("torch", torch.__version__, "transformers", transformers.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", flush=True)
PY
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
threads=$(( $(nproc) / $# ))
[ "$threads" -ge 1 ] || threads=1
names=()
for spec in "$@"; do
    name="${spec%%:*}"
    options="${spec#*:}"
    names+=("$name")
    # shellcheck disable=SC2086  # the options are words of the train command
    OMP_NUM_THREADS="$threads" python3 -u -m lightbox.demo_model.train --data work/gpu-pack --out "$runs/$name" \
        --vision-minutes "$vision_minutes" --minutes "$minutes" $options > "$runs/$name.log" 2>&1 &
    echo "started $name: $options ($threads threads)"
done
sleep 60
nvidia-smi --query-gpu=name,utilization.gpu,memory.used,memory.total --format=csv > "$out/nvidia-smi.csv" 2>/dev/null || true
wait
for name in "${names[@]}"; do
    python3 tools/demo_model_carry.py halve "$runs/$name"
    tar -czf "$out/$name.tar.gz" -C "$runs" "$name" "$name.log"
    echo "== $name: $(grep -E '^(vision heads|model:|saved to)' "$runs/$name.log" | cut -c1-300)"
    tail -n 2 "$runs/$name.log"
done
ls -la "$out"
