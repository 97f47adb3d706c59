"""``fer-desktop video``: analyse a video file without the GUI and write a CSV."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fer_desktop.cli.options import (
    PIPELINE_TF_THREADS,
    add_margin,
    add_model,
    announce_model,
    chosen_model,
    fail,
)
from fer_desktop.pipeline.tracking import DEFAULT_SMOOTHING
from fer_desktop.write_errors import describe_write_error
from training.contract.wording import count


def add_parser(subparsers) -> argparse.ArgumentParser:
    video = subparsers.add_parser("video", help="analyse a video file without the GUI and write a CSV")
    video.add_argument("path", help="video file")
    video.add_argument(
        "--out", help="CSV to write (one row per face per frame; default: PATH with the extension .csv)"
    )
    video.add_argument(
        "--annotated",
        metavar="OUT.mp4",
        help="also write the video with the Live tab's boxes and labels (.mp4, .avi, .mkv, .mov, .m4v)",
    )
    video.add_argument(
        "--all-frames", action="store_true", help="a row with empty face fields for each frame without a face"
    )
    video.add_argument(
        "--summary", metavar="OUT.png", help="also draw each face's emotions over time and share of time"
    )
    add_model(video)
    video.add_argument(
        "--smoothing",
        type=float,
        default=DEFAULT_SMOOTHING,
        help=f"weight of past frames in each face's probabilities, 0..0.99 "
        f"(default {DEFAULT_SMOOTHING}; 0 = raw)",
    )
    add_margin(video)
    return video


def run(args: argparse.Namespace) -> int:
    from fer_desktop.live.sources import SourceError, VideoFileSource

    started = time.monotonic()
    video = Path(args.path)
    if video.is_dir():
        return fail(f"{video} is a folder, not a video file (for a folder of photos: fer-desktop label)")
    out = Path(args.out) if args.out else video.with_suffix(".csv")
    outputs = [p for p in (out, args.annotated, args.summary) if p]
    if video.exists() and any(Path(p).resolve() == video.resolve() for p in outputs):
        return fail(f"an output would replace the video itself: {video} (choose another --out/--annotated)")
    if len({Path(p).resolve() for p in outputs}) < len(outputs):
        return fail("--out, --annotated and --summary must be three different files")
    try:
        source = VideoFileSource(video)
    except SourceError as exc:
        return fail(str(exc))
    from fer_desktop.live.recording import RecordingError, SessionRecorder
    from fer_desktop.live.video_analysis import analyze_video
    from fer_desktop.models.classifier import ModelLoadError
    from fer_desktop.pipeline.analyzer import build_analyzer
    from fer_desktop.progress import Progress

    try:
        recorder = SessionRecorder(
            out,
            video_path=args.annotated,
            fps=source.fps,
            all_frames=args.all_frames,
            summary_path=args.summary,
        )
    except (RecordingError, OSError) as exc:
        source.close()
        return fail(describe_write_error(exc, exc.filename or out) if isinstance(exc, OSError) else str(exc))
    model_path, why = chosen_model(args)
    announce_model(model_path, why)
    try:
        analyzer = build_analyzer(
            model_path,
            smoothing=args.smoothing,
            margin=args.margin,
            tf_threads=PIPELINE_TF_THREADS,
        )
    except (ModelLoadError, RuntimeError) as exc:
        source.close()
        recorder.abort()
        return fail(str(exc))
    progress = Progress(source.frame_count)
    loop_started = time.monotonic()
    try:
        summary = analyze_video(source, analyzer, recorder, progress.update)
    except (OSError, SourceError, RecordingError) as exc:
        progress.finish(recorder.summary.frames)
        if not isinstance(exc, OSError):
            return fail(str(exc))
        for path in recorder.finished:  # the CSV and video are in place before the summary is drawn
            print(f"written: {path}", file=sys.stderr)
        return fail(describe_write_error(exc, _failed_output(exc, recorder)))
    finally:
        source.close()
        analyzer.close()
    progress.finish(summary.frames)
    loop_rate = summary.frames / max(time.monotonic() - loop_started, 1e-6)  # bench scripts parse it
    print(
        f"{count(summary.frames, 'frame')}, {count(summary.faces, 'face')} "
        f"({count(summary.frames_with_face, 'frame')} with a face) "
        f"in {time.monotonic() - started:.1f} s ({loop_rate:.1f} frames/s analysed)",
        file=sys.stderr,
    )
    for path in outputs:
        print(f"written: {path}", file=sys.stderr)
    return 0


def _failed_output(exc: OSError, recorder) -> str | Path:
    """The output a write error belongs to, not always ``--out``: the destination the error names,
    the summary once the CSV is in place (it is drawn last), else the CSV."""
    if exc.filename2:
        return exc.filename2
    if recorder.summary_path is not None and recorder.csv_path in recorder.finished:
        return recorder.summary_path
    return recorder.csv_path
