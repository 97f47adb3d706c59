"""Which emotion model is active, and the user's trained models.

The bundled default lives in ``assets/``; models the user trains or imports
live in the per-user data folder (``user_models_dir()/<name>/model.keras``
with its card beside it).  The choice survives restarts in ``settings.json``.
"""

from __future__ import annotations

import datetime
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.paths import default_model_path, user_models_dir
from fer_desktop.settings import load_settings, save_settings
from training.contract import atomic
from training.contract.label_origin import model_share_warning
from training.contract.model_card import card_paths, read_card
from training.contract.wording import count

# Below this many images an accuracy swings by several points with a handful of faces: the
# figure is shown, and said to be too few to trust.
FEW_IMAGES = 200


def active_model_path() -> Path:
    """The user's chosen model if it still exists, else the bundled default."""
    chosen = load_settings().active_model
    if chosen and Path(chosen).is_file():
        return Path(chosen)
    return default_model_path()


def set_active_model(path: str | Path) -> None:
    save_settings(active_model=str(Path(path).resolve()))


@dataclass
class StoredModel:
    name: str
    path: Path
    card: dict | None
    bundled: bool = False

    def summary(self) -> str:
        """``name (created): val 77.8% on 27 images, …``; a malformed card says so, never raises."""
        if not self.card:
            return f"{self.name}: no model card"
        figures = [split_figure(split, report) for split, report in evaluations(self.card).items()]
        shown = ", ".join(f for f in figures if f) or "no figures"
        own = own_labels_note(self.card)
        return f"{self.name} ({self.card.get('created', '?')}): {shown}" + (f" ({own})" if own else "")


def own_labels_note(card: dict) -> str:
    """``"12 of 15 validation labels were the labelling model's own"``, when most were; else ""."""
    data = card.get("data")
    origins = data.get("val_label_origin") if isinstance(data, dict) else None
    if not isinstance(origins, dict) or not all(isinstance(n, int) for n in origins.values()):
        return ""
    if model_share_warning(origins) is None:
        return ""
    own, total = origins.get("model", 0), sum(origins.values())
    return f"{own} of {total} validation labels were the labelling model's own"


def evaluations(card: dict | None) -> dict:
    ev = (card or {}).get("evaluation") if isinstance(card, dict) else None
    return ev if isinstance(ev, dict) else {}


def accuracy_of(report: object) -> float | None:
    acc = report.get("accuracy") if isinstance(report, dict) else None
    return float(acc) if isinstance(acc, (int, float)) and not isinstance(acc, bool) else None


def split_figure(split: str, report: object) -> str:
    """``val 77.8% on 27 images — too few to trust``: a figure means little without the size of the
    set behind it, and nothing on fewer than ``FEW_IMAGES``."""
    acc = accuracy_of(report)
    if acc is None:
        return ""
    n = report.get("n")
    if not isinstance(n, int) or isinstance(n, bool):
        return f"{split} {acc:.1%}"
    few = f" — too few to trust (under {FEW_IMAGES})" if n < FEW_IMAGES else ""
    return f"{split} {acc:.1%} on {count(n, 'image')}{few}"


def lower_than_current(new_card: dict | None, current_path: Path, current_card: dict | None) -> str | None:
    """A caution when the new model scored lower than the current one on the same validation data.

    Same data means the new model's training compared itself with the current model
    (its card's ``baseline``), or both cards name the same validation fingerprint.
    """
    new_acc = accuracy_of(evaluations(new_card).get("val"))
    if new_acc is None:
        return None
    baseline = new_card.get("baseline") if isinstance(new_card.get("baseline"), dict) else {}
    old_acc = None
    if baseline.get("model") and _same_file(baseline["model"], current_path):
        old_acc = accuracy_of(baseline.get("val"))
    elif _val_fingerprint(new_card) and _val_fingerprint(new_card) == _val_fingerprint(current_card):
        old_acc = accuracy_of(evaluations(current_card).get("val"))
    if old_acc is None or new_acc >= old_acc:
        return None
    return (
        f"This model scored {new_acc:.1%} on the validation data, lower than the current model's "
        f"{old_acc:.1%} on the same data."
    )


def _val_fingerprint(card: dict | None) -> str | None:
    data = card.get("data") if isinstance(card, dict) else None
    return data.get("val_fingerprint") if isinstance(data, dict) else None


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed while listing
        return 0.0


