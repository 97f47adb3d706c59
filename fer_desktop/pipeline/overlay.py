"""Draw results onto a frame with OpenCV.

The Live tab shows, Snapshot saves and a recording writes exactly the same annotated image.
"""

from __future__ import annotations

import cv2
import numpy as np

from fer_desktop.pipeline.analyzer import FrameResult

# BGR colours per class, in class order.
CLASS_COLOURS = (
    (40, 40, 220),  # angry
    (40, 140, 60),  # disgust
    (160, 60, 160),  # fear
    (40, 200, 240),  # happy
    (200, 120, 40),  # sad
    (230, 200, 40),  # surprise
    (180, 180, 180),  # neutral
)
SELECTED_OUTLINE = (255, 255, 255)  # BGR: the selected face's box gets a white frame around it


def face_caption(track_id: int, emotion: str, confidence: float) -> str:
    """The text on a face's box: its id first, so "Face 2" in the panel and timeline can be found."""
    return f"Face {track_id}: {emotion} {confidence:.0%}"


def draw_results(image: np.ndarray, result: FrameResult, selected_id: int | None = None) -> np.ndarray:
    """A copy of ``image`` with a box, id, emotion and confidence per face; the selected face outlined."""
    out = image.copy()
    scale = max(0.5, min(out.shape[:2]) / 720.0)
    for face in result.faces:
        b = face.box
        colour = CLASS_COLOURS[int(np.argmax(face.probs))]
        if face.track_id == selected_id:
            cv2.rectangle(out, (b.x - 3, b.y - 3), (b.x + b.w + 3, b.y + b.h + 3), SELECTED_OUTLINE, 2)
            cv2.rectangle(out, (b.x, b.y), (b.x + b.w, b.y + b.h), colour, 4)
        else:
            cv2.rectangle(out, (b.x, b.y), (b.x + b.w, b.y + b.h), colour, 2)
        text = face_caption(face.track_id, face.emotion, face.confidence)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        y_text = b.y - 6 if b.y - th - base - 6 >= 0 else b.y + b.h + th + 6
        x_text = max(0, min(b.x, out.shape[1] - tw - 4))  # a face at the right edge keeps its caption whole
        cv2.rectangle(out, (x_text, y_text - th - base), (x_text + tw + 4, y_text + base), colour, cv2.FILLED)
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(out, text, (x_text + 2, y_text), font, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out
