"""How many faces the app finds, where it sees faces that are not there, and how ids hold.

    .venv/bin/python -m bench.bench_faces [--sizes 24 32 48 64 96 128 200] [--seconds 30]
        [--photos 20] [--hd] [--tracker iou|norfair]

Writes its scenes from ``../shared/data/persons_dev`` faces (see ``bench/face_scenes.py``):
for each face width, a 30 s 640x480 room video with up to three people standing (a new
expression every 3 s, one hidden for a second) and one walking across in front of them;
group photos of 6 and of 9 people at 1600x1200; with ``--hd`` the 1280x720 room too.
Videos go through ``FrameAnalyzer`` as the Live tab and ``fer-desktop video`` run it;
photos through ``find_faces`` as ``fer-desktop label`` does. Per row it prints faces found
(share of visible faces with a shown box on them), boxes on no face (per frame or photo),
ids per person, and milliseconds per frame (median of detection plus classification).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

from bench.face_scenes import group_photo, load_people, matches, video_frames


def run_video(analyzer, people, face_px: int, size: tuple[int, int], seconds: float, index: int) -> dict:
    from fer_desktop.pipeline.frame import Frame

    analyzer.new_source()
    fps = 30.0
    seen = shown = phantoms = frames = 0
    ids: dict[int, set[int]] = defaultdict(set)
    ms = []
    for i, (image, faces) in enumerate(video_frames(people, face_px, size, seconds, fps, index)):
        start = time.perf_counter()
        result = analyzer.analyze(Frame(image, i, i / fps))
        ms.append((time.perf_counter() - start) * 1000.0)
        frames += 1
        owner = assign(result.faces, faces)
        phantoms += sum(1 for f in result.faces if id(f) not in owner)
        for g in faces:
            hits = [f for f in result.faces if owner.get(id(f)) is g]
            if g.visible:
                seen += 1
                shown += bool(hits)
            for f in hits:
                ids[g.person].add(f.track_id)
    people_seen = max(1, len(ids))
    return {
        "found": shown / max(1, seen),
        "phantoms": phantoms / max(1, frames),
        "ids": sum(len(v) for v in ids.values()) / people_seen,
        "ms": statistics.median(ms),
    }


def assign(shown: list, faces: list) -> dict[int, object]:
    """Each shown face's person: of the faces its box is on, the one whose centre is nearest
    (where two overlap, a box on one is not counted on the other too)."""
    owner = {}
    for f in shown:
        box = (f.box.x, f.box.y, f.box.w, f.box.h)
        on = [g for g in faces if matches(box, g)]
        if on:
            cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
            owner[id(f)] = min(
                on, key=lambda g: (g.box[0] + g.box[2] / 2 - cx) ** 2 + (g.box[1] + g.box[3] / 2 - cy) ** 2
            )
    return owner


def run_photos(detector, people, count: int, photos: int) -> dict:
    from fer_desktop.labelling.labeller import find_faces

    total = found = phantoms = 0
    ms = []
    for index in range(photos):
        image, faces = group_photo(people, count, index)
        start = time.perf_counter()
        boxes, _ = find_faces(image, detector)
        ms.append((time.perf_counter() - start) * 1000.0)
        found_boxes = [(b.x, b.y, b.w, b.h) for b in boxes]
        total += len(faces)
        found += sum(any(matches(b, g) for b in found_boxes) for g in faces)
        phantoms += sum(not any(matches(b, g) for g in faces) for b in found_boxes)
    return {"found": found / max(1, total), "phantoms": phantoms / photos, "ms": statistics.median(ms)}


def norfair_analyzer(analyzer):
    """The same analyzer with norfair's tracker in place of the app's (for comparison only)."""
    from bench.norfair_tracker import NorfairTracker

    analyzer.tracker = NorfairTracker()
    return analyzer


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 32, 48, 64, 96, 128, 200])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--photos", type=int, default=20, help="group photos of each size (6 and 9 people)")
    parser.add_argument("--hd", action="store_true", help="also the room at 1280x720 (faces from 51 px)")
    parser.add_argument("--tracker", choices=["iou", "norfair"], default="iou")
    args = parser.parse_args()

    from fer_desktop.paths import default_model_path
    from fer_desktop.pipeline.analyzer import build_analyzer
    from fer_desktop.pipeline.faces import FaceDetector

    people = load_people()
    analyzer = build_analyzer(default_model_path())
    if args.tracker == "norfair":
        analyzer = norfair_analyzer(analyzer)
    print(f"{len(people)} people; tracker: {args.tracker}")
    print("| scene | face width | faces found | boxes on no face | ids per person | ms per frame |")
    print("|---|---|---|---|---|---|")
    rooms = [((640, 480), s) for s in args.sizes]
    if args.hd:
        rooms += [((1280, 720), s) for s in (51, 64, 96, 128)]
    for size, face_px in rooms:
        # The scene depends on the room alone, so runs with other --sizes or --tracker see it too.
        index = face_px + (size[0] // 640 - 1) * 7
        r = run_video(analyzer, people, face_px, size, args.seconds, index)
        print(
            f"| room {size[0]}x{size[1]} | {face_px} px ({face_px / size[0]:.1%}) | {r['found']:.1%} | "
            f"{r['phantoms']:.3f} per frame | {r['ids']:.2f} | {r['ms']:.1f} |",
            flush=True,
        )
    analyzer.close()
    if args.photos:
        with FaceDetector() as detector:
            for count in (6, 9):
                r = run_photos(detector, people, count, args.photos)
                print(
                    f"| group photo 1600x1200, {count} people | 70-150 px | {r['found']:.1%} | "
                    f"{r['phantoms']:.2f} per photo | - | {r['ms']:.1f} per photo |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
