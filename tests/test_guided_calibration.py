"""The guided calibration's state machine, without Qt, on a fake clock and stores the test owns."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from fer_desktop.personal import guided
from fer_desktop.personal.captures import CalibrationStore, check_dir
from fer_desktop.personal.guided import (
    CAPTURE,
    CHECK,
    COUNTDOWN,
    DONE,
    FAILED,
    STEPS,
    TIMINGS,
    GuidedRun,
    check_text,
)
from fer_desktop.pipeline.faces import Box
from training.contract.labels import CLASS_NAMES


@pytest.fixture
def stores(tmp_path):
    root = tmp_path / "calibration"
    return CalibrationStore(root), CalibrationStore(check_dir(root))


class Frames:
    """A new crop each call (a moving face), so the store's duplicate rule never refuses one."""

    def __init__(self, face: np.ndarray):
        self.face, self.n = face, 0

    def __call__(self) -> np.ndarray:
        self.n += 1
        return np.roll(self.face, 25 * self.n, axis=1)


def feed(run: GuidedRun, frames: Frames, start: float, end: float, every: float = 0.35) -> list:
    """Offer a crop every ``every`` seconds from ``start`` up to (not including) ``end``."""
    stored, t = [], start
    while t < end - 1e-9:
        stored.append(run.offer(frames(), t))
        t += every
    return stored


def test_shipped_durations_and_steps():
    assert (TIMINGS.countdown, TIMINGS.second) == (3, 1.0)
    assert (TIMINGS.capture_s, TIMINGS.rest_capture_s, TIMINGS.check_s) == (3.0, 5.0, 1.5)
    assert STEPS[0].emotion == "neutral" and STEPS[0].rest and "five seconds" in STEPS[0].hint
    assert sorted(s.emotion for s in STEPS) == sorted(CLASS_NAMES)
    assert STEPS[1].hint == "Smile: happy — a broad smile that reaches the eyes"


def test_countdown_stores_nothing_capture_stores_under_the_step_and_nothing_after_the_end(stores, face_crop):
    store, check = stores
    frames = Frames(face_crop)
    run = GuidedRun(store, check, now=100.0, steps=STEPS[:2])  # rest face, then happy
    view = run.view(100.0)
    assert (view.phase, view.progress, view.big, view.title) == (COUNTDOWN, "1 of 2", "3", "Rest face")
    assert run.view(101.2).big == "2" and run.view(102.5).big == "1"
    assert feed(run, frames, 100.0, 103.0) == [None] * 9 and store.total() == 0  # 3-2-1: nothing
    assert run.emotion_now(103.0) == "neutral" and run.view(103.0).big == "Capturing… 5 s"
    stored = [p for p in feed(run, frames, 103.0, 108.0) if p]  # five seconds of rest face
    assert len(stored) >= 10 and store.photos("neutral") == stored and store.total() == len(stored)
    assert run.view(108.0).progress == "2 of 2" and run.emotion_now(108.5) is None  # happy's countdown
    assert all(p is None for p in feed(run, frames, 108.0, 111.0)) and store.counts()["happy"] == 0
    feed(run, frames, 111.0, 114.0)
    assert store.counts()["happy"] >= 6 and len(run.photos()) == store.total()

    # The check round: a countdown, 1.5 s per captured emotion, into the check store only.
    before = store.counts()
    view = run.view(114.0)
    assert (view.round, view.progress, view.phase) == (CHECK, "Check 1 of 2", COUNTDOWN)
    assert view.title == "Check: neutral"
    assert all(p is None for p in feed(run, frames, 114.0, 117.0)) and check.total() == 0
    feed(run, frames, 117.0, 118.5)
    assert check.counts()["neutral"] >= 4 and check.counts()["happy"] == 0
    feed(run, frames, 118.5, 123.0)  # happy's check: countdown, then capture
    assert check.counts()["happy"] >= 2 and store.counts() == before  # training photos untouched
    assert run.view(123.0).phase == DONE and not run.active
    assert "done" in run.view(123.0).big
    totals = store.total(), check.total()
    assert all(p is None for p in feed(run, frames, 123.0, 140.0))  # nothing after the end
    assert (store.total(), check.total()) == totals


