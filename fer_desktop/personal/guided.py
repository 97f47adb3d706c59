"""Guided calibration: the rest face, then each emotion, a countdown before each, then a check round.

Plain Python, driven by the caller's clock (``tick(now)``, ``offer(crop, now)``): the Live
tab's calibration panel feeds it each crop of the selected face and draws ``view(now)``;
the tests drive it with a fake clock.

Each step is a countdown (3-2-1, nothing stored), then a few seconds of capture under
the step's emotion, then the next step.  A crop is stored only inside a capture phase,
so a looping video or the next expression never lands under the wrong emotion.  After
the steps, a short check round photographs each emotion captured in this run again,
into a separate store (``captures.check_dir``) that the fine-tune never reads: the
before/after figure of "Fine-tune now" is on frames the model was not trained on.

The check photos are for one before/after figure: a new run's check round first sets the
previous run's aside (``CalibrationStore.set_aside``: kept until the user deletes them).
Each step takes crops of one face only, the one selected when the step began (``track``):
a bystander the selection jumped to is refused.  A face the tracker lost and found again
under a new id, where the step's face last was, is still the step's face.
An emotion that already has ``MAX_PER_EMOTION`` photos takes none, and the step says so.

Redo discards only the photos this run took for that step (and repeats it); in the
countdown of a step that took nothing yet, it redoes the previous step (the 3 s capture
just ended).  Cancel and Skip keep every photo.  A write that fails (a full disk) ends
the run with the reason in words (``message``); so does the source stopping (``cancel``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fer_desktop.personal.captures import MAX_PER_EMOTION, CalibrationStore
from fer_desktop.write_errors import describe_write_error
from training.contract.wording import count
from training.personal_card import check_scores

if TYPE_CHECKING:
    from fer_desktop.pipeline.faces import Box


@dataclass(frozen=True)
class Timings:
    """How long each phase lasts, in seconds; the one place the guided durations are stated."""

    countdown: int = 3  # shown 3-2-1
    second: float = 1.0  # one second of the countdown (tests shorten it)
    capture_s: float = 3.0
    rest_capture_s: float = 5.0  # the rest face first, a little longer
    check_s: float = 1.5  # per emotion in the check round
    face_timeout_s: float = 0.5  # no face offered for this long: "No face selected"


TIMINGS = Timings()


@dataclass(frozen=True)
class Step:
    emotion: str
    title: str
    hint: str  # one line: how to make the face
    rest: bool = False


STEPS: tuple[Step, ...] = (
    Step("neutral", "Rest face", "Relax and look at the camera for five seconds", rest=True),
    Step("happy", "Happy", "Smile: happy — a broad smile that reaches the eyes"),
    Step("surprise", "Surprise", "Gasp: surprise — eyebrows up, eyes wide, mouth dropped open"),
    Step("sad", "Sad", "Frown: sad — the corners of the mouth down, the inner eyebrows raised"),
    Step("angry", "Angry", "Glare: angry — eyebrows down and drawn together, lips pressed tight"),
    Step("fear", "Fear", "Shrink back: fear — eyes wide, eyebrows raised and drawn together"),
    Step("disgust", "Disgust", "Wrinkle your nose: disgust — the upper lip raised"),
)

CALIBRATION, CHECK = "calibration", "check"  # the two rounds
COUNTDOWN, CAPTURE, DONE, CANCELLED, FAILED = "countdown", "capture", "done", "cancelled", "failed"


@dataclass(frozen=True)
class GuidedView:
    """What the panel shows of the run at one moment (Qt-free: the widget only draws it)."""

    active: bool
    phase: str  # COUNTDOWN, CAPTURE, DONE, CANCELLED or FAILED
    round: str  # CALIBRATION or CHECK
    progress: str  # "3 of 7", "Check 1 of 2"
    title: str
    hint: str
    big: str  # the countdown number, "Capturing… 2 s", or how the run ended
    photos: int  # stored in this step so far
    message: str
    face: bool = True  # the selected face was offered lately
    note: str = ""  # why this step takes nothing: its emotion is full, another face is selected
    redo_title: str = ""  # the step Redo would redo


class GuidedRun:
    """One guided calibration, from its first countdown to its end."""

    def __init__(
        self,
        store: CalibrationStore,
        check_store: CalibrationStore,
        now: float,
        timings: Timings = TIMINGS,
        steps: tuple[Step, ...] = STEPS,
    ):
        if not steps:
            raise ValueError("a guided calibration needs at least one step")
        self.store, self.check_store = store, check_store
        self.timings, self.steps = timings, tuple(steps)
        self.round, self.index, self.phase = CALIBRATION, 0, COUNTDOWN
        self.check_steps: tuple[Step, ...] = ()
        self.message = ""
        self._since = now  # when the current phase began
        self._taken: dict[tuple[str, int], list[Path]] = {}  # (round, step index) -> photos stored
        self._last_face: float | None = None  # when the step's face was last offered
        self._track: int | None = None  # the face this step takes (the first offered in it)
        self._last_box: Box | None = None  # where the step's face was when last offered
        self._other_face = False  # the last crop offered was of another face
        self.full = [s.emotion for s in self.steps if store.is_full(s.emotion)]  # at the start, then more

    # -- where the run is ---------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.phase in (COUNTDOWN, CAPTURE)

    @property
    def round_steps(self) -> tuple[Step, ...]:
        return self.steps if self.round == CALIBRATION else self.check_steps

    @property
    def step(self) -> Step | None:
        return self.round_steps[self.index] if self.active else None

    def _duration(self) -> float:
        if self.phase == COUNTDOWN:
            return self.timings.countdown * self.timings.second
        if self.round == CHECK:
            return self.timings.check_s
        return self.timings.rest_capture_s if self.step.rest else self.timings.capture_s

    def tick(self, now: float) -> None:
        """Move on through every phase that has ended by ``now``."""
        while self.active and now >= self._since + self._duration():
            end = self._since + self._duration()
            if self.phase == COUNTDOWN:
                self.phase, self._since = CAPTURE, end
            else:
                self._next(end)

    def remaining(self, now: float) -> float:
        self.tick(now)
        return max(0.0, self._since + self._duration() - now) if self.active else 0.0

    def emotion_now(self, now: float) -> str | None:
        """The emotion a crop offered at ``now`` would be stored under; None outside a capture phase."""
        self.tick(now)
        return self.step.emotion if self.phase == CAPTURE else None

    def progress_text(self) -> str:
        if not self.active:
            return ""
        where = f"{self.index + 1} of {len(self.round_steps)}"
        return where if self.round == CALIBRATION else f"Check {where}"

    def photos(self, round_: str = CALIBRATION) -> list[Path]:
        """The photos this run stored in ``round_`` (and still holds: Redo takes its step's away)."""
        return [p for (r, _i), paths in self._taken.items() if r == round_ for p in paths]

    def captured_emotions(self) -> list[str]:
        """The emotions this run's calibration round stored photos of, in step order."""
        return [s.emotion for i, s in enumerate(self.steps) if self._taken.get((CALIBRATION, i))]

    # -- what the user does -------------------------------------------------------------
    def offer(
        self, crop: np.ndarray, now: float, track: int | None = None, box: Box | None = None
    ) -> Path | None:
        """Store ``crop`` under this moment's emotion, if it is a capture phase (the store's rules apply).

        ``track``: the selected face's track id; a crop of another face than the step's first
        is refused (None: not checked), unless it is that face found again (``found_again``).
        ``box``: where the face is in the frame."""
        self.tick(now)
        if not self.active:
            return None
        if track is not None and (self._track is None or self.found_again(now, box)):
            self._track = track
        self._other_face = track is not None and track != self._track
        if self._other_face:
            return None
        self._last_face, self._last_box = now, box
        emotion = self.emotion_now(now)
        if emotion is None:
            return None
        store = self.store if self.round == CALIBRATION else self.check_store
        try:
            path = store.offer(emotion, crop, now=now)
        except OSError as exc:
            self._fail(f"Guided calibration stopped: {describe_write_error(exc, store.root / emotion)}.")
            return None
        if path is not None:
            self._taken.setdefault((self.round, self.index), []).append(path)
        elif store.is_full(emotion) and emotion not in self.full and self.round == CALIBRATION:
            self.full.append(emotion)
        return path

    def found_again(self, now: float, box: Box | None) -> bool:
        """A face at ``box`` is the step's face under a new track id: the step's face has not been
        offered for ``face_timeout_s`` (the tracker lost it, or the selection moved on) and this
        one is where it was last, less than a face width from it.  A bystander elsewhere, or
        beside a face still offered, is not."""
        last = self._last_box
        if box is None or last is None or self.face_seen(now):
            return False
        (x, y), (lx, ly) = box.centre, last.centre
        return math.hypot(x - lx, y - ly) < max(last.w, last.h)

    def face_seen(self, now: float) -> bool:
        """The step's face was offered within ``face_timeout_s`` of ``now``."""
        return self._last_face is not None and now - self._last_face <= self.timings.face_timeout_s

    def note(self) -> str:
        """Why the current step takes nothing: its emotion is full, or another face is selected."""
        step = self.step
        if step is None:
            return ""
        if self.round == CALIBRATION and self.store.is_full(step.emotion):
            return f"{step.emotion} already has {MAX_PER_EMOTION} photos: delete some to capture more"
        return "Another face is selected: its photos are not taken" if self._other_face else ""

    def skip(self, now: float) -> None:
        """On to the next step at once; what this step stored is kept."""
        if self.active:
            self._next(now)

    def redo_target(self) -> tuple[str, int] | None:
        """The (round, step index) Redo would redo: the previous step while this one counts down
        with nothing taken (its capture has not begun), else this one."""
        if not self.active:
            return None
        if self.phase != COUNTDOWN or self._taken.get((self.round, self.index)):
            return self.round, self.index
        if self.index > 0:
            return self.round, self.index - 1
        if self.round == CHECK:
            return CALIBRATION, len(self.steps) - 1
        return self.round, self.index

    def redo_title(self) -> str:
        target = self.redo_target()
        if target is None:
            return ""
        step = (self.steps if target[0] == CALIBRATION else self.check_steps)[target[1]]
        return step.title if target[0] == CALIBRATION else f"Check: {step.emotion}"

    def redo(self, now: float) -> int:
        """Discard the photos this run stored for the step Redo names and start it again; how many went."""
        self.tick(now)
        target = self.redo_target()
        if target is None:
            return 0
        round_, index = target
        paths = self._taken.pop(target, [])
        store = self.store if round_ == CALIBRATION else self.check_store
        try:
            deleted = store.delete_photos(paths)
        except (OSError, ValueError) as exc:
            self._taken[target] = paths
            self._fail(f"Guided calibration stopped: the step's photos were not deleted ({exc}).")
            return 0
        steps = self.steps if round_ == CALIBRATION else self.check_steps
        store.forget(steps[index].emotion)
        if round_ == CALIBRATION:
            self.check_steps = ()
        self.round, self.index = round_, index
        self._start_step(now)
        return deleted

    def cancel(self, reason: str = "") -> None:
        """End the run; every photo stored so far is kept.  ``reason``: why (the source stopped)."""
        if self.active:
            self.phase = CANCELLED
            if reason:
                self.message = f"{reason}: guided calibration cancelled; its photos are kept."

    def _start_step(self, at: float) -> None:
        self.phase, self._since = COUNTDOWN, at
        self._track, self._last_box, self._other_face = None, None, False

    def _fail(self, text: str) -> None:
        self.phase, self.message = FAILED, text

    def _next(self, at: float) -> None:
        self.index += 1
        self._start_step(at)
        if self.index < len(self.round_steps):
            return
        if self.round == CALIBRATION:
            captured = set(self.captured_emotions())
            self.check_steps = tuple(s for s in self.steps if s.emotion in captured)
            self.round, self.index = CHECK, 0
            if self.check_steps and self._clear_check_photos():
                return
        if self.phase != FAILED:
            self.phase = DONE

    def _clear_check_photos(self) -> bool:
        """A new check round takes the place of the previous run's check photos, which are set
        aside (kept until the user deletes them); False (the run failed) if they cannot be."""
        try:
            self.check_store.set_aside()
        except OSError as exc:
            self._fail(f"Guided calibration stopped: the previous check photos were not set aside ({exc}).")
            return False
        return True

    # -- what the panel shows -----------------------------------------------------------
    def view(self, now: float) -> GuidedView:
        remaining = self.remaining(now)
        step = self.step
        photos = len(self._taken.get((self.round, self.index), [])) if step else 0
        face = self.face_seen(now)
        if self.phase == COUNTDOWN:
            big = str(max(1, math.ceil(remaining / self.timings.second - 1e-9)))
        elif self.phase == CAPTURE:
            big = f"Capturing… {math.ceil(remaining - 1e-9)} s" if face else "No face selected"
        else:
            big = self.summary()
        title = ""
        if step is not None:
            title = step.title if self.round == CALIBRATION else f"Check: {step.emotion}"
        return GuidedView(
            active=self.active,
            phase=self.phase,
            round=self.round,
            progress=self.progress_text(),
            title=title,
            hint=step.hint if step else "",
            big=big,
            photos=photos,
            message=self.message,
            face=face,
            note=self.note(),
            redo_title=self.redo_title(),
        )

    def summary(self) -> str:
        """How the run ended, in one line."""
        taken, checked = len(self.photos(CALIBRATION)), len(self.photos(CHECK))
        emotions = count(len(self.captured_emotions()), "emotion")
        counts = f"{count(taken, 'photo')} of {emotions}, {count(checked, 'photo')} to check"
        full = self.full_text()
        full = f" {full}." if full else ""
        if self.phase == DONE:
            learn = " Fine-tune now to learn them." if taken else ""
            return f"Guided calibration done: {counts}.{full}{learn}"
        if self.phase == CANCELLED:
            return self.message or f"Guided calibration cancelled: {counts} kept.{full}"
        if self.phase == FAILED:
            return self.message
        return ""

    def full_text(self) -> str:
        """The emotions of this run that took no more photos for being full, in one phrase."""
        if not self.full:
            return ""
        have = "already has" if len(self.full) == 1 else "already have"
        return f"{', '.join(self.full)} {have} {MAX_PER_EMOTION} photos: delete some to capture more"


def check_text(check: dict | None) -> str:
    """A card's ``check`` record in one wrapping line: ``happy 2/5 → 5/5 · sad 1/4 → 1/4`` (base
    model → new model); a line per emotion would push the panel's buttons below the window."""
    return " · ".join(check_scores(check))
