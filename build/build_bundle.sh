#!/usr/bin/env bash
# Build the one-folder Lightbox bundle for Linux.
#   bash build/build_bundle.sh cpu   -> build/dist/cpu/lightbox/lightbox   (onnxruntime)
#   bash build/build_bundle.sh gpu   -> build/dist/gpu/lightbox/lightbox   (onnxruntime-gpu, CUDA)
# Each variant gets its own environment: onnxruntime and onnxruntime-gpu install into the same
# folder and must never be installed together. Then: build/dist/cpu/lightbox/lightbox selftest
set -euo pipefail
variant="${1:-cpu}"
case "$variant" in cpu|gpu) ;; *) echo "usage: $0 [cpu|gpu]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
venv="build/venv-$variant"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q ".[$variant]" "pyinstaller>=6"
LIGHTBOX_BUNDLE_VARIANT="$variant" "$venv/bin/python" -m PyInstaller --noconfirm --clean \
    --distpath "build/dist/$variant" --workpath "build/work/$variant" build/lightbox.spec
# VTK's libraries ship with their symbol tables (323 MB); stripping them takes a quarter off the
# bundle. Only VTK's: PyInstaller's strip=True strips everything and breaks numpy's OpenBLAS.
if command -v strip >/dev/null; then
    find "build/dist/$variant/lightbox/_internal/vtkmodules" -name '*.so*' -type f -exec strip --strip-unneeded {} +
fi
du -sh "build/dist/$variant/lightbox"