def list_models() -> list[StoredModel]:
    """The bundled default first, then user models, newest first."""
    models = [StoredModel("bundled default", default_model_path(), _dict_card(default_model_path()), True)]
    root = user_models_dir()
    if root.is_dir():
        found = sorted(root.glob("*/model.keras"), key=_mtime, reverse=True)
        models += [StoredModel(p.parent.name, p, _dict_card(p)) for p in found]
    return models


def _dict_card(model_path: Path) -> dict | None:
    card = read_card(model_path)
    return card if isinstance(card, dict) else None


def new_model_dir(prefix: str = "model") -> Path:
    """A fresh folder for a model about to be trained or imported."""
    return _fresh(user_models_dir() / time.strftime(f"{prefix}-%Y%m%d-%H%M%S"), "{name}-{n}")


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def personal_model_dir(day: datetime.date | None = None) -> Path:
    """A fresh folder for a model personalised to the user's face, named for people: ``my face, 4 Dec``.

    The folder's name is the model's name everywhere (the Train tab's list, the Live tab's
    model line, Rename); a second one of the same day is ``my face, 4 Dec (2)``.
    """
    day = day or datetime.date.today()
    return _fresh(user_models_dir() / f"my face, {day.day} {MONTHS[day.month - 1]}", "{name} ({n})")


def _fresh(base: Path, pattern: str) -> Path:
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(pattern.format(name=base.name, n=n))
    return path


def import_model(source: str | Path) -> Path:
    """Check a .keras file (raises ModelLoadError) and copy it into the user's models."""
    from fer_desktop.models.classifier import load_checked_model

    source = Path(source)
    load_checked_model(source)
    dest = new_model_dir("imported") / "model.keras"
    with atomic.atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
    return dest


def card_text(stored: StoredModel) -> str:
    """The model's card as Markdown for people, rendered from its JSON (older ``.md`` files show dicts).

    A card the renderer cannot read (hand-edited, an older format) falls back to its ``.md`` file.
    """
    from training.card import card_markdown

    if stored.card is not None:
        try:
            if stored.card.get("kind") == "personalised":
                from training.personalize import personal_card_markdown

                return personal_card_markdown(stored.card)
            return card_markdown(stored.card)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass
    try:
        return card_paths(stored.path)[1].read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"{stored.path}\n\n(no readable model card)"


class ModelEditError(ValueError):
    """A rename or delete that must not happen; the message says why."""


def check_editable(stored: StoredModel, active: Path, what: str) -> None:
    if stored.bundled or user_models_dir().resolve() not in stored.path.resolve().parents:
        raise ModelEditError(f"the bundled default model cannot be {what}")
    if _same_file(stored.path, active):
        raise ModelEditError(f"{stored.name} is the model in use: use another model first, then {what[:-1]}")


def delete_model(stored: StoredModel, active: Path) -> None:
    """Remove a user model's folder (model, TFLite copy, card, history).

    Never the bundled default nor the active model (the app would lose the model it runs).
    """
    check_editable(stored, active, "deleted")
    shutil.rmtree(stored.path.parent)


def check_model_name(name: str) -> str:
    """A new model name as a folder name: one path component, nothing hidden."""
    name = name.strip()
    if not name or name in (".", "..") or name.startswith(".") or any(c in name for c in '/\\:*?"<>|'):
        raise ModelEditError(f"{name!r} cannot be a model name (no slashes, no leading dot)")
    return name


def rename_model(stored: StoredModel, new_name: str, active: Path) -> Path:
    """Rename a user model's folder; its card's ``name`` and ``path`` follow.  Returns the new model path."""
    check_editable(stored, active, "renamed")
    new_name = check_model_name(new_name)
    dest = stored.path.parent.with_name(new_name)
    if dest.exists():
        raise ModelEditError(f"a model named {new_name} already exists")
    stored.path.parent.rename(dest)
    new_path = dest / stored.path.name
    if stored.card is not None:
        card = {**stored.card, "name": new_name, "path": str(new_path)}
        json_path, md_path = card_paths(new_path)
        atomic.write_json(json_path, card)
        stored = StoredModel(new_name, new_path, card)
        if md_path.exists():
            atomic.write_text(md_path, card_text(stored))
    return new_path
