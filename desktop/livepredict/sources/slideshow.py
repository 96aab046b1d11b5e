"""A folder of images (or a list of image files) shown one after another as a live source."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from livepredict.core.errors import ImageReadError
from livepredict.sources.base import EndOfStream, Pacer, Source, SourceError

DEFAULT_INTERVAL = 1.0  # seconds per image


class SlideshowSource(Source):
    """Images read with :func:`livepredict.sources.images.read_image`, ``interval`` seconds each
    (``throttle=False``: as fast as they decode). Unreadable files are skipped and counted in
    ``skipped``; a pass where every file fails is an error."""

    kind = "slideshow"
    is_live = False

    def __init__(self, paths: str | Path | Sequence[str | Path], *, interval: float = DEFAULT_INTERVAL,
                 loop: bool = False, throttle: bool = True, mirror: bool = False) -> None:
        if isinstance(paths, str | Path):
            paths = [paths]
        paths = [str(p) for p in paths]
        super().__init__(mirror=mirror, paths=paths, interval=interval, loop=loop, throttle=throttle)
        self.paths = [Path(p) for p in paths]
        self.interval = float(interval) if interval and interval > 0 else DEFAULT_INTERVAL
        self.loop = bool(loop)
        self.throttle = bool(throttle)
        self.files: list[Path] = []
        self.skipped: list[tuple[str, str]] = []  # (file, one-sentence reason)
        self._i = 0
        self._good_in_pass = 0
        self._pacer = Pacer(1.0 / self.interval)

    @property
    def fps(self) -> float | None:
        return 1.0 / self.interval

    @property
    def description(self) -> str:
        if len(self.paths) == 1:
            p = self.paths[0]
            return f"{p.name}/ (slideshow)" if p.is_dir() else p.name
        return f"{len(self.paths)} images (slideshow)"

    def _open(self) -> None:
        from livepredict.sources.images import collect_image_paths

        missing = [p for p in self.paths if not p.exists()]
        if missing:
            raise SourceError(f"No file or folder at {missing[0]}; check the path.")
        try:
            self.files = list(collect_image_paths(self.paths))
        except ImageReadError as e:
            raise SourceError(str(e)) from e
        if not self.files:
            where = self.paths[0] if len(self.paths) == 1 else "the chosen paths"
            raise SourceError(f"No images found in {where}; add PNG or JPEG files or pick another folder.")
        self._i = 0
        self._good_in_pass = 0
        self._pacer.reset()

    def _next_image(self) -> np.ndarray:
        from livepredict.sources.images import read_image

        while True:
            if self._i >= len(self.files):
                if self._good_in_pass == 0:
                    raise SourceError(f"None of the {len(self.files)} images could be read; check the "
                                      "files.")
                if not self.loop:
                    raise EndOfStream(f"End of slideshow ({len(self.files)} images).")
                self._i = 0
                self._good_in_pass = 0
            path = self.files[self._i]
            self._i += 1
            try:
                img = read_image(path)
            except ImageReadError as e:
                self.skipped.append((str(path), str(e)))
                continue
            self._good_in_pass += 1
            return img

    def _read_image(self) -> np.ndarray:
        img = self._next_image()
        if self.mirror:
            img = np.ascontiguousarray(img[:, ::-1])
        if self.throttle:
            self._pacer.wait(self._interrupt)
        return img

    def _close(self) -> None:
        self.files = []
