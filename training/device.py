"""Which device training will run on, in words for the user."""

from __future__ import annotations


def describe_device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        import os

        return f"CPU ({os.cpu_count()} cores)"
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return ", ".join(names) + (" (mirrored)" if len(gpus) > 1 else "")
