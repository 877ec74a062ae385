#!/usr/bin/env bash
# Install Lightbox with its test extras into .venv and run the whole test suite headless.
# Usage: bash tools/run-tests.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."

# Headless Qt + VTK need EGL/Mesa, xkbcommon, fontconfig and D-Bus client libraries; the speech
# tests synthesise spoken questions with espeak-ng and mix noise in with sox; the microphone tests
# speak into a private PulseAudio server's pipe microphone; pdftotext reads exported PDFs back.
# The PACS tests run a real Orthanc (with its DICOMweb plugin) as a foreground process, and make
# a throw-away certificate authority with openssl for DICOM over TLS. The window is also started on
# a real X display (Xvfb) through Qt's xcb platform, which needs the xcb libraries below.
needed=(libegl1 libegl-mesa0 libgl1-mesa-dri libxkbcommon0 libfontconfig1 libdbus-1-3 espeak-ng sox pulseaudio
        pulseaudio-utils poppler-utils orthanc orthanc-dicomweb openssl
        xvfb libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
        libxcb-xkb1 libxcb-shape0 libxcb-randr0 libxcb-xinerama0)
missing=()
for package in "${needed[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system libraries: ${missing[*]}"
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        # a machine that cannot install one of them still runs the suite: one at a time then, and
        # the tests that need a missing tool skip with the reason
        $SUDO apt-get update -qq || true
        if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
            for package in "${missing[@]}"; do
                $SUDO apt-get install -y -qq --no-install-recommends "$package" ||
                    echo "warning: could not install $package; tests that need it will be skipped" >&2
            done
        fi
    else
        echo "warning: apt-get not found; install ${missing[*]} by hand" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The train extra (torch, CPU build; onnx) lets the MedGemma drop-in test export a Gemma 3.
.venv/bin/python -m pip install -q -e ".[test,train]"

# Code-health gates before the tests (the same ones .pre-commit-config.yaml runs): any finding
# fails the run. Rules and their reasons are in pyproject.toml.
echo "ruff: lint"
.venv/bin/ruff check lightbox tests tools benchmarks
echo "mypy: types (strict for the Qt-free packages)"
.venv/bin/mypy
echo "import-linter: import contracts"
.venv/bin/lint-imports

export QT_QPA_PLATFORM=offscreen
unset DISPLAY WAYLAND_DISPLAY
exec .venv/bin/python -m pytest "$@"
