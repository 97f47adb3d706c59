"""The faces ``bench.bench_person`` works on, found once and cached outside the repository.

persons_dev photos and sfew_dev stills are cropped exactly as ``personalize``
crops a user's photos (``collect_photos`` with the face detector and ``label``'s
margin), FER2013 PublicTest images are used as they are.  Detection is the slow
part of a run, so the crops are cached as ``.npz`` files (``--cache``, default
``/tmp/person-cache``): derived images stay out of the repository.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
NEUTRAL_WAY = "01"  # persons_dev: the neutral photos' "way of posing"


@dataclass
class Faces:
    """Crops (N, 96, 96, 3) uint8, class indices and file names relative to the data folder."""

    images: np.ndarray
    labels: np.ndarray
    paths: list[str]

    def subset(self, index: np.ndarray) -> Faces:
        return Faces(self.images[index], self.labels[index], [self.paths[i] for i in index])


def performer(path: str) -> str:
    """persons_dev ``<emotion>/PPMNxTT.jpg``: ``PP``, the performer."""
    return Path(path).name[:2]


def way(path: str) -> str:
    """persons_dev ``<emotion>/PPMNxTT.jpg``: ``MN``, the way of posing (``01`` neutral)."""
    return Path(path).name[2:4]


def _cached(cache: Path, name: str, make) -> Faces:
    path = cache / f"{name}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return Faces(z["images"], z["labels"], [str(p) for p in z["paths"]])
    faces = make()
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, images=faces.images, labels=faces.labels, paths=np.asarray(faces.paths))
    tmp.replace(path)
    return faces


def detected_faces(folder: Path) -> Faces:
    """Every face of ``folder/<emotion>/`` as ``personalize`` finds it (largest face, label's margin)."""
    from fer_desktop.personal.fine_tune import collect_photos
    from fer_desktop.pipeline.faces import CROP_MARGIN, FaceDetector

    detector = FaceDetector()
    try:
        photos = collect_photos(folder, detector, CROP_MARGIN)
    finally:
        detector.close()
    print(f"{folder.name}: {photos.summary()}", file=sys.stderr)
    return Faces(photos.images, photos.labels, photos.paths)


def persons(cache: Path, folder: Path = DATA / "persons_dev") -> Faces:
    return _cached(cache, "persons_dev", lambda: detected_faces(folder))


def sfew_subset(cache: Path, n: int, seed: int = 0, folder: Path = DATA / "sfew_dev") -> Faces:
    """A fixed random ``n`` of sfew_dev's detected faces (the same ``n`` and seed: the same faces)."""
    faces = _cached(cache, "sfew_dev", lambda: detected_faces(folder))
    keep = np.sort(np.random.default_rng(seed).permutation(len(faces.labels))[:n])
    return faces.subset(keep)


def public_subset(cache: Path, n: int, seed: int = 0, folder: Path = DATA / "fer2013") -> Faces:
    """A fixed random ``n`` of FER2013 PublicTest (the loader sorts by class: hence the shuffle)."""

    def load() -> Faces:
        from training import datasets

        public = datasets.load_kaggle_folders(folder, "public")
        return Faces(public.images, public.labels, [str(p) for p in public.paths])

    faces = _cached(cache, "fer2013_public", load)
    keep = np.sort(np.random.default_rng(seed).permutation(len(faces.labels))[:n])
    return faces.subset(keep)
