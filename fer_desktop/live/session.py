"""One Live session's state and rules, without Qt: the Live tab renders it.

What a run shows: its source and what is known of it, the last frame and result
(kept so a click, a Mirror toggle or a paused view can be redrawn without a new
frame), the selected face (kept while it stays in view, else the largest face),
the timeline's feed, the frame rate and latency lines, and what Snapshot and
Record take (the frame as drawn). A new source or a failure clears it all at
once, picture included, so nothing of an earlier run is shown as if it were
current; Stop keeps the picture (the user stopped on it and may still save it).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.live.playback import SourceInfo
from fer_desktop.live.snapshots import save_snapshot
from fer_desktop.live.timeline import EmotionTimeline
from fer_desktop.pipeline.analyzer import FaceResult, FrameResult
from fer_desktop.pipeline.overlay import draw_results

FPS_WINDOW = 30  # the frame rate is measured over the last this many arrivals
TIMELINE_REDRAW_S = 0.25  # the timeline redraws at most this often while frames arrive
DEFAULT_RECORD_FPS = 30.0  # a recording's frame rate when the source has none (a camera, a folder)
NO_FACES, NO_FPS = "Faces      -", "FPS        -"
NO_LATENCY = "Latency    - ms (faces    -, emotions    -)"
RUNTIME_NAMES = {"tflite-int8": "TFLite int8", "tflite": "TFLite", "tensorflow": "TensorFlow"}


class LiveSession:
    """The state of the Live tab's current run; ``clock`` is injectable for tests."""

    def __init__(self, source_spec: str, clock: Callable[[], float] = time.monotonic):
        self.source_spec = source_spec
        self.clock = clock
        self.timeline = EmotionTimeline()
        self._arrivals: deque[float] = deque(maxlen=FPS_WINDOW)
        self._timeline_drawn = 0.0
        self.reset()

    def reset(self, source_spec: str | None = None, keep_picture: bool = False) -> None:
        """Forget the previous run (optionally naming the next source).

        ``keep_picture`` (Stop): the last frame, its result and selection stay, so the view
        that still shows them can be redrawn (Mirror, a click) and saved (Snapshot).
        """
        if source_spec is not None:
            self.source_spec = source_spec
        self.source_info: SourceInfo | None = None
        self._arrivals.clear()
        self.timeline.clear()
        if not keep_picture:
            self.clear_picture()

    def clear_picture(self) -> None:
        """No frame any more (a failure, a new source): nothing to redraw, nothing for Snapshot."""
        self.selected_id: int | None = None
        self.last_image: np.ndarray | None = None  # the frame as shown (flipped when ``mirrored``)
        self.last_result: FrameResult | None = None
        self.mirrored = False  # whether last_image and last_result are the camera's frame flipped
        # The frame as drawn: what Snapshot and Record take.
        self.last_annotated: np.ndarray | None = None

    # -- frames ------------------------------------------------------------------
    def add(self, image: np.ndarray, result: FrameResult, mirrored: bool = False) -> None:
        """A new frame (``mirrored``: already flipped for display): the selection follows its face,
        or moves to the largest one."""
        self._arrivals.append(self.clock())
        if self.selected_id not in {f.track_id for f in result.faces}:
            largest = result.largest_face()
            self.selected_id = largest.track_id if largest else None
        self.last_image, self.last_result, self.mirrored = image, result, mirrored
        self.timeline.add(result)

    def set_mirror(self, on: bool) -> bool:
        """Show the last frame mirrored or not; True when it changed and must be redrawn.

        A paused video (or an ended one, or a stopped run) sends no new frame to show the
        toggle, so the kept frame and its boxes are flipped here; ids and selection stay.
        """
        if self.last_image is None or self.last_result is None or on == self.mirrored:
            return False
        self.last_image = cv2.flip(self.last_image, 1)
        self.last_result = self.last_result.mirrored(self.last_image.shape[1])
        self.mirrored = on
        return True

    def annotate(self) -> np.ndarray | None:
        """Draw the last frame with the current selection (None before the first frame)."""
        if self.last_image is None or self.last_result is None:
            return None
        self.last_annotated = draw_results(self.last_image, self.last_result, self.selected_id)
        return self.last_annotated

    def selected_face(self) -> FaceResult | None:
        if self.last_result is None:
            return None
        return next((f for f in self.last_result.faces if f.track_id == self.selected_id), None)

    def select_at(self, x: float, y: float) -> bool:
        """Select the face whose box holds the point; True when one does (the view is then redrawn)."""
        if self.last_result is None:
            return False
        for face in self.last_result.faces:
            b = face.box
            if b.x <= x <= b.x + b.w and b.y <= y <= b.y + b.h:
                self.selected_id = face.track_id
                return True
        return False

    def panel_title(self) -> str:
        face = self.selected_face()
        return "No face" if face is None else f"Face {face.track_id}: {face.emotion} {face.confidence:.0%}"

    def timeline_due(self, force: bool = False) -> bool:
        """Whether the timeline should be redrawn now: at most every ``TIMELINE_REDRAW_S``, unless forced."""
        now = self.clock()
        if force or now - self._timeline_drawn >= TIMELINE_REDRAW_S:
            self._timeline_drawn = now
            return True
        return False

    # -- numbers -----------------------------------------------------------------
    def fps(self) -> float | None:
        """Frames shown per second over the last arrivals; None until two have come."""
        if len(self._arrivals) < 2:
            return None
        return (len(self._arrivals) - 1) / max(self._arrivals[-1] - self._arrivals[0], 1e-6)

    def stats_lines(self, result: FrameResult | None) -> tuple[str, str | None, str]:
        """Faces, FPS and latency lines, fixed-width so a panel never resizes as the numbers change.

        The FPS line is None when it should stay as it was (one frame so far).
        """
        if result is None:
            return NO_FACES, NO_FPS, NO_LATENCY
        fps = self.fps()
        fps_line = None if fps is None else f"FPS    {min(fps, 999.9):5.1f}"
        total, detect, infer = (
            min(ms, 9999) for ms in (result.detect_ms + result.infer_ms, result.detect_ms, result.infer_ms)
        )
        latency = f"Latency {total:4.0f} ms (faces {detect:4.0f}, emotions {infer:4.0f})"
        return f"Faces    {len(result.faces):3d}", fps_line, latency

    # -- the source, Snapshot and Record -------------------------------------------
    @property
    def opened(self) -> bool:
        """The source is open (its frame rate known): Record may start."""
        return self.source_info is not None

    @property
    def is_camera(self) -> bool:
        """A live source (a camera): the one kind Reconnect can bring back.

        Known from the opened source; a source that never opened is a camera when its spec is
        a camera number (the rule ``live.sources.open_source`` applies).
        """
        if self.source_info is not None:
            return self.source_info.live
        return self.source_spec.strip().isdigit()

    @property
    def can_snapshot(self) -> bool:
        """There is a drawn frame for Snapshot to save."""
        return self.last_annotated is not None

    @property
    def record_fps(self) -> float:
        fps = self.source_info.fps if self.source_info is not None else None
        return fps or DEFAULT_RECORD_FPS

    def snapshot(self, folder: str | Path) -> Path | None:
        """Save the frame as drawn into ``folder``; None before any frame. Raises ``OSError``."""
        if self.last_annotated is None:
            return None
        return save_snapshot(self.last_annotated, folder)


def model_name(path: str | Path) -> str:
    """A model's short name: its file name, or its folder's for a trained ``…/<run>/model.keras``."""
    path = Path(path)
    return path.parent.name if path.stem == "model" else path.name


def model_text(
    path: str | Path, runtime: str | None, loading: str | Path | None = None, fallback: str | None = None
) -> str:
    """The model line: its name and runtime (None: not built yet), and the model being loaded;
    ``fallback``: why a faster copy of the model was passed over (the classifier's reason)."""
    shown = "chosen when a source starts" if runtime is None else RUNTIME_NAMES.get(runtime, runtime)
    if loading is not None:
        shown += f" (loading {model_name(loading)}…)"
    return f"Model: {model_name(path)}\nRuntime: {shown}" + (f"\n{fallback}" if fallback else "")
