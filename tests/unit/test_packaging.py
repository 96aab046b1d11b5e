"""Fast checks of the packaging inputs (the frozen bundle itself is tested by `make package-test`).

The desktop entry validates, the MIME types it claims exist and are recognised by a real MIME
database, the PyInstaller spec points at files that exist, the icon PNGs match the SVG, and the
version lives in one place.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import livepredict

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"
LINUX = PKG / "linux"
DESKTOP = LINUX / "livepredict.desktop"
MIME_XML = LINUX / "livepredict-mime.xml"
SPEC = PKG / "livepredict.spec"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"

sys.path.insert(0, str(PKG))
import render_icons  # noqa: E402 - packaging/ is not a package


def desktop_entry() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    cp.optionxform = str  # keys are case-sensitive in desktop entries
    cp.read(DESKTOP, encoding="utf-8")
    return cp["Desktop Entry"]


def mime_types_in_xml() -> dict[str, list[str]]:
    root = ET.parse(MIME_XML).getroot()
    return {
        t.get("type"): [g.get("pattern") for g in t.findall(f"{MIME_NS}glob")]
        for t in root.findall(f"{MIME_NS}mime-type")
    }


# ------------------------------------------------------------------ desktop entry and MIME types

def test_desktop_entry_launches_the_app_with_a_file_and_names_the_icon():
    e = desktop_entry()
    assert e["Type"] == "Application"
    assert e["Name"] == livepredict.APP_NAME
    assert e["Icon"] == livepredict.APP_ID
    exec_words = e["Exec"].split()
    assert exec_words[0] == "livepredict" and exec_words[1:] == ["%f"]
    assert e["Terminal"] == "false"
    # Under Wayland the compositor finds the icon through the desktop file name the app sets.
    assert DESKTOP.stem == livepredict.APP_ID
    assert e["StartupWMClass"] == livepredict.APP_ID


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-utils is not installed (packaging/linux/system-deps.sh installs it)")
def test_desktop_file_validates():
    r = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def test_desktop_entry_claims_the_model_types_the_mime_package_defines():
    claimed = [m for m in desktop_entry()["MimeType"].split(";") if m]
    defined = mime_types_in_xml()
    assert set(defined) <= set(claimed)
    globs = {g for patterns in defined.values() for g in patterns}
    assert {"*.keras", "*.tflite"} <= globs
    # .h5 is shared-mime-info's application/x-hdf already; the entry must claim that type.
    assert "application/x-hdf" in claimed


@pytest.mark.skipif(shutil.which("update-mime-database") is None,
                    reason="shared-mime-info is not installed")
def test_a_real_mime_database_recognises_keras_and_tflite_files(tmp_path):
    """Install the MIME package into a private data dir, build its cache with update-mime-database
    and ask Qt's QMimeDatabase (which reads that cache) what real model files are."""
    data = tmp_path / "share"
    (data / "mime" / "packages").mkdir(parents=True)
    shutil.copy(MIME_XML, data / "mime" / "packages" / "livepredict.xml")
    subprocess.run(["update-mime-database", str(data / "mime")], check=True, capture_output=True)
    keras_file = tmp_path / "model.keras"
    import zipfile

    with zipfile.ZipFile(keras_file, "w") as z:  # a .keras file is a zip archive
        z.writestr("metadata.json", "{}")
    tflite_file = tmp_path / "renamed.bin"  # no extension: recognised by its "TFL3" identifier
    tflite_file.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(64))
    code = (
        "import sys\n"
        "from PySide6.QtCore import QMimeDatabase\n"
        "db = QMimeDatabase()\n"
        "print(db.mimeTypeForFile(sys.argv[1]).name())\n"
        "print(db.mimeTypeForFile(sys.argv[2]).name())\n"
        "print(db.mimeTypeForFile('x.tflite', QMimeDatabase.MatchMode.MatchExtension).name())\n"
    )
    env = dict(os.environ, XDG_DATA_HOME=str(data), XDG_DATA_DIRS="/usr/share:/usr/local/share")
    r = subprocess.run([sys.executable, "-c", code, str(keras_file), str(tflite_file)],
                       capture_output=True, text=True, env=env, timeout=60, check=True)
    assert r.stdout.split() == ["application/x-keras", "application/x-tflite", "application/x-tflite"]


# ------------------------------------------------------------------ PyInstaller spec

