"""Qt item models over the pipeline's rows."""
