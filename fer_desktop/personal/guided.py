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

Redo discards only the photos this run took for that step (and repeats it); Cancel and
Skip keep every photo.  A write that fails (a full disk) ends the run with the reason
in words (``message``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fer_desktop.personal.captures import CalibrationStore
from fer_desktop.write_errors import describe_write_error
from training.contract.wording import count


@dataclass(frozen=True)
class Timings:
    """How long each phase lasts, in seconds; the one place the guided durations are stated."""

    countdown: int = 3  # shown 3-2-1
    second: float = 1.0  # one second of the countdown (tests shorten it)
    capture_s: float = 3.0
    rest_capture_s: float = 5.0  # the rest face first, a little longer
    check_s: float = 1.5  # per emotion in the check round


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
    def offer(self, crop: np.ndarray, now: float) -> Path | None:
        """Store ``crop`` under this moment's emotion, if it is a capture phase (the store's rules apply)."""
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
        return path

    def skip(self, now: float) -> None:
        """On to the next step at once; what this step stored is kept."""
        if self.active:
            self._next(now)

    def redo(self, now: float) -> int:
        """Discard the photos this run stored for the current step and start it again; how many went."""
        if not self.active:
            return 0
        paths = self._taken.pop((self.round, self.index), [])
        store = self.store if self.round == CALIBRATION else self.check_store
        try:
            deleted = store.delete_photos(paths)
        except (OSError, ValueError) as exc:
            self._taken[(self.round, self.index)] = paths
            self._fail(f"Guided calibration stopped: the step's photos were not deleted ({exc}).")
            return 0
        self.phase, self._since = COUNTDOWN, now
        return deleted

    def cancel(self) -> None:
        """End the run; every photo stored so far is kept."""
        if self.active:
            self.phase = CANCELLED

    def _fail(self, text: str) -> None:
        self.phase, self.message = FAILED, text

    def _next(self, at: float) -> None:
        self.index += 1
        self.phase, self._since = COUNTDOWN, at
        if self.index < len(self.round_steps):
            return
        if self.round == CALIBRATION:
            captured = set(self.captured_emotions())
            self.check_steps = tuple(s for s in self.steps if s.emotion in captured)
            self.round, self.index = CHECK, 0
            if self.check_steps:
                return
        self.phase = DONE

    # -- what the panel shows -----------------------------------------------------------
    def view(self, now: float) -> GuidedView:
        remaining = self.remaining(now)
        step = self.step
        photos = len(self._taken.get((self.round, self.index), [])) if step else 0
        if self.phase == COUNTDOWN:
            big = str(max(1, math.ceil(remaining / self.timings.second - 1e-9)))
        elif self.phase == CAPTURE:
            big = f"Capturing… {math.ceil(remaining - 1e-9)} s"
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
        )

    def summary(self) -> str:
        """How the run ended, in one line."""
        taken, checked = len(self.photos(CALIBRATION)), len(self.photos(CHECK))
        emotions = count(len(self.captured_emotions()), "emotion")
        counts = f"{count(taken, 'photo')} of {emotions}, {count(checked, 'photo')} to check"
        if self.phase == DONE:
            return f"Guided calibration done: {counts}. Fine-tune now to learn them."
        if self.phase == CANCELLED:
            return f"Guided calibration cancelled: {counts} kept."
        if self.phase == FAILED:
            return self.message
        return ""


def check_text(check: dict | None) -> str:
    """A card's ``check`` record as one line per emotion: ``happy 2/5 → 5/5`` (base model → new model)."""
    per_emotion = (check or {}).get("per_emotion") or {}
    lines = [f"{name} {s['before']}/{s['n']} → {s['after']}/{s['n']}" for name, s in per_emotion.items()]
    return "\n".join(lines)
