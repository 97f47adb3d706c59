"""FER Desktop: live facial emotion recognition on the desktop."""

__version__ = "0.1.0"
