"""Write the two tiny ONNX graphs Lightbox uses to choose a greedy token where the logits are
(dev-time; needs the onnx package of the train extra):

    .venv/bin/python tools/build_argmax_graphs.py

``lightbox/resources/onnx/last_token_argmax_{float,float16}.onnx``: logits [1, n, vocabulary]
→ the arg max of the last position, [1, 1] int64 (ONNX ArgMax keeps the first of equal maxima,
as numpy's argmax does). On CUDA the decoder's logits stay on the GPU (IO binding) and only
this 8-byte token comes to the host, instead of a 262,208-wide row per token
(lightbox.inference.generate.VisionLanguageModel.greedy_token). tests/test_greedy_on_device.py
checks that the committed files are what this script writes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import onnx
from onnx import TensorProto, helper

OUT = Path(__file__).resolve().parent.parent / "lightbox" / "resources" / "onnx"
TYPES = {"float": TensorProto.FLOAT, "float16": TensorProto.FLOAT16}


def argmax_graph(element_type: int) -> onnx.ModelProto:
    last = [helper.make_tensor("last", TensorProto.INT64, [1], [-1]),
            helper.make_tensor("end", TensorProto.INT64, [1], [2**63 - 1]),
            helper.make_tensor("positions", TensorProto.INT64, [1], [1])]
    nodes = [helper.make_node("ArgMax", ["logits"], ["per_position"], axis=2, keepdims=0, select_last_index=0),
             helper.make_node("Slice", ["per_position", "last", "end", "positions"], ["token"])]
    graph = helper.make_graph(nodes, "last_token_argmax",
                              [helper.make_tensor_value_info("logits", element_type, [1, "n", "vocabulary"])],
                              [helper.make_tensor_value_info("token", TensorProto.INT64, [1, 1])], last)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="lightbox")
    model.ir_version = 8  # what onnxruntime 1.20 and later read
    onnx.checker.check_model(model)
    return model


def graph_bytes(name: str) -> bytes:
    return argmax_graph(TYPES[name]).SerializeToString(deterministic=True)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in TYPES:
        (OUT / f"last_token_argmax_{name}.onnx").write_bytes(graph_bytes(name))
        print(OUT / f"last_token_argmax_{name}.onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
