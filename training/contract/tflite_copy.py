"""The TFLite copy beside a model: where it lives, and whether it is current and runnable.

The app runs its emotion model on MediaPipe's TFLite runtime (milliseconds to start,
where TensorFlow takes seconds); ``training.tflite`` writes the copy. A copy is used
only while the card vouches for it: the SHA-256 of the copy and of the ``.keras`` file
it was made from, so a stale copy is never used. Reading it needs no TensorFlow.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from pathlib import Path
from typing import Any

from training.contract.labels import NUM_CLASSES
from training.contract.preprocess import INPUT_SHAPE

log = logging.getLogger(__name__)

# TFLite's TensorType enum (tensorflow/lite/schema/schema.fbs).
TFLITE_FLOAT32, TFLITE_UINT8 = 0, 3


def tflite_path(keras_path: str | Path) -> Path:
    return Path(keras_path).with_suffix(".tflite")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def io_signature(flatbuffer: bytes) -> tuple[list[tuple[list[int], int]], list[tuple[list[int], int]]]:
    """The (shape, TensorType) of each input and output of a TFLite file's first subgraph.

    Read straight from the flatbuffer (Model.subgraphs[0].tensors/inputs/outputs) with the
    ``flatbuffers`` runtime: no interpreter and no TensorFlow.  Raises ValueError on a file
    that is not a TFLite model.
    """
    from flatbuffers import encode
    from flatbuffers import number_types as nt
    from flatbuffers.table import Table

    buf = bytearray(flatbuffer)
    if len(buf) < 8 or bytes(buf[4:8]) != b"TFL3":
        raise ValueError("not a TFLite flatbuffer")

    def tables(t: Table, slot: int) -> list[Table]:
        o = t.Offset(4 + 2 * slot)
        if not o:
            return []
        start = t.Vector(o)
        return [Table(buf, t.Indirect(start + 4 * i)) for i in range(t.VectorLen(o))]

    def ints(t: Table, slot: int) -> list[int]:
        o = t.Offset(4 + 2 * slot)
        if not o:
            return []
        start = t.Vector(o)
        return [t.Get(nt.Int32Flags, start + 4 * i) for i in range(t.VectorLen(o))]

    def tensor_type(t: Table) -> int:
        o = t.Offset(4 + 2 * 1)
        return t.Get(nt.Int8Flags, t.Pos + o) if o else TFLITE_FLOAT32

    try:
        model = Table(buf, encode.Get(nt.UOffsetTFlags.packer_type, buf, 0))
        subgraph = tables(model, 2)[0]  # Model: version, operator_codes, subgraphs, ...
        tensors = tables(subgraph, 0)  # SubGraph: tensors, inputs, outputs, ...
        inputs, outputs = (
            [(ints(tensors[i], 0), tensor_type(tensors[i])) for i in ints(subgraph, slot)] for slot in (1, 2)
        )
        return inputs, outputs
    except (IndexError, struct.error) as exc:
        raise ValueError(f"not a readable TFLite flatbuffer ({exc})") from exc


def shape_problem(flatbuffer: bytes) -> str | None:
    """Why this flatbuffer is not a copy the app can run (96x96x3 uint8 in, 7 out), or None."""
    try:
        inputs, outputs = io_signature(flatbuffer)
    except ValueError as exc:
        return str(exc)
    want_in = [1, *INPUT_SHAPE]
    if len(inputs) != 1 or inputs[0] != (want_in, TFLITE_UINT8):
        return f"its input is {inputs}, not one uint8 tensor of shape {want_in}"
    if len(outputs) != 1 or outputs[0][0][-1:] != [NUM_CLASSES]:
        return f"its output is {outputs}, not {NUM_CLASSES} classes"
    return None


def matching_tflite(keras_path: str | Path, card: dict[str, Any] | None) -> Path | None:
    """The TFLite copy of ``keras_path`` if the card vouches that it is current and it fits.

    The caller decides whether the card is to be trusted at all (where it was written).
    """
    entry = card.get("tflite") if isinstance(card, dict) else None
    dest = tflite_path(keras_path)
    if not isinstance(entry, dict) or not dest.is_file() or entry.get("file") != dest.name:
        return None
    try:
        flatbuffer = dest.read_bytes()
        if file_sha256(keras_path) != entry.get("keras_sha256"):
            return None
    except OSError:
        return None
    if hashlib.sha256(flatbuffer).hexdigest() != entry.get("sha256"):
        return None
    problem = shape_problem(flatbuffer)
    if problem:
        log.warning("not using %s: %s", dest, problem)
        return None
    return dest
