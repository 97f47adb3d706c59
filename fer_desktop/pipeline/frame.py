"""One frame as the pipeline sees it: the image and where it sits in its source.

Its own module so the pipeline depends on no feature package: the sources make
frames, the analyzer reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Frame:
    image: np.ndarray  # BGR uint8
    index: int
    time: float  # seconds since the start of the source
    # A photo of a folder: its own scene, with no tracking or smoothing from the photo before.
    still: bool = False
