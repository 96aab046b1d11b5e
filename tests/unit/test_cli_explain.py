"""``livepredict explain``: overlay PNGs and raw maps written whole, one line per picture, exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from helpers.shape_scenes import inside, scene
from PIL import Image

from livepredict import cli
from livepredict.core.heatmap import COLORMAPS

ROOT = Path(__file__).resolve().parents[2]
SHAPES = ROOT / "models" / "shapes.keras"


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_writes_overlays_and_maps(capsys, tmp_path):
    rng = np.random.default_rng(7)
    pics = tmp_path / "pics"
    (pics / "more").mkdir(parents=True)
    boxes = {}
    for name in ("a.png", "more/a.png"):
        img, box, _ = scene(rng)
        Image.fromarray(img).save(pics / name)
        boxes[name] = (img, box)
    (pics / "broken.png").write_bytes(b"not a picture")
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "explain", SHAPES, pics, "--out", out, "--json", "--colormap", "viridis")
    assert code == 0, err
    rows = {Path(r["path"]).relative_to(pics).as_posix(): r for r in json.loads(stdout)}
    assert rows["broken.png"]["error"] and rows["broken.png"]["overlay"] is None
    assert "1 of 3 pictures could not be explained" in err
    for name, (img, box) in boxes.items():
        r = rows[name]
        assert r["method"] == "gradcam" and r["layer"] == "b4_relu" and r["error"] is None
        values = np.load(r["map"])
        assert values.shape == img.shape[:2] and values.dtype == np.float32
        peak = np.unravel_index(int(np.argmax(values)), values.shape)
        assert inside(peak, box) and r["peak"] == [int(peak[1]), int(peak[0])]
        overlay = np.asarray(Image.open(r["overlay"]))
        assert overlay.shape == img.shape and not np.array_equal(overlay, img)
    assert sorted(p.name for p in out.iterdir()) == ["a-2.explain.npy", "a-2.explain.png", "a.explain.npy",
                                                     "a.explain.png"]  # nothing half-written left behind


def test_explain_bad_input_is_one_sentence(capsys, tmp_path):
    img = tmp_path / "a.png"
    Image.fromarray(scene(np.random.default_rng(0))[0]).save(img)
    code, out, err = run(capsys, "explain", SHAPES, img, "--out", tmp_path / "o", "--class", "dog")
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1
    assert err.startswith("livepredict: There is no class 'dog' among this model's labels")
    code, out, err = run(capsys, "explain", SHAPES, img, "--out", img)
    assert code == 2 and err == f"livepredict: --out {img} is a file, not a folder; give a folder for the heatmaps.\n"
    code, out, err = run(capsys, "explain", SHAPES, img, "--out", tmp_path / "o", "--method", "gradcam",
                         "--layer", "gap")
    assert code == 2 and err.startswith("livepredict: The layer 'gap' has no spatial output to explain; pick one of")
    assert not list((tmp_path / "o").iterdir())


def test_colormap_choices_are_the_core_ones():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["explain"]
    assert set(next(a for a in sub._actions if a.dest == "colormap").choices) == set(COLORMAPS)
