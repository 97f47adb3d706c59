"""Scenes with known faces for the detection benchmark: videos and group photos.

Faces are cut from ``../shared/data/persons_dev`` (each performer's photos, so one person
keeps one face through changing expressions) and pasted with a soft edge onto textured
backgrounds (scikit-image's sample textures). Every pasted face's box is known: the near
model's box on the 256x256 source photo, scaled and moved with the paste.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

PERSONS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "persons_dev"
# A walk, in face widths per second (a face is about 15 cm wide: 6 is under a metre a second).
WALK_SPEED = 6.0
TEXTURES = ("brick", "gravel", "grass", "coffee", "rocket", "immunohistochemistry", "chelsea", "text")


@dataclass(frozen=True)
class Face:
    """A face in a scene: who, its box (x, y, w, h) and whether enough of it shows to count."""

    person: int
    box: tuple[float, float, float, float]
    visible: bool = True


@dataclass
class Source:
    image: np.ndarray
    box: tuple[float, float, float, float]  # the face in the photo


def load_people(root: Path = PERSONS, detector=None) -> list[list[Source]]:
    """Each performer's photos with their face box, one list per performer (sorted by id)."""
    from fer_desktop.pipeline.faces import FaceDetector

    if not root.is_dir():
        raise SystemExit(f"{root} not found: the benchmark needs ../shared/data/persons_dev")
    own = detector is None
    detector = detector or FaceDetector()
    people: dict[str, list[Source]] = defaultdict(list)
    for path in sorted(root.glob("*/*.jpg")):
        image = cv2.imread(str(path))
        boxes = detector.detect(image, far=False) if image is not None else []
        if len(boxes) == 1:
            b = boxes[0]
            people[path.name[:2]].append(Source(image, (b.x, b.y, b.w, b.h)))
    if own:
        detector.close()
    return [people[k] for k in sorted(people) if len(people[k]) >= 4]