def test_skip_keeps_photos_and_redo_removes_only_this_runs_photos_of_the_step(stores, face_crop):
    store, check = stores
    frames = Frames(face_crop)
    earlier = store.offer("happy", np.roll(face_crop, 7, axis=0), now=0.0)  # a photo from before the run
    run = GuidedRun(store, check, now=10.0, steps=STEPS[:3])
    run.skip(11.0)  # the rest face skipped during its countdown
    assert run.view(11.0).progress == "2 of 3" and run.emotion_now(11.5) is None
    feed(run, frames, 14.0, 16.0)  # happy's capture from 14 s
    taken = run.photos()
    assert taken and store.counts()["happy"] == 1 + len(taken)
    assert run.redo(16.0) == len(taken)
    assert store.photos("happy") == [earlier] and run.photos() == []  # the earlier photo stays
    view = run.view(16.0)
    assert (view.phase, view.progress, view.big) == (COUNTDOWN, "2 of 3", "3")  # the step again
    feed(run, frames, 19.0, 22.0)
    assert run.view(22.0).progress == "3 of 3" and store.counts()["happy"] > 1
    run.skip(23.0)  # surprise skipped: the check round has happy only
    assert run.check_steps == (STEPS[1],) and run.view(23.0).progress == "Check 1 of 1"
    run.skip(23.5)
    assert run.phase == DONE and store.counts()["happy"] > 1 and check.total() == 0  # skip keeps photos
    run.cancel()
    assert run.phase == DONE


def test_cancel_keeps_the_photos_and_a_run_with_nothing_captured_has_no_check(stores, face_crop):
    store, check = stores
    frames = Frames(face_crop)
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    feed(run, frames, 3.0, 4.0)
    kept = store.total()
    run.cancel()
    assert kept > 0 and store.total() == kept and not run.active and "cancelled" in run.view(5.0).big
    assert all(p is None for p in feed(run, frames, 5.0, 20.0)) and store.total() == kept

    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    run.skip(0.5)
    run.skip(1.0)
    assert run.phase == DONE and run.check_steps == ()


def test_a_failing_write_ends_the_run_with_the_reason_in_words(stores, face_crop, monkeypatch):
    store, check = stores

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    monkeypatch.setattr(store, "offer", full)
    assert run.offer(face_crop, 3.5) is None
    view = run.view(3.6)
    assert view.phase == FAILED and not view.active and "the disk is full" in view.message
    assert view.big == view.message and run.emotion_now(4.0) is None


def test_short_timings_and_the_check_text():
    timings = guided.Timings(countdown=3, second=0.1, capture_s=0.4, rest_capture_s=0.5, check_s=0.2)
    run = GuidedRun(CalibrationStore(), CalibrationStore(), now=0.0, timings=timings, steps=STEPS[:1])
    assert run.view(0.05).big == "3" and run.view(0.25).big == "1" and run.view(0.31).phase == CAPTURE
    assert run.view(0.85).phase == DONE  # nothing captured: no check round
    happy, sad = {"n": 5, "before": 2, "after": 5}, {"n": 4, "before": 1, "after": 1}
    check = {"per_emotion": {"happy": happy, "sad": sad}}
    assert check_text(check) == "happy 2/5 → 5/5 · sad 1/4 → 1/4" and check_text(None) == ""


def test_a_personal_model_gets_a_readable_name_and_its_card_the_check_line(monkeypatch):
    import datetime

    from fer_desktop.models import catalogue
    from fer_desktop.models.catalogue import new_model_dir, personal_model_dir
    from training.personal_card import personal_card_markdown

    day = datetime.date(2026, 12, 4)
    first = personal_model_dir(day)
    assert first.name == "my face, 4 Dec" and not first.exists()
    first.mkdir(parents=True)
    assert personal_model_dir(day).name == "my face, 4 Dec (2)"
    monkeypatch.setattr(catalogue.time, "strftime", lambda pattern: pattern.replace("%Y%m%d-%H%M%S", "stamp"))
    trained = new_model_dir("model")
    trained.mkdir()
    assert new_model_dir("model").name == f"{trained.name}-2"  # trained models keep their stamp
    card = {
        "name": first.name,
        "base": {"path": "base.keras", "sha256": "0" * 64},
        "training": {"steps_run": 3, "wall_time_s": 1.0},
        "check": {"n": 9, "per_emotion": {"happy": {"n": 5, "before": 2, "after": 5}}},
    }
    text = personal_card_markdown(card)
    assert text.startswith("# Model card: my face, 4 Dec") and "happy 2/5 → 5/5" in text


