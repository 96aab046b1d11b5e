"""Cameras by index: listing the ones that open, resolution choice, mirror."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np

from livepredict.core.types import CAMERA_RESOLUTIONS, CameraInfo
from livepredict.sources.base import CvCaptureSource, SourceError, SourceLost, bgr_to_rgb

RESOLUTIONS = CAMERA_RESOLUTIONS


def _linux() -> bool:
    return sys.platform.startswith("linux")


def _device_node(index: int) -> Path:
    return Path(f"/dev/video{index}")


def _device_name(index: int) -> str:
    try:
        return Path(f"/sys/class/video4linux/video{index}/name").read_text().strip() or f"Camera {index}"
    except OSError:
        return f"Camera {index}"


def _backend() -> int:
    return cv2.CAP_V4L2 if _linux() else cv2.CAP_ANY


def candidate_indices(max_index: int = 10) -> list[int]:
    """Indices worth trying: the /dev/videoN nodes on Linux, otherwise 0..max_index-1."""
    if _linux():
        found = []
        for p in Path("/dev").glob("video*"):
            suffix = p.name[len("video"):]
            if suffix.isdigit():
                found.append(int(suffix))
        return sorted(found)
    return list(range(max_index))


def list_cameras(max_index: int = 10) -> list[CameraInfo]:
    """The cameras that actually open and deliver a frame (slow: seconds; not on the GUI thread)."""
    cams: list[CameraInfo] = []
    misses = 0
    for index in candidate_indices(max_index):
        cap = cv2.VideoCapture(index, _backend())
        try:
            if not cap.isOpened():
                misses += 1
                if not _linux() and misses >= 2:
                    break
                continue
            ok, img = cap.read()
            if not ok or img is None:
                continue
            cams.append(CameraInfo(index, _device_name(index), int(img.shape[1]), int(img.shape[0])))
        finally:
            cap.release()
    return cams


class CameraSource(CvCaptureSource):
    """A camera by index. ``resolution=(w, h)`` asks the driver for that size (it may pick the
    nearest one it supports; ``size`` tells what was granted)."""

    kind = "camera"
    is_live = True

    def __init__(self, index: int = 0, *, resolution: tuple[int, int] | None = None,
                 mirror: bool = False) -> None:
        super().__init__(mirror=mirror, index=int(index), resolution=resolution)
        self.index = int(index)
        self.resolution = tuple(resolution) if resolution else None

    @property
    def description(self) -> str:
        if self._size:
            return f"Camera {self.index} ({self._size[0]}x{self._size[1]})"
        return f"Camera {self.index}"

    def _open(self) -> None:
        node = _device_node(self.index)
        if self.index < 0:
            raise SourceError(f"Camera index {self.index} is not valid; pick a camera from the list.")
        if _linux() and not node.exists():
            raise SourceError(f"No camera found at index {self.index}; plug one in or pick another "
                              "from the camera list.")
        cap = cv2.VideoCapture(self.index, _backend())
        if not cap.isOpened():
            cap.release()
            if _linux() and not os.access(node, os.R_OK | os.W_OK):
                raise SourceError(f"Camera {self.index} cannot be opened (permission denied on {node}); "
                                  "add your user to the 'video' group.")
            raise SourceError(f"Camera {self.index} is busy or cannot be opened; close other apps using "
                              "it and try again.")
        if self.resolution:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(self.resolution[0]))
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(self.resolution[1]))
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1.0)  # fewer stale frames queued in the driver
        if not self._probe(cap):
            cap.release()
            raise SourceError(f"Camera {self.index} opened but sends no frames; it may be in use by "
                              "another app.")
        self._cap = cap

    def _read_image(self) -> np.ndarray:
        img = self._grab_bgr()
        if img is None:
            raise SourceLost(f"Camera {self.index} stopped sending frames; check that it is still "
                             "plugged in.")
        return bgr_to_rgb(img, self.mirror)
