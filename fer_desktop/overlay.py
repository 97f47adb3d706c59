"""Draw results onto a frame with OpenCV.

The Live tab shows, and Snapshot saves, exactly the same annotated image.
"""

from __future__ import annotations

import cv2
import numpy as np

from fer_desktop.analyzer import FrameResult

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


def draw_results(image: np.ndarray, result: FrameResult, selected_id: int | None = None) -> np.ndarray:
    """A copy of ``image`` with a box, emotion and confidence per face."""
    out = image.copy()
    scale = max(0.5, min(out.shape[:2]) / 720.0)
    for face in result.faces:
        b = face.box
        colour = CLASS_COLOURS[int(np.argmax(face.probs))]
        thickness = 3 if face.track_id == selected_id else 2
        cv2.rectangle(out, (b.x, b.y), (b.x + b.w, b.y + b.h), colour, thickness)
        text = f"{face.emotion} {face.confidence:.0%}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        y_text = b.y - 4 if b.y - th - base - 4 >= 0 else b.y + b.h + th + 4
        cv2.rectangle(out, (b.x, y_text - th - base), (b.x + tw + 4, y_text + base), colour, cv2.FILLED)
        cv2.putText(out, text, (b.x + 2, y_text), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out
