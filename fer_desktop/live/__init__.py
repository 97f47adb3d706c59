"""Live sessions and video: sources, cameras, playback, timeline, snapshots, recording, video analysis."""
