"""Label every face in a folder of photos: plain Python, shared by ``fer-desktop label`` and the Label tab."""

from fer_desktop.labelling.runs import *  # noqa: F403
