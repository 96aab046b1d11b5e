"""Installation hazards of this stack (DESIGN §8) that must never come back unnoticed."""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.version import Version


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.parametrize("wheel", ["opencv-python", "opencv-contrib-python"])
def test_no_opencv_wheel_that_bundles_its_own_qt(wheel):
    """The full OpenCV wheels ship their own Qt, which clashes with PySide6: headless only."""
    assert _installed("opencv-python-headless")
    assert not _installed(wheel), f"{wheel} is installed; uninstall it and keep opencv-python-headless"


def test_pyside6_is_below_the_release_that_over_releases_none():
    """PySide6 6.12.0 on CPython 3.11 aborts long-running GUIs ('deallocating None')."""
    assert Version(metadata.version("PySide6-Essentials")) < Version("6.12")
