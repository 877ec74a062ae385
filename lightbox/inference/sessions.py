"""ONNX Runtime sessions: CUDA when available, CPU otherwise, and the truth about which runs.

CUDA silently falls back to CPU when its libraries are missing, so after creating a session
the providers it actually got are read back (``session.get_providers()``) and a notice is made
for the UI and the CLI.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

# transformers and huggingface_hub must never try the network at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Lightbox uses transformers for tokenizers only: its "PyTorch was not found" notice is noise here.
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@dataclass
class SessionInfo:
    provider: str  # "CUDA" or "CPU"
    providers: list[str]
    notice: str = ""


def requested_providers(device: str = "auto") -> list[str]:
    """Providers to ask for: ``auto`` = CUDA first when this onnxruntime build has it."""
    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in available and device in ("auto", "cuda", "gpu"):
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def create_session(path: Path, device: str = "auto", threads: int | None = None) -> tuple[ort.InferenceSession, SessionInfo]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    wanted = requested_providers(device)
    if "CUDAExecutionProvider" in wanted:
        # A missing CUDA/cuDNN library makes onnxruntime's default logger print red errors for every
        # session before it falls back; Lightbox reports the fallback once, in its own words.
        ort.set_default_logger_severity(4)
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=wanted)
    finally:
        ort.set_default_logger_severity(2)
    got = session.get_providers()
    provider = "CUDA" if got and got[0] == "CUDAExecutionProvider" else "CPU"
    notice = ""
    if "CUDAExecutionProvider" in wanted and provider != "CUDA":
        notice = ("GPU requested but CUDA could not start (onnxruntime-gpu needs the CUDA 13 and cuDNN 9 libraries "
                  "and an NVIDIA driver): running on the CPU (slower)")
    elif device in ("cuda", "gpu") and "CUDAExecutionProvider" not in wanted:
        notice = "no GPU build of onnxruntime installed: running on the CPU (install the 'gpu' extra)"
    return session, SessionInfo(provider, got, notice)
