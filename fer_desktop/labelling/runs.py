"""Label every face in a folder of photos.

Plain Python, shared by ``fer-desktop label`` and the Label tab.  The photos
are only ever read; results are written atomically at the end, so an
interrupted run leaves either the previous output or none, never a
complete-looking half file.  A second run over the same folder with the same
model and options reuses the rows of photos that have not changed.

CSV columns ``path, face, x, y, w, h, emotion, confidence``, one per class and
``status`` are a contract: add, never rename.  ``confidence`` is the model's probability
of the row's ``emotion``: for a face a person corrected, of the human label, not of the
model's own answer (that one is ``model_confidence``, beside ``model_emotion``).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np

from fer_desktop.pipeline.faces import Box, FaceDetector, crop_face
from training.contract import atomic
from training.contract.labels import CLASS_NAMES
from training.contract.photos import PhotoError, read_photo
from training.contract.preprocess import CROP_MARGIN, INPUT_SIZE
from training.contract.wording import count

LABEL_COLUMNS = [
    "path", "face", "x", "y", "w", "h", "emotion", "confidence", *CLASS_NAMES,
    "status", "label_source", "model_emotion", "model_confidence", "face_source",
]  # fmt: skip
STATUS_OK = "ok"
STATUS_NO_FACE = "no face"
FACE_DETECTED = "detector"  # face_source: the face detector's box
FACE_WHOLE_IMAGE = (
    "whole image"  # face_source: the whole image taken as the face (--no-detect, or a user's choice)
)
T = TypeVar("T")


@dataclass
class LabelRow:
    """One face of one photo, or one photo without a usable face."""

    path: str  # relative to the labelled folder, with forward slashes
    status: str
    face: int | None = None
    box: Box | None = None
    probs: np.ndarray | None = None
    label_source: str = ""  # "model" or "human"
    human_emotion: str = ""
    crop: np.ndarray | None = field(default=None, repr=False)  # 96x96 BGR thumbnail
    face_source: str = ""  # FACE_DETECTED or FACE_WHOLE_IMAGE for a face

    @property
    def model_emotion(self) -> str:
        return "" if self.probs is None else CLASS_NAMES[int(np.argmax(self.probs))]

    @property
    def emotion(self) -> str:
        return self.human_emotion or self.model_emotion

    @property
    def confidence(self) -> float | None:
        """The model's probability of ``emotion``: never the model's certainty about another class."""
        if self.probs is None:
            return None
        return float(self.probs[CLASS_NAMES.index(self.emotion)])

    @property
    def model_confidence(self) -> float | None:
        """The model's probability of its own answer, ``model_emotion``."""
        return None if self.probs is None else float(np.max(self.probs))

    def caption(self) -> str:
        """``happy 81%``; a corrected face says both: ``sad ✎ (model: happy 81%)``."""
        if self.probs is None:
            return self.status
        if self.label_source == "human":
            return f"{self.emotion} ✎ (model: {self.model_emotion} {self.model_confidence:.0%})"
        return f"{self.emotion} {self.confidence:.0%}"

    def set_human_label(self, emotion: str) -> None:
        if emotion not in CLASS_NAMES:
            raise ValueError(f"unknown emotion {emotion!r}")
        self.human_emotion = emotion
        self.label_source = "human"

    def clear_human_label(self) -> None:
        """Back to the model's label (an undone correction)."""
        self.human_emotion = ""
        self.label_source = "model"

    def to_csv(self) -> list[str]:
        if self.box is None or self.probs is None:
            empty = [""] * (len(LABEL_COLUMNS) - 2)
            return [self.path, *empty[: LABEL_COLUMNS.index("status") - 1], self.status,
                    *empty[LABEL_COLUMNS.index("status") - 1 :]]  # fmt: skip
        b = self.box
        return [
            self.path, str(self.face), str(b.x), str(b.y), str(b.w), str(b.h), self.emotion,
            f"{self.confidence:.4f}", *(f"{p:.4f}" for p in self.probs), self.status,
            self.label_source, self.model_emotion, f"{self.model_confidence:.4f}", self.face_source,
        ]  # fmt: skip

    def to_json(self) -> dict:
        out: dict = {"path": self.path, "status": self.status}
        if self.box is not None and self.probs is not None:
            out.update(
                face=self.face,
                box=[self.box.x, self.box.y, self.box.w, self.box.h],
                emotion=self.emotion,
                confidence=round(self.confidence or 0.0, 4),
                probabilities={c: round(float(p), 4) for c, p in zip(CLASS_NAMES, self.probs, strict=True)},
                label_source=self.label_source,
                model_emotion=self.model_emotion,
                model_confidence=round(self.model_confidence or 0.0, 4),
                face_source=self.face_source,
            )
        return out

    @classmethod
    def from_csv(cls, row: dict[str, str]) -> LabelRow:
        if not row.get("face"):
            return cls(row["path"], row["status"])
        probs = np.array([float(row[c]) for c in CLASS_NAMES])
        box = Box(int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"]))
        label = cls(
            row["path"], row["status"], int(row["face"]), box, probs, row.get("label_source") or "model",
            face_source=row.get("face_source", ""),  # "" in a CSV written before the column
        )  # fmt: skip
        if label.label_source == "human":
            label.human_emotion = row["emotion"]
        return label


class PhotoLabeller:
    """Faces and emotions of one photo.  ``detector=None`` treats each image as a face crop.

    ``whole_image`` names photos (relative paths) a person chose to take whole as the face
    when the detector finds none there.
    """

    def __init__(
        self,
        classifier,
        detector: FaceDetector | None,
        margin: float = CROP_MARGIN,
        whole_image: frozenset[str] = frozenset(),
    ):
        self.classifier = classifier
        self.detector = detector
        self.margin = margin
        self.whole_image = whole_image

    @property
    def detects(self) -> bool:
        return self.detector is not None

    def label(self, rel: str, image: np.ndarray) -> list[LabelRow]:
        boxes, crops = find_faces(image, self.detector, self.margin)
        source = FACE_DETECTED if self.detector is not None else FACE_WHOLE_IMAGE
        if not boxes and rel in self.whole_image:
            boxes, crops = find_faces(image, None)
            source = FACE_WHOLE_IMAGE
        if not boxes:
            return [LabelRow(rel, STATUS_NO_FACE, crop=photo_thumbnail(image))]
        probs = self.classifier.predict(crops)
        return [
            LabelRow(
                rel, STATUS_OK, i, b, p.astype(np.float64), "model", crop=thumbnail(c), face_source=source
            )
            for i, (b, p, c) in enumerate(zip(boxes, probs, crops, strict=True))
        ]

    def label_decoded(self, rel: str, decoded: np.ndarray | PhotoError) -> list[LabelRow]:
        """The rows of one photo as ``read_photo`` left it: its faces, or why it has none."""
        if isinstance(decoded, PhotoError):
            return [LabelRow(rel, f"unreadable: {decoded}")]
        return self.label(rel, decoded)

    def label_files(self, root: Path, files: list[Path]) -> Iterator[tuple[Path, list[LabelRow]]]:
        """Each file's rows, in order; a file is labelled when its result is asked for."""
        for f, decoded in decoded_photos(files):
            yield f, self.label_decoded(f.relative_to(root).as_posix(), decoded)

    def close(self) -> None:
        """Close the classifier and detector: only for a labeller made by ``open_labeller``
        (the Label tab's classifier is leased, and closed by its engine)."""
        self.classifier.close()
        if self.detector is not None:
            self.detector.close()


def open_labeller(
    model_path: str | Path, detect: bool, margin: float, tf_threads: int | None
) -> PhotoLabeller:
    """A labeller with its own classifier and, with ``detect``, its own face detector.

    Raises ModelLoadError for a model the app refuses, RuntimeError when MediaPipe cannot start.
    """
    from fer_desktop.models.classifier import open_classifier

    classifier = open_classifier(model_path, tf_threads=tf_threads)
    try:
        detector = FaceDetector() if detect else None
    except RuntimeError:
        classifier.close()
        raise
    return PhotoLabeller(classifier, detector, margin)


@dataclass(frozen=True)
class Shard:
    """The ``index``-th (from 1) of ``count`` parts of a folder: every ``count``-th photo of its
    sorted file list, so a cluster's job array can split an archive without talking."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"``; ValueError saying what is wrong otherwise."""
        k, sep, n = text.partition("/")
        if not sep or not k.strip().isdigit() or not n.strip().isdigit():
            raise ValueError(f"{text!r} is not K/N (e.g. 2/8: the 2nd of 8 parts)")
        shard = cls(int(k), int(n))
        if shard.count < 1:
            raise ValueError(f"{text!r}: the number of parts must be 1 or more")
        if not 1 <= shard.index <= shard.count:
            raise ValueError(f"{text!r}: the part must be between 1 and {shard.count}")
        return shard

    def select(self, files: list[Path]) -> list[Path]:
        return files[self.index - 1 :: self.count]


def label_whole_images(root: Path, rels: list[str], classifier) -> dict[str, list[LabelRow]]:
    """Each photo taken whole as one face (through the same preprocessing as any crop): a person's choice
    for photos where the detector found none."""
    labeller = PhotoLabeller(classifier, None)
    out = {}
    for rel in rels:
        try:
            out[rel] = labeller.label(rel, read_photo(root / rel))
        except PhotoError as exc:
            out[rel] = [LabelRow(rel, f"unreadable: {exc}")]
    return out


def find_faces(
    image: np.ndarray, detector: FaceDetector | None, margin: float = CROP_MARGIN
) -> tuple[list[Box], list[np.ndarray]]:
    """Face boxes and their crops, as ``label`` classifies them (``fer-desktop eval --detect`` too).

    ``detector=None`` takes the whole image as one face crop. A photo without a face gets a
    second look for one that fills it (``FaceDetector.detect_close_up``): users label face
    crops and close selfies too.
    """
    if detector is None:
        h, w = image.shape[:2]
        return [Box(0, 0, w, h)], [image]
    boxes = detector.detect(image) or detector.detect_close_up(image)
    return boxes, [crop_face(image, b, margin) for b in boxes]


def photo_thumbnail(image: np.ndarray) -> np.ndarray:
    """A whole photo in a 96x96 square, its shape kept (grey bars): shown for a photo without a face."""
    h, w = image.shape[:2]
    scale = INPUT_SIZE / max(h, w)
    small = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    square = np.full((INPUT_SIZE, INPUT_SIZE, 3), 128, np.uint8)
    y, x = (INPUT_SIZE - small.shape[0]) // 2, (INPUT_SIZE - small.shape[1]) // 2
    square[y : y + small.shape[0], x : x + small.shape[1]] = small
    return square


def thumbnail(crop: np.ndarray) -> np.ndarray:
    interp = cv2.INTER_AREA if min(crop.shape[:2]) > INPUT_SIZE else cv2.INTER_LINEAR
    return cv2.resize(crop, (INPUT_SIZE, INPUT_SIZE), interpolation=interp)


def list_files(root: Path, exclude: list[Path]) -> list[Path]:
    """Every non-hidden file under ``root`` (sorted), except our own outputs."""
    return sorted(iter_files(root, exclude))


def iter_files(root: Path, exclude: list[Path]) -> Iterator[Path]:
    """:func:`list_files` in walk order, lazily: a caller that needs one file stops at the first,
    and hidden folders are never entered."""
    excluded = [e.resolve() for e in exclude]
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            f = Path(folder) / name
            if name.startswith(".") or not f.is_file():
                continue
            resolved = f.resolve()
            if any(resolved == e or e in resolved.parents for e in excluded):
                continue
            yield f


def file_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def model_id(model_path: Path) -> str:
    h = hashlib.sha256()
    with model_path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def state_path(out_csv: Path) -> Path:
    return out_csv.with_name(f".{out_csv.name}.fer-state.json")


def lock_path(out_csv: Path) -> Path:
    return out_csv.with_name(f".{out_csv.name}.lock")


class OutputBusyError(RuntimeError):
    """Another labelling run is writing the same ``--out``."""


@contextlib.contextmanager
def output_lock(out_csv: Path | None) -> Iterator[None]:
    """Hold ``out_csv``'s lock for a whole run: two runs on one output would mix their results.

    A second run is refused at once rather than queued: it may have been started by mistake,
    and the first one may take long.
    """
    if out_csv is None:
        yield
        return
    from filelock import FileLock, Timeout

    out_csv.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(out_csv))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise OutputBusyError(
            f"another labelling run is writing {out_csv}: wait for it to finish or choose another --out"
        ) from None
    try:
        yield
    finally:
        lock.release()


