"""What a dropped or pasted path is: a model to open, a video to play live, or images to classify."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".tflite")
VIDEO_SUFFIXES = (".avi", ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".wmv", ".mjpg")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
MODEL_FILTER = "Models (*.keras *.h5 *.hdf5 *.tflite saved_model.pb);;All files (*)"


def is_video_path(p: Path) -> bool:
    return p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()


def is_model_path(p: Path) -> bool:
    if p.is_dir():
        return (p / "saved_model.pb").is_file()
    return p.suffix.lower() in MODEL_SUFFIXES or p.name == "saved_model.pb"


@dataclass(frozen=True)
class DroppedPaths:
    models: list[str]
    videos: list[str]
    images: list[str]  # files and folders to classify


def sort_paths(paths: list[str]) -> DroppedPaths:
    models = [p for p in paths if is_model_path(Path(p))]
    videos = [p for p in paths if p not in models and is_video_path(Path(p))]
    rest = [p for p in paths if p not in models and p not in videos]
    return DroppedPaths(models, videos, rest)
