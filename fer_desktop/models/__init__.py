"""Emotion models at run time: the catalogue (default, active, user models) and the runtimes."""