def test_a_redo_whose_delete_fails_keeps_the_photos_and_stops_the_run(stores, face_crop, monkeypatch):
    store, check = stores
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    feed(run, Frames(face_crop), 3.0, 5.0)
    taken = run.photos()

    def refuse(_paths):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(store, "delete_photos", refuse)
    assert taken and run.redo(5.0) == 0
    assert run.phase == FAILED and "not deleted" in run.message and "Permission denied" in run.message
    assert store.photos("neutral") == taken and run.photos() == taken


def fill(store: CalibrationStore, emotion: str, n: int) -> None:
    """``n`` photos of ``emotion`` from before the run (plain grey squares)."""
    import cv2

    folder = store.root / emotion
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        cv2.imwrite(str(folder / f"{i:04d}.png"), np.full((48, 48, 3), 100, np.uint8))


def test_a_full_emotion_is_said_at_the_start_in_its_step_and_in_the_summary(stores, face_crop):
    from fer_desktop.personal.captures import MAX_PER_EMOTION

    store, check = stores
    fill(store, "happy", MAX_PER_EMOTION)
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    full = "happy already has 30 photos: delete some to capture more"
    assert run.full == ["happy"] and run.full_text() == full
    assert run.view(0.0).note == ""  # the rest face is not full
    run.skip(0.5)
    assert run.view(0.5).note == full  # said in the step's countdown already
    feed(run, Frames(face_crop), 3.5, 6.5)
    assert store.counts()["happy"] == MAX_PER_EMOTION and run.photos() == []
    run.tick(7.0)
    summary = run.view(7.0).big
    assert run.phase == DONE and full in summary and "Fine-tune" not in summary

    fill(store, "neutral", MAX_PER_EMOTION - 2)  # full during the run: two more, then none
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:1])
    assert run.full == []  # happy is not a step of this run
    feed(run, Frames(face_crop), 3.0, 8.0)
    assert len(run.photos()) == 2 and "neutral" in run.full
    assert run.note().startswith("neutral already has 30 photos")


def test_a_new_check_round_sets_the_previous_runs_check_photos_aside_and_scores_trained_emotions(
    stores, face_crop
):
    from fer_desktop.personal.fine_tune import check_photos

    store, check = stores
    frames = Frames(face_crop)
    first = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    feed(first, frames, 3.0, 16.0)
    feed(first, frames, 16.0, 27.0)
    assert first.phase == DONE and check.counts()["happy"] > 0 and check.counts()["neutral"] > 0
    first_check = check.total()
    second = GuidedRun(store, check, now=100.0, steps=STEPS[:1])  # the rest face only
    feed(second, frames, 103.0, 108.0)
    assert second.view(108.0).round == CHECK and check.total() == 0  # the first run's are no longer in use
    assert check.set_aside_total() == first_check  # but kept, set aside
    feed(second, frames, 108.0, 113.0)
    assert second.phase == DONE and sorted(check.photos("neutral")) == sorted(second.photos(CHECK))
    neutral = CLASS_NAMES.index("neutral")
    _images, labels = check_photos(check.root, {neutral})
    assert len(labels) == len(second.photos(CHECK)) and set(labels.tolist()) == {neutral}
    assert check_photos(check.root, {CLASS_NAMES.index("happy")}) is None  # not trained on: no score


def test_a_step_takes_only_the_face_selected_when_it_began_and_says_when_none_is_seen(stores, face_crop):
    store, check = stores
    frames = Frames(face_crop)
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    assert run.offer(frames(), 1.0, track=7) is None  # the countdown: the step's face is 7
    assert run.offer(frames(), 3.2, track=7) is not None
    assert run.offer(frames(), 3.6, track=8) is None  # the selection jumped to a bystander
    assert run.view(3.6).note == "Another face is selected: its photos are not taken"
    assert run.offer(frames(), 4.0, track=7) is not None and run.view(4.0).note == ""
    assert run.view(4.4).big.startswith("Capturing") and run.view(4.4).face
    view = run.view(4.6)  # no face offered for 0.6 s
    assert view.big == "No face selected" and not view.face
    run.skip(5.0)  # the next step takes the face then selected
    assert run.offer(frames(), 8.5, track=8) is not None and len(run.photos()) == 3


