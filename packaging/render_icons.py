"""Render the application icon from resources/icons/livepredict.svg.

Writes the hicolor PNG sizes (resources/icons/hicolor/NxN/apps/livepredict.png) that
packaging/linux/install.sh installs and the app uses as its window icon, plus the Windows .ico and
macOS .icns next to the PyInstaller spec (packaging/icons/). Run it after editing the SVG:

    .venv/bin/python packaging/render_icons.py

The unit tests re-render one size and fail if the committed PNGs are stale.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "livepredict.svg"
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
PACKAGING_ICONS = ROOT / "packaging" / "icons"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def png_path(size: int) -> Path:
    return HICOLOR / f"{size}x{size}" / "apps" / "livepredict.png"


def render(size: int, svg: Path = SVG):
    """The SVG rendered into a transparent ARGB32 QImage of size x size pixels."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:  # QPainter needs a GUI application for fonts and pixmaps
        render.app = QGuiApplication([sys.argv[0]])  # type: ignore[attr-defined]
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG.")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    from PIL import Image

    for size in SIZES:
        out = png_path(size)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not render(size).save(str(out), "PNG"):
            raise SystemExit(f"render_icons: could not write {out}.")
    PACKAGING_ICONS.mkdir(parents=True, exist_ok=True)
    big = Image.open(png_path(512)).convert("RGBA")
    big.save(PACKAGING_ICONS / "livepredict.ico", sizes=[(s, s) for s in ICO_SIZES])
    big.save(PACKAGING_ICONS / "livepredict.icns")
    print(f"render_icons: wrote {len(SIZES)} PNG sizes under {HICOLOR.relative_to(ROOT)}, "
          f"livepredict.ico and livepredict.icns under {PACKAGING_ICONS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
