#!/usr/bin/env bash
# Train the demo model on a lent GPU machine, in one call of the device tool (issue: a demo model
# that looks at the image — "train on the GPU when the session has one, a prepared script within
# its 15 device minutes").
#
# Here, first (CPU, ~40 s; the pack is git-ignored, 15 MiB, and travels as a carried path):
#     python -m lightbox.demo_model.pack --out work/gpu-pack
#     mkdir -p work/gpu-wheels && cp /opt/pypi/files/pillow-12.3.0-cp311-*.whl work/gpu-wheels/
# Then one device call from the repository root, e.g. (timeout leaves the machine's start aside):
#     run(command="bash tools/train_demo_on_gpu.sh 2 6", carry=["work/gpu-pack", "work/gpu-wheels"], timeout_s=560)
# and, back here, from the folder the tool fetched:
#     python -m lightbox.demo_model.train --export <files_at>/demo-model --bundle work/bundle-gpu
#     python -m lightbox.demo_model.evaluate --model work/bundle-gpu
#
# Arguments: vision-stage minutes (default 2), vision-language-stage minutes (default 6), then
# any further options of lightbox.demo_model.train (e.g. --image-size 168 --seed 1). The trained
# folder (model.safetensors, tokenizer, training.json) is written to $OUT/demo-model with the log.
#
# The machine's python3 has torch (CUDA) and transformers; training needs nothing else of the app
# (tests/test_demo_training_pack.py checks it imports without onnxruntime, pydicom, Qt or VTK)
# except Pillow: when it is missing, a fitting wheel carried in work/gpu-wheels/ is installed (this
# machine has cp311 wheels only, in /opt/pypi/files).
set -euo pipefail
vision_minutes="${1:-2}"
minutes="${2:-6}"
shift $(( $# > 2 ? 2 : $# ))
out="${OUT:-/tmp/out}"
mkdir -p "$out"
cd "$(dirname "$0")/.."

if ! python3 -c "import PIL" 2>/dev/null; then
    if compgen -G "work/gpu-wheels/*.whl" > /dev/null; then
        # pip picks the wheel that fits this machine's Python, or says none does
        python3 -m pip install --quiet --no-index --no-deps --find-links work/gpu-wheels --target /tmp/site pillow
        export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
    else
        echo "Pillow is missing on this machine: carry its wheel in work/gpu-wheels/" >&2
        exit 3
    fi
fi
if [ ! -f work/gpu-pack/training-pack.json ]; then
    echo "no training pack: run python -m lightbox.demo_model.pack --out work/gpu-pack here and carry work/gpu-pack" >&2
    exit 3
fi
python3 - <<'EOF'
import torch, transformers
print("torch", torch.__version__, "transformers", transformers.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", flush=True)
EOF
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 -m lightbox.demo_model.train --data work/gpu-pack --out "$out/demo-model" \
    --vision-minutes "$vision_minutes" --minutes "$minutes" "$@" 2>&1 | tee "$out/train.log"
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv > "$out/nvidia-smi.csv" 2>/dev/null || true
