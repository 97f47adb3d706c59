"""Qt workers: one life cycle (runs, stoppable) and one worker per kind of job."""
