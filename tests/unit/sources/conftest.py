"""Real video files written by cv2.VideoWriter for the source tests."""

from __future__ import annotations

import pytest
from helpers.video import write_video


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("videos")


@pytest.fixture(scope="session")
def short_video(video_dir):
    """30 frames, 30 fps, 160x120 MJPG/AVI."""
    return write_video(video_dir / "short.avi", frames=30, fps=30.0)


@pytest.fixture(scope="session")
def slow_video(video_dir):
    """10 frames at 20 fps: a paced read of all of them takes about 0.45 s."""
    return write_video(video_dir / "slow.avi", frames=10, fps=20.0)