def background(width: int, height: int, index: int) -> np.ndarray:
    """A textured backdrop: a sample texture tiled, with a few flat 'furniture' shapes."""
    from skimage import data

    texture = getattr(data, TEXTURES[index % len(TEXTURES)])()
    if texture.ndim == 2:
        texture = cv2.cvtColor(texture, cv2.COLOR_GRAY2BGR)
    texture = cv2.cvtColor(texture[:, :, :3], cv2.COLOR_RGB2BGR)
    reps = (height // texture.shape[0] + 1, width // texture.shape[1] + 1, 1)
    frame = np.ascontiguousarray(np.tile(texture, reps)[:height, :width])
    rng = np.random.default_rng(index)
    for _ in range(4):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(width // 10, width // 3)), int(rng.integers(height // 10, height // 3))
        cv2.rectangle(frame, (x0, y0), (x0 + w, y0 + h), [int(c) for c in rng.integers(0, 255, 3)], -1)
    return frame


def paste(frame: np.ndarray, source: Source, width: float, cx: float, cy: float) -> tuple[float, ...] | None:
    """Paste ``source``'s head so its face is ``width`` px wide and centred at (cx, cy); the
    face box in the frame, or None where the face would not fit in it."""
    bx, by, bw, bh = source.box
    scale = width / bw
    fx, fy = bx + bw / 2, by + bh / 2
    h, w = source.image.shape[:2]
    x0, y0 = max(0, round(fx - 0.85 * bw)), max(0, round(fy - 1.0 * bh))
    x1, y1 = min(w, round(fx + 0.85 * bw)), min(h, round(fy + 0.9 * bh))
    patch = cv2.resize(source.image[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ph, pw = patch.shape[:2]
    px, py = round(cx - (fx - x0) * scale), round(cy - (fy - y0) * scale)
    fh, fw = frame.shape[:2]
    face = (cx - width / 2, cy - bh * scale / 2, width, bh * scale)
    if face[0] < 0 or face[1] < 0 or face[0] + face[2] > fw or face[1] + face[3] > fh:
        return None
    mask = np.zeros((ph, pw), np.float32)
    cv2.ellipse(mask, (pw // 2, ph // 2), (pw // 2, ph // 2), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, pw / 16))[:, :, None]
    # The head may reach past the frame's edge; the face itself lies inside it.
    cx0, cy0, cx1, cy1 = max(0, -px), max(0, -py), min(pw, fw - px), min(ph, fh - py)
    patch, mask = patch[cy0:cy1, cx0:cx1], mask[cy0:cy1, cx0:cx1]
    region = frame[py + cy0 : py + cy1, px + cx0 : px + cx1].astype(np.float32)
    frame[py + cy0 : py + cy1, px + cx0 : px + cx1] = (mask * patch + (1 - mask) * region).astype(np.uint8)
    return face


def video_frames(
    people: list[list[Source]],
    face_px: int,
    size: tuple[int, int] = (640, 480),
    seconds: float = 30.0,
    fps: float = 30.0,
    index: int = 0,
) -> Iterator[tuple[np.ndarray, list[Face]]]:
    """Frames of a room: up to three people standing (swaying, a new expression every 3 s, the
    first hidden by a passing board for one second at 12 s) and one walking to and fro in
    front of them, a little lower, hiding each for a moment as their paths cross."""
    width, height = size
    room = background(width, height, index)
    standing = min(3, max(1, int(width // (face_px * 2.2))))
    crowd = [people[(index + k) % len(people)] for k in range(standing + 1)]
    row = max(height * 0.4, face_px * 1.1)
    slots = [(width * (k + 0.5) / standing, row) for k in range(standing)]
    for i in range(int(seconds * fps)):
        t = i / fps
        frame = room.copy()
        faces = []
        for k, (sx, sy) in enumerate(slots):
            photos = crowd[k]
            source = photos[int(t // 3 + k) % len(photos)]
            cx = sx + 0.1 * face_px * np.sin(t * 0.9 + k)
            cy = sy + 0.05 * face_px * np.sin(t * 1.3 + k)
            box = paste(frame, source, face_px, cx, cy)
            if box is not None:
                faces.append(Face(k, box))
        if 12.0 <= t < 13.0 and faces:  # a board passes in front of the first person
            x, y, w, h = faces[0].box
            cv2.rectangle(
                frame, (int(x - w), int(y - h)), (int(x + 2 * w), int(y + 2 * h)), (60, 90, 120), -1
            )
            faces[0] = Face(0, faces[0].box, visible=False)
        walker = crowd[standing]
        margin = face_px * 1.2
        span = width - 2 * margin
        lap = (t * WALK_SPEED * face_px / span) % 2.0
        wx = margin + (lap if lap <= 1.0 else 2.0 - lap) * span
        wy = min(row + face_px * 0.6, height - face_px * 0.75)
        box = paste(frame, walker[int(t // 3) % len(walker)], face_px, wx, wy)
        if box is not None:
            faces = [occluded(f, box) for f in faces] + [Face(standing, box)]
        yield frame, faces


def occluded(face: Face, front: tuple[float, ...]) -> Face:
    """``face`` marked hidden when the head pasted with the face ``front`` (the face box grown
    by the hair and cheeks around it) covers more than a third of it."""
    x, y, w, h = face.box
    bx, by, bw, bh = front
    fx, fy, fw, fh = bx - 0.35 * bw, by - 0.5 * bh, 1.7 * bw, 1.9 * bh
    ix = max(0.0, min(x + w, fx + fw) - max(x, fx))
    iy = max(0.0, min(y + h, fy + fh) - max(y, fy))
    return Face(face.person, face.box, face.visible and ix * iy < w * h / 3)


def group_photo(
    people: list[list[Source]],
    count: int,
    index: int,
    size: tuple[int, int] = (1600, 1200),
    face_px: tuple[int, int] = (70, 150),
) -> tuple[np.ndarray, list[Face]]:
    """A group photo: ``count`` people in rows, faces ``face_px`` wide, on a textured backdrop."""
    width, height = size
    frame = background(width, height, index + 100)
    rng = np.random.default_rng(1000 + index)
    cols = int(np.ceil(np.sqrt(count * width / height)))
    rows = int(np.ceil(count / cols))
    faces = []
    for k in range(count):
        r, c = divmod(k, cols)
        px = int(rng.integers(*face_px))
        cx = width * (c + 0.5) / cols + rng.uniform(-0.1, 0.1) * width / cols
        cy = height * (r + 0.5) / rows + rng.uniform(-0.1, 0.1) * height / rows
        photos = people[(index * count + k) % len(people)]
        box = paste(frame, photos[int(rng.integers(len(photos)))], px, cx, cy)
        if box is not None:
            faces.append(Face(k, box))
    return frame, faces


def matches(box, face: Face) -> bool:
    """A found box is on ``face`` when their centres lie within half a face of each other and
    their widths within a factor of two."""
    x, y, w, h = face.box
    bx, by, bw, bh = box
    close = abs(bx + bw / 2 - x - w / 2) < w / 2 and abs(by + bh / 2 - y - h / 2) < h / 2
    return close and 0.5 < bw / w < 2.0
