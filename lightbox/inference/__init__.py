"""Local AI runtime (ONNX). Imports no Qt, no VTK and nothing of the viewer."""
