"""Reusable widgets that draw Qt-free state."""
