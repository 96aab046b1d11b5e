"""Model files that claim an implausibly large description are refused before anything parses it."""

from __future__ import annotations

import json
import resource
import time
import zipfile

import numpy as np
import pytest

from livepredict.core.errors import ModelLoadError
from livepredict.inference import limits
from livepredict.inference.loader import detect_format, open_model


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_keras_archive_whose_config_unpacks_to_a_gigabyte_is_refused_fast(tmp_path):
    p = tmp_path / "padded.keras"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("config.json", "w", force_zip64=True) as f:
            f.write(b'{"class_name": "Sequential"}')
            chunk = b" " * (1 << 24)
            for _ in range(64):  # 1 GiB of trailing spaces, a few MB on disk
                f.write(chunk)
        z.writestr("metadata.json", "{}")
    assert p.stat().st_size < 8 << 20
    before, t0 = _peak_rss_mb(), time.monotonic()
    with pytest.raises(ModelLoadError, match=r"declares a 1,024 MB description \(config.json\)"):
        detect_format(p)
    assert time.monotonic() - t0 < 5 and _peak_rss_mb() - before < 200


def test_an_h5_whose_model_config_is_50_mb_is_refused_before_parsing(tmp_path):
    import h5py

    p = tmp_path / "huge_config.h5"
    with h5py.File(p, "w") as f:
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "pad": "x" * (50 << 20)})
        f.create_dataset("w", data=np.zeros(4, np.float32))
    assert detect_format(p) == "h5"  # sniffing reads no description: a warm start never does
    t0 = time.monotonic()
    with pytest.raises(ModelLoadError, match=r"declares a 50 MB model description \(model_config\)"):
        open_model(p, use_cache=False)
    assert time.monotonic() - t0 < 60  # parsing it took minutes and 17 GB before


def test_real_models_pass(model_files):
    assert detect_format(model_files["keras"]) == "keras" and detect_format(model_files["h5"]) == "h5"


def test_too_many_members(tmp_path):
    p = tmp_path / "many.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("config.json", "{}")
        for i in range(limits.MAX_MEMBERS + 1):
            z.writestr(f"assets/{i}", "")
    with pytest.raises(ModelLoadError, match="far more than a Keras model"):
        detect_format(p)


@pytest.mark.parametrize("name", ["../evil.py", "/etc/cron.d/x", "assets/../../x", "C:\\x"])
def test_a_member_that_points_outside_the_archive_is_refused_quietly(tmp_path, name, capfd):
    import warnings

    p = tmp_path / "traversal.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("config.json", "{}")
            z.writestr(name, "x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Python warning may reach stderr
        with pytest.raises(ModelLoadError, match="points outside the archive"):
            detect_format(p)


def test_a_zip_bomb_member_is_refused_before_keras_and_leaves_no_temporary_folder(model_files, tmp_path,
                                                                                  monkeypatch):
    import tempfile

    src = zipfile.ZipFile(model_files["keras"])
    p = tmp_path / "bomb.keras"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            z.writestr(name, src.read(name))
        with z.open("assets/padding.bin", "w", force_zip64=True) as f:  # 300 MB of zeros, ~0.3 MB stored
            for _ in range(300):
                f.write(bytes(1 << 20))
        z.writestr("assets/other.bin", b"x")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(ModelLoadError, match=r"padding.bin.*decompression bomb"):
        open_model(p, use_cache=False)
    assert list(scratch.iterdir()) == []  # Keras's asset store left an empty folder here before