def test_the_steps_face_found_again_under_a_new_id_is_taken_a_bystander_elsewhere_is_not(stores, face_crop):
    store, check = stores
    frames = Frames(face_crop)
    here, beside, far_off = Box(200, 100, 80, 80), Box(240, 110, 80, 80), Box(450, 100, 80, 80)
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    assert run.offer(frames(), 3.2, track=7, box=here) is not None
    # The tracker lost face 7 and found it again as 9 a frame later: 7 was just seen, so not yet.
    assert run.offer(frames(), 3.55, track=9, box=beside) is None
    # Face 7 unseen for longer than the face timeout: 9, where 7 was, is the step's face now.
    assert run.offer(frames(), 3.9, track=9, box=beside) is not None
    assert run.offer(frames(), 4.3, track=9, box=beside) is not None and run.view(4.3).note == ""
    # A bystander far from where the step's face was is refused, however long the face is gone.
    assert run.offer(frames(), 5.0, track=11, box=far_off) is None
    assert run.offer(frames(), 5.5, track=11, box=far_off) is None
    assert run.view(5.5).note == "Another face is selected: its photos are not taken"
    assert len(run.photos()) == 3


def test_redo_in_the_next_steps_countdown_redoes_the_step_just_captured(stores, face_crop):
    store, check = stores
    frames = Frames(face_crop)
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:3])
    run.skip(0.0)  # happy from 0 s: countdown to 3, capture to 6
    feed(run, frames, 3.0, 6.0)
    happy = run.photos()
    assert happy and run.view(6.2).progress == "3 of 3"  # surprise's countdown, nothing taken
    assert run.redo_title() == "Happy" and run.view(6.2).redo_title == "Happy"
    assert run.redo(6.2) == len(happy) and store.counts()["happy"] == 0
    view = run.view(6.2)
    assert (view.progress, view.phase, view.title) == ("2 of 3", COUNTDOWN, "Happy")
    feed(run, frames, 9.2, 12.2)
    assert store.counts()["happy"] > 0 and run.view(12.3).progress == "3 of 3"
    assert run.redo_title() == "Happy"
    run.skip(12.5)  # surprise skipped: the check round's countdown
    assert run.view(12.5).progress == "Check 1 of 1" and run.redo_title() == "Surprise"
    run.redo(12.6)  # back to the last calibration step (it took nothing)
    assert run.view(12.6).progress == "3 of 3" and run.round != CHECK and run.check_steps == ()
    feed(run, frames, 15.6, 16.5)
    assert run.view(16.5).redo_title == "Surprise"  # capturing: this step


def test_redo_forgets_the_deleted_photos_signature(stores, face_crop):
    store, check = stores
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    assert run.offer(face_crop, 3.5) is not None
    assert run.redo(4.0) == 1
    assert run.offer(face_crop, 7.5) is not None  # the same face again: not a duplicate of a deleted photo


def test_the_source_stopping_cancels_the_run_with_the_reason_and_keeps_the_photos(stores, face_crop):
    store, check = stores
    run = GuidedRun(store, check, now=0.0, steps=STEPS[:2])
    feed(run, Frames(face_crop), 3.0, 5.0)
    kept = run.photos()
    run.cancel("The source stopped")
    text = "The source stopped: guided calibration cancelled; its photos are kept."
    assert kept and run.view(5.0).big == text and run.message == text and store.photos("neutral") == kept


def test_nothing_is_held_out_when_check_photos_are_given():
    from training.personalize import training_split

    labels = np.repeat(np.arange(3), 8)
    train, held = training_split(labels, 4, 0, None)
    assert len(held) == 6 and len(train) == 18
    check = (np.zeros((2, 48, 48, 1), np.uint8), np.array([0, 1]))
    train, held = training_split(labels, 4, 0, check)
    assert len(held) == 0 and sorted(train.tolist()) == list(range(24))
    train, held = training_split(labels, 4, 0, (check[0][:0], check[1][:0]))  # an empty check: held out
    assert len(held) == 6
