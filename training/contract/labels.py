"""Class names and their order: the single source of truth for the whole project.

The order is FER2013's original label order (0 angry ... 6 neutral), so the
index a model outputs is the same number the original ``fer2013.csv`` uses.
"""

from __future__ import annotations

CLASS_NAMES: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "sad",
    "surprise",
    "neutral",
)
NUM_CLASSES = len(CLASS_NAMES)
CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(CLASS_NAMES)}

# Folder names people actually use for the same classes (FER+ style, plurals).
_ALIASES = {
    "anger": "angry",
    "disgusted": "disgust",
    "fearful": "fear",
    "happiness": "happy",
    "sadness": "sad",
    "surprised": "surprise",
}


def class_index(name: str) -> int:
    """Index of a class name, accepting common aliases; KeyError names the culprit."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    try:
        return CLASS_INDEX[key]
    except KeyError:
        raise KeyError(f"unknown class {name!r}; expected one of: {', '.join(CLASS_NAMES)}") from None
