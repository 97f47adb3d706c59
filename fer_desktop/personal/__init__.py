"""Personal calibration: the user's captured faces and the fine-tune from photos."""