@dataclass
class PreviousRun:
    rows: dict[str, list[LabelRow]]
    files: dict[str, list[int]]


def load_previous(out_csv: Path, expected: dict) -> tuple[PreviousRun | None, str]:
    """Earlier results that may be reused, or None and the reason they may not."""
    state_file = state_path(out_csv)
    if not out_csv.exists() or not state_file.exists():
        return None, ""
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        with out_csv.open(newline="", encoding="utf-8") as fh:
            rows: dict[str, list[LabelRow]] = {}
            for row in csv.DictReader(fh):
                rows.setdefault(row["path"], []).append(LabelRow.from_csv(row))
        source = FACE_DETECTED if expected["options"]["detect"] else FACE_WHOLE_IMAGE
        for label in (r for rs in rows.values() for r in rs if r.status == STATUS_OK and not r.face_source):
            label.face_source = source  # an earlier version's CSV: the run's options say it
    except (OSError, ValueError, KeyError) as exc:
        return None, f"not reusing {out_csv.name}: it cannot be read back ({exc})"
    for key, what in (("model", "another model"), ("options", "other options"), ("root", "another folder")):
        if state.get(key) != expected[key]:
            return None, f"not reusing {out_csv.name}: it was made with {what}"
    return PreviousRun(rows, state.get("files", {})), ""


