"""The TFLite copies beside a model: where they live, and whether they are current and runnable.

The app runs its emotion model on a TFLite runtime (milliseconds to start, where
TensorFlow takes seconds): the int8 copy (``<model>.int8.tflite``, written by
``training.quantise``, recorded under the card's ``tflite.int8``) when current, else the
float copy (``<model>.tflite``, ``training.tflite``, the card's ``tflite``). A copy is used
only while the card vouches for it: the SHA-256 of the copy and of the ``.keras`` file
it was made from, so a stale copy is never used. Reading them needs no TensorFlow.
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


def int8_path(keras_path: str | Path) -> Path:
    return Path(keras_path).with_suffix(".int8.tflite")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def io_signature(
    flatbuffer: bytes, quantisations_out: list | None = None
) -> tuple[list[tuple[list[int], int]], list[tuple[list[int], int]]]:
    """The (shape, TensorType) of each input and output of a TFLite file's first subgraph.

    With a list as ``quantisations_out``, each input's (scales, zero points) are appended to it
    (empty lists for a float input).

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

    def numbers(t: Table, slot: int, flags, size: int) -> list:
        o = t.Offset(4 + 2 * slot)
        if not o:
            return []
        start = t.Vector(o)
        return [t.Get(flags, start + size * i) for i in range(t.VectorLen(o))]

    def quantisation(t: Table) -> tuple[list[float], list[int]]:
        o = t.Offset(4 + 2 * 4)  # Tensor: shape, type, buffer, name, quantization
        if not o:
            return [], []
        q = Table(buf, t.Indirect(t.Pos + o))  # QuantizationParameters: min, max, scale, zero_point
        return numbers(q, 2, nt.Float32Flags, 4), numbers(q, 3, nt.Int64Flags, 8)

    try:
        model = Table(buf, encode.Get(nt.UOffsetTFlags.packer_type, buf, 0))
        subgraph = tables(model, 2)[0]  # Model: version, operator_codes, subgraphs, ...
        tensors = tables(subgraph, 0)  # SubGraph: tensors, inputs, outputs, ...
        inputs, outputs = (
            [(ints(tensors[i], 0), tensor_type(tensors[i])) for i in ints(subgraph, slot)] for slot in (1, 2)
        )
        if quantisations_out is None:
            return inputs, outputs
        quantisations_out.extend(quantisation(tensors[i]) for i in ints(subgraph, 1))
        return inputs, outputs
    except (IndexError, struct.error) as exc:
        raise ValueError(f"not a readable TFLite flatbuffer ({exc})") from exc


def shape_problem(flatbuffer: bytes) -> str | None:
    """Why this flatbuffer is not a copy the app can run (96x96x3 uint8 in, 7 out), or None.

    A quantised input must take the pixels as they are (scale 1, zero point 0): the runtime
    feeds the crop's uint8 pixels with no conversion.
    """
    quantisations: list = []
    try:
        inputs, outputs = io_signature(flatbuffer, quantisations)
    except ValueError as exc:
        return str(exc)
    want_in = [1, *INPUT_SHAPE]
    if len(inputs) != 1 or inputs[0] != (want_in, TFLITE_UINT8):
        return f"its input is {inputs}, not one uint8 tensor of shape {want_in}"
    scales, zero_points = quantisations[0]
    if scales and (scales != [1.0] or zero_points not in ([], [0])):
        return f"its input is quantised with scale {scales} and zero point {zero_points}, not raw pixels"
    if len(outputs) != 1 or outputs[0][0][-1:] != [NUM_CLASSES]:
        return f"its output is {outputs}, not {NUM_CLASSES} classes"
    return None


def copy_problem(keras_path: str | Path, entry: Any, dest: Path) -> str | None:
    """Why the card's ``entry`` does not vouch for ``dest`` as a current, runnable copy, or None."""
    if not isinstance(entry, dict):
        return "the model card records no such copy"
    if entry.get("file") != dest.name:
        return f"the model card names {entry.get('file')!r}, not {dest.name}"
    if not dest.is_file():
        return f"{dest.name} is missing"
    try:
        flatbuffer = dest.read_bytes()
        if file_sha256(keras_path) != entry.get("keras_sha256"):
            return f"{dest.name} is stale: it was made from another version of {Path(keras_path).name}"
    except OSError as exc:
        return f"{dest.name} cannot be read ({exc.strerror or exc})"
    if hashlib.sha256(flatbuffer).hexdigest() != entry.get("sha256"):
        return f"{dest.name} is not the file its model card vouches for"
    problem = shape_problem(flatbuffer)
    return f"{dest.name} does not fit the app: {problem}" if problem else None


def int8_entry(card: Any) -> Any:
    entry = card.get("tflite") if isinstance(card, dict) else None
    return entry.get("int8") if isinstance(entry, dict) else None


def matching_tflite(keras_path: str | Path, card: dict[str, Any] | None) -> Path | None:
    """The float TFLite copy of ``keras_path`` if the card vouches that it is current and it fits.

    The caller decides whether the card is to be trusted at all (where it was written).
    """
    entry = card.get("tflite") if isinstance(card, dict) else None
    dest = tflite_path(keras_path)
    problem = copy_problem(keras_path, entry, dest)
    if problem and dest.is_file() and isinstance(entry, dict):
        log.debug("not using %s: %s", dest, problem)
    return None if problem else dest


def matching_int8(keras_path: str | Path, card: dict[str, Any] | None) -> Path | None:
    """The int8 copy of ``keras_path`` if the card vouches that it is current and it fits."""
    return (
        None if copy_problem(keras_path, int8_entry(card), int8_path(keras_path)) else int8_path(keras_path)
    )


def best_copy(keras_path: str | Path, card: dict[str, Any] | None) -> tuple[Path | None, str, list[str]]:
    """The copy the app should run: (file, "int8" or "float", why each better copy was passed over).

    The int8 copy first, then the float copy; (None, "", reasons) when neither is current.
    """
    reasons = []
    for kind, dest, entry in (
        ("int8", int8_path(keras_path), int8_entry(card)),
        ("float", tflite_path(keras_path), card.get("tflite") if isinstance(card, dict) else None),
    ):
        problem = copy_problem(keras_path, entry, dest)
        if problem is None:
            return dest, kind, reasons
        reasons.append(f"{kind} copy: {problem}")
    return None, "", reasons