def _spec_literals() -> dict[str, object]:
    """Top-level NAME = <literal> assignments of the spec (it is Python but runs only inside PyInstaller)."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    out: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def test_spec_references_existing_paths():
    text = SPEC.read_text(encoding="utf-8")
    lit = _spec_literals()
    # Every ROOT / "a" / "b" path written in the spec exists (launcher, icons, package dir).
    paths = re.findall(r'ROOT((?:\s*/\s*"[^"]+")+)', text)
    assert paths, "the spec should build its paths from ROOT"
    for chain in paths:
        parts = re.findall(r'"([^"]+)"', chain)
        p = ROOT.joinpath(*parts)
        assert p.exists(), f"spec refers to missing {p.relative_to(ROOT)}"
    for icon in ("livepredict.ico", "livepredict.icns"):
        assert (PKG / "icons" / icon).is_file()
    for d in lit["DATA_DIRS"]:
        assert (ROOT / d).is_dir()
    for f in lit["DATA_FILES"]:
        assert (ROOT / f).is_file(), f"spec ships {f}, which is missing"
    assert lit["NAME"] == livepredict.APP_ID


def test_spec_builds_onedir_and_hidden_imports_exist():
    import importlib.util

    text = SPEC.read_text(encoding="utf-8")
    assert "COLLECT(" in text and "exclude_binaries=True" in text  # onedir, never onefile
    tree = ast.parse(text)
    hidden = [
        n.value for node in ast.walk(tree)
        if isinstance(node, ast.AugAssign) and getattr(node.target, "id", "") == "hiddenimports"
        for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    assert "ai_edge_litert.interpreter" in hidden
    for mod in hidden:
        assert importlib.util.find_spec(mod) is not None, f"hidden import {mod} does not exist"
    excludes = _spec_literals()["excludes"]
    for needed in ("tensorflow", "keras", "ai_edge_litert", "PySide6.QtWidgets", "PySide6.QtSvg",
                   "livepredict", "unittest", "cv2", "pyqtgraph"):
        assert not any(needed == e or needed.startswith(e + ".") for e in excludes), needed


def test_the_app_and_the_bundle_share_one_data_layout():
    """livepredict.data_dir() is the repo root from source; the spec ships the same folders."""
    root = livepredict.data_dir()
    assert root == ROOT
    for d in _spec_literals()["DATA_DIRS"]:
        assert (root / d).is_dir()


# ------------------------------------------------------------------ icons

def test_icon_pngs_exist_in_every_hicolor_size():
    from PIL import Image

    for size in render_icons.SIZES:
        p = render_icons.png_path(size)
        assert p.is_file(), f"missing {p}; run packaging/render_icons.py"
        with Image.open(p) as im:
            assert im.size == (size, size) and im.mode == "RGBA"
            assert im.getchannel("A").getextrema() == (0, 255)  # rounded corners are transparent


def test_icon_pngs_are_rendered_from_the_current_svg(qapp):
    """Fails when the SVG changed but the PNGs were not re-rendered."""
    import numpy as np
    from PIL import Image

    for size in (16, 48):
        fresh = render_icons.render(size)
        fresh_png = Path(os.environ.get("TMPDIR", "/tmp")) / f"lp-icon-{os.getpid()}-{size}.png"
        assert fresh.save(str(fresh_png), "PNG")
        try:
            a = np.asarray(Image.open(fresh_png).convert("RGBA"), dtype=np.int16)
        finally:
            fresh_png.unlink()
        b = np.asarray(Image.open(render_icons.png_path(size)).convert("RGBA"), dtype=np.int16)
        assert np.abs(a - b).max() <= 8, f"{size}px icon is stale; run packaging/render_icons.py"


# ------------------------------------------------------------------ version, one place

def test_version_is_single_sourced():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "livepredict.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", livepredict.__version__)
    # No other file of the package or the packaging spells the version out.
    literal = re.compile(re.escape(f'"{livepredict.__version__}"'))
    offenders = [
        p.relative_to(ROOT) for p in [*(ROOT / "desktop" / "livepredict").rglob("*.py"), SPEC, DESKTOP]
        if p.name != "__init__.py" or p.parent.name != "livepredict"
        if literal.search(p.read_text(encoding="utf-8"))
    ]
    assert not offenders


def test_cli_version_and_about_dialog_show_the_package_version(tmp_path):
    r = subprocess.run([sys.executable, "-m", "livepredict", "--version"], capture_output=True,
                       text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0
    assert r.stdout.strip() == f"livepredict {livepredict.__version__}"
    # The About dialog's text, from a real main window in a separate offscreen process (its own
    # settings and log folders, so nothing touches the user's configuration).
    code = (
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(['livepredict'])\n"
        "from livepredict.settings import Settings\n"
        "from livepredict.threads.engine.controller import InferenceController\n"
        "from livepredict.ui.main_window import MainWindow\n"
        "c = InferenceController()\n"
        "w = MainWindow(c, Settings())\n"
        "print(w.about_text())\n"
        "w.close()\n"
        "c.shutdown(2000)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LIVEPREDICT_SETTINGS_DIR=str(tmp_path / "settings"),
               LIVEPREDICT_LOG_DIR=str(tmp_path / "logs"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert f"Live Predict {livepredict.__version__}</h3>" in r.stdout


def test_shell_scripts_parse():
    for script in (PKG / "build.sh", LINUX / "install.sh", LINUX / "uninstall.sh", ROOT / ".ci" / "run"):
        r = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert r.returncode == 0, f"{script.name}: {r.stderr}"
        assert os.access(script, os.X_OK), f"{script.name} is not executable"
