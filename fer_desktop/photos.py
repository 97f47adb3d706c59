"""The app's photo reader is training's: one decoder, one set of rules, for every image."""

from training.photos import MAX_FILE_BYTES, MAX_PIXELS, PhotoError, read_photo

__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "PhotoError", "read_photo"]
