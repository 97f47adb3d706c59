"""The `fer` package's side of the comparison; runs in its own environment (bench/.venv-fer).

Standalone on purpose: it imports only `fer`, OpenCV and NumPy, never FER Desktop.

    python fer_side.py accuracy IMAGES.npz OUT.npy   # class probabilities of 48x48 crops
    python fer_side.py video VIDEO                   # detect + classify every frame
    python fer_side.py photos FOLDER                 # detect + classify every photo
Prints one JSON line with its figures.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

FER_ORDER = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def accuracy(images_npz: str, out: str) -> dict:
    from fer.fer import FER

    # No extra offsets: the crops are exactly FER2013's own face crops, which is
    # what fer's mini-Xception was trained on.
    detector = FER(offsets=(0, 0))
    images = np.load(images_npz)["images"]
    probs = np.zeros((len(images), len(FER_ORDER)), dtype=np.float32)
    start = time.perf_counter()
    for i, gray in enumerate(images):
        bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        h, w = gray.shape
        result = detector.detect_emotions(bgr, face_rectangles=[(0, 0, w, h)])
        if result:
            probs[i] = [result[0]["emotions"][c] for c in FER_ORDER]
    np.save(out, probs)
    return {"images": len(images), "seconds": time.perf_counter() - start}


def video(path: str) -> dict:
    from fer.fer import FER

    detector = FER()  # its defaults: Haar cascade + mini-Xception (TFLite)
    cap = cv2.VideoCapture(path)
    frames = faces = 0
    start = time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        faces += len(detector.detect_emotions(frame))
        frames += 1
    loop = time.perf_counter() - start
    return {"frames": frames, "faces": faces, "loop_seconds": loop, "loop_fps": frames / loop}


def photos(folder: str) -> dict:
    from fer.fer import FER

    detector = FER()
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
    faces = 0
    start = time.perf_counter()
    for f in files:
        img = cv2.imread(str(f))
        if img is not None:
            faces += len(detector.detect_emotions(img))
    loop = time.perf_counter() - start
    return {"photos": len(files), "faces": faces, "loop_seconds": loop, "photos_per_s": len(files) / loop}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"accuracy": accuracy, "video": video, "photos": photos}[command](*args)
    print("RESULT " + json.dumps(result))
