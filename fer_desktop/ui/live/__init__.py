"""The Live tab and its calibration panel."""
