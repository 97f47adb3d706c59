"""The frame pipeline: frames, faces, tracking, the analyzer and its engine, the overlay."""