@dataclass
class LabelSummary:
    photos: int = 0
    faces: int = 0
    no_face: int = 0
    unreadable: int = 0
    reused: int = 0
    cancelled: bool = False
    emotions: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    note: str = ""
    crops: int = 0  # crop files written by --crops-to

    def text(self) -> str:
        parts = [
            f"{count(self.photos, 'photo')}: {count(self.faces, 'face')}, {self.no_face} without a face, "
            f"{self.unreadable} unreadable"
        ]
        if self.reused:
            parts.append(f"{count(self.reused, 'photo')} reused from the previous run")
        if self.emotions:
            parts.append(", ".join(f"{e} {n}" for e, n in sorted(self.emotions.items())))
        parts.append(f"{self.seconds:.1f} s ({self.photos / max(self.seconds, 1e-6):.1f} photos/s)")
        return "\n".join(parts)


def _decode(path: Path) -> np.ndarray | PhotoError:
    try:
        return read_photo(path)
    except PhotoError as exc:
        return exc


def decoded_photos(files: list[Path], workers: int = 2, ahead: int = 8) -> Iterator[tuple[Path, object]]:
    """Decode on helper threads (Pillow releases the GIL), in order, a few photos ahead."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photo-decode") as pool:
        yield from in_order(lambda f: pool.submit(_decode, f), files, ahead)


def in_order(submit: Callable[[T], Future], items: Iterable[T], ahead: int) -> Iterator[tuple[T, Any]]:
    """Each item with its result, in the items' order, with at most ``ahead`` submitted and unread.

    Bounded so that a cancelled run stops soon; what is still pending is cancelled on close.
    """
    pending: deque[tuple[T, Future]] = deque()
    it = iter(items)
    try:
        for item in it:
            pending.append((item, submit(item)))
            if len(pending) >= ahead:
                break
        while pending:
            item, fut = pending.popleft()
            for nxt in it:
                pending.append((nxt, submit(nxt)))
                break
            yield item, fut.result()
    finally:
        for _, fut in pending:
            fut.cancel()


def label_folder(
    root: str | Path,
    labeller: PhotoLabeller,
    *,
    model_key: str,
    out_csv: str | Path | None = None,
    json_out: str | Path | None = None,
    crops_to: str | Path | None = None,
    on_progress: Callable[[int, int, list[LabelRow]], None] | None = None,
    should_cancel: Callable[[], bool] = lambda: False,
    log: Callable[[str], None] = lambda _msg: None,
    shard: Shard | None = None,
) -> tuple[list[LabelRow], LabelSummary]:
    """Label every photo under ``root`` (or ``shard``'s part of them); write outputs only if the
    run completes.  ``labeller`` is a PhotoLabeller or anything with its ``detects``, ``margin``
    and ``label_files`` (``parallel_labelling.ProcessLabeller``).

    Raises OutputBusyError when another run holds ``out_csv``.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")
    out_csv = Path(out_csv) if out_csv else None
    with output_lock(out_csv):
        return _label_folder(root, labeller, model_key, out_csv, json_out, crops_to, on_progress,
                             should_cancel, log, shard)  # fmt: skip


def _label_folder(
    root: Path,
    labeller: PhotoLabeller,
    model_key: str,
    out_csv: Path | None,
    json_out: str | Path | None,
    crops_to: str | Path | None,
    on_progress: Callable[[int, int, list[LabelRow]], None] | None,
    should_cancel: Callable[[], bool],
    log: Callable[[str], None],
    shard: Shard | None,
) -> tuple[list[LabelRow], LabelSummary]:
    started = time.monotonic()
    outputs = [p for p in (out_csv, json_out, crops_to) if p]
    if out_csv:
        outputs += [state_path(out_csv), lock_path(out_csv)]
    files = list_files(root, [Path(p) for p in outputs])
    if shard is not None:
        files = shard.select(files)
    expected = {
        "model": model_key,
        "options": {"detect": labeller.detects, "margin": labeller.margin,
                    "crops_to": str(Path(crops_to).resolve()) if crops_to else None},
        "root": str(root.resolve()),
    }  # fmt: skip
    previous, note = load_previous(out_csv, expected) if out_csv else (None, "")
    if note:
        log(note)
    summary = LabelSummary(note=note)
    rows: list[LabelRow] = []
    keys: dict[str, list[int]] = {}
    todo: list[Path] = []
    by_path: dict[str, list[LabelRow]] = {}
    for f in files:
        rel = f.relative_to(root).as_posix()
        keys[rel] = file_key(f)
        if previous and previous.files.get(rel) == keys[rel] and rel in previous.rows:
            by_path[rel] = previous.rows[rel]
        else:
            todo.append(f)
    summary.reused = len(by_path)
    done = len(by_path)
    if on_progress:
        on_progress(done, len(files), [r for rs in by_path.values() for r in rs])
    with contextlib.closing(labeller.label_files(root, todo)) as labelled:
        for _ in todo:
            if should_cancel():  # before each photo is labelled (``next`` labels it)
                summary.cancelled = True
                break
            f, new = next(labelled)
            by_path[f.relative_to(root).as_posix()] = new
            done += 1
            if on_progress:
                on_progress(done, len(files), new)
    for f in files:
        rows.extend(by_path.get(f.relative_to(root).as_posix(), []))
    summary.photos = len(by_path)
    count_rows(rows, summary)
    summary.seconds = time.monotonic() - started
    if summary.cancelled:
        return rows, summary
    if crops_to:
        summary.crops = export_crops(rows, crops_to)
    if json_out:
        write_json(rows, json_out, root, model_key, summary)
    if out_csv:
        write_csv(rows, out_csv)
        done_keys = {r: k for r, k in keys.items() if r in by_path}
        atomic.write_json(state_path(out_csv), {**expected, "files": done_keys})
    return rows, summary


def count_rows(rows: list[LabelRow], summary: LabelSummary) -> LabelSummary:
    """Fill the face/no-face/unreadable and per-emotion counts of ``summary`` from ``rows``."""
    summary.faces = summary.no_face = summary.unreadable = 0
    summary.emotions = Counter()
    for r in rows:
        if r.status == STATUS_OK:
            summary.faces += 1
            summary.emotions[r.emotion] += 1
        elif r.status == STATUS_NO_FACE:
            summary.no_face += 1
        else:
            summary.unreadable += 1
    return summary


def write_csv(rows: list[LabelRow], out_csv: str | Path) -> None:
    with atomic.atomic_open(out_csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(LABEL_COLUMNS)
        writer.writerows(r.to_csv() for r in rows)


def write_json(
    rows: list[LabelRow], dest: str | Path, root: Path, model_key: str, summary: LabelSummary
) -> None:
    atomic.write_json(
        dest,
        {
            "root": str(root),
            "model": model_key,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "class_names": list(CLASS_NAMES),
            "summary": {"photos": summary.photos, "faces": summary.faces, "no_face": summary.no_face,
                        "unreadable": summary.unreadable, "emotions": dict(summary.emotions)},
            "rows": [r.to_json() for r in rows],
        },
    )  # fmt: skip


def crop_file_name(row: LabelRow) -> str:
    """A flat, unique file name for one face: ``a.jpg`` and ``a.png`` keep their extensions apart.

    Folders become ``__``; a path that already holds ``__`` (``x__a.jpg`` against ``x/a.jpg``)
    gets a short hash of the real path, so two faces never share a name.
    """
    flat = row.path.replace("/", "__")
    if "__" in row.path:
        flat += "-" + hashlib.sha256(row.path.encode("utf-8")).hexdigest()[:8]
    return f"{flat}__face{row.face}.png"


def export_crops(rows: list[LabelRow], dest: str | Path) -> int:
    """Write each face's 96x96 crop into ``dest/<emotion>/``: a class-folder dataset.

    A face exported earlier under another label (corrected since) is removed from there once
    its new file is written, so a re-export never leaves a face under two labels.
    """
    dest = Path(dest)
    written = 0
    for row in rows:
        if row.status != STATUS_OK or row.crop is None:
            continue
        name = crop_file_name(row)
        ok, buf = cv2.imencode(".png", row.crop)
        if not ok:
            continue
        with atomic.atomic_path(dest / row.emotion / name) as tmp:
            tmp.write_bytes(buf.tobytes())
        for other in CLASS_NAMES:
            if other != row.emotion:
                (dest / other / name).unlink(missing_ok=True)
        written += 1
    return written
