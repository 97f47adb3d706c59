"""Faces frame after frame in a video, near and far, for little more than the near model's cost.

The far model costs about six times the near one, too much for every frame. A video asks
for it on its first frame and then once every ``far_every`` seconds; a far face it found is
then looked for every frame around where it was (the near model on a view three faces
wide, where it fills a third), and for up to ``keep`` seconds after it was last seen, so a
face that turns away or is hidden for a moment is picked up again where it went.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer_desktop.pipeline.faces import SURE_SHARE, Box, FaceDetector

FAR_EVERY_S = 1.0
KEEP_S = 1.0
# A face below this share of the frame's longer side is followed: the whole-frame near pass
# does not find it every time.
FOLLOW_SHARE = SURE_SHARE


@dataclass
class _Followed:
    box: Box
    seen: float  # source time it was last found


class FaceFinder:
    """The faces of successive frames of one source; ``reset`` when the source changes."""

    def __init__(self, detector: FaceDetector, far_every: float = FAR_EVERY_S, keep: float = KEEP_S):
        self.detector = detector
        self.far_every = far_every
        self.keep = keep
        self._followed: list[_Followed] = []
        self._far_at: float | None = None
        self._last: list[Box] = []  # the faces of the frame before

    def reset(self) -> None:
        self._followed.clear()
        self._far_at = None
        self._last = []

    def find(self, image: np.ndarray, time: float) -> list[Box]:
        far = self._far_at is None or not 0.0 <= time - self._far_at < self.far_every
        if far:
            self._far_at = time
        boxes = self.detector.detect(image, far=far, hints=[f.box for f in self._followed], known=self._last)
        self._remember(boxes, time, max(image.shape[:2]))
        self._last = boxes
        return boxes

    def _remember(self, boxes: list[Box], time: float, side: int) -> None:
        kept = [f for f in self._followed if 0.0 <= time - f.seen <= self.keep]
        for box in boxes:
            if max(box.w, box.h) >= FOLLOW_SHARE * side:
                continue
            kept = [f for f in kept if f.box.iou(box) <= 0.1]
            kept.append(_Followed(box, time))
        self._followed = kept
