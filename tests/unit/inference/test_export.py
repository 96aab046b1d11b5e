"""Export for TensorFlow Serving: the SavedModel's layout and signatures, parity with the app's own
path on real picture files, the labels inside, and the bad cases (one sentence, exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.pictures import write_shape_pictures

from livepredict import cli

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "models" / "shapes.keras"
SAVED_MODEL_CLI = Path(sys.executable).with_name("saved_model_cli")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("serving")
    assert cli.main(["export", str(DEMO), str(out), "--name", "shapes", "--version", "3", "--top", "3"]) == 0
    return out / "shapes" / "3"


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    return write_shape_pictures(tmp_path_factory.mktemp("pictures"), 60)


@pytest.fixture(scope="module")
def demo_model():
    from livepredict.inference.loader import open_model

    with open_model(DEMO) as m:
        yield m


def test_export_writes_the_serving_layout_with_labels_and_metadata(exported, demo_model, capsys):
    assert (exported / "saved_model.pb").is_file() and (exported / "variables").is_dir()
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]  # no half-written folder
    meta = json.loads((exported / "assets.extra" / "livepredict.json").read_text())
    assert meta["labels"] == list(demo_model.info.labels) and meta["head"] == "classifier"
    assert meta["preprocess"] == demo_model.info.preprocess.to_json()
    import tensorflow as tf

    loaded = tf.saved_model.load(str(exported))
    assert [v.decode() for v in loaded.labels.numpy()] == list(demo_model.info.labels)
    assert set(loaded.signatures) == {"serving_default", "preprocessed"}


def test_saved_model_cli_shows_the_serving_signature(exported):
    out = subprocess.run([str(SAVED_MODEL_CLI), "show", "--dir", str(exported), "--all"], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    default = out.split("signature_def['serving_default']")[1]
    assert "inputs['image_bytes'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1)" in default
    for name, dtype, shape in (("scores", "DT_FLOAT", "(-1, 6)"), ("top_labels", "DT_STRING", "(-1, 3)"),
                               ("top_scores", "DT_FLOAT", "(-1, 3)"), ("top_classes", "DT_INT32", "(-1, 3)")):
        assert f"outputs['{name}'] tensor_info:\n        dtype: {dtype}\n        shape: {shape}" in default
    assert "Method name is: tensorflow/serving/predict" in default
    pre = out.split("signature_def['preprocessed']")[1].split("signature_def[")[0]
    assert "inputs['input'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 96, 96, 3)" in pre


def test_exported_signature_agrees_with_the_app_on_real_pictures(exported, pictures, demo_model):
    """≥ 50 files (PNG incl. gray and RGBA, JPEG, BMP, GIF, WebP; 48..420 px): top-1 agrees on ≥ 98 %."""
    from livepredict.inference.export import check_parity
    from livepredict.sources.images import read_image

    assert len(pictures) >= 50 and len({p.suffix for p in pictures}) == 5
    parity = check_parity(exported, demo_model, [p.read_bytes() for p in pictures],
                          [read_image(p) for p in pictures])
    print(f"\nparity: top-1 {parity.top1_agree}/{parity.pictures}, max |Δscore| {parity.max_abs_diff:.3g}")
    assert parity.agreement >= 0.98
    assert parity.max_abs_diff < 1e-3  # same pixels: only the runtime's float rounding differs


def test_labels_and_preprocessed_signature_match_the_app(exported, pictures, demo_model):
    import tensorflow as tf

    from livepredict.inference.predict import predict_images
    from livepredict.sources.images import read_image

    loaded = tf.saved_model.load(str(exported))
    images = [read_image(p) for p in pictures[:6]]
    preds = predict_images(demo_model, images, top_k=3)
    served = loaded.signatures["serving_default"](image_bytes=tf.constant([p.read_bytes() for p in pictures[:6]]))
    tensors = tf.constant(np.stack([demo_model.preprocess(im) for im in images]))
    pre = loaded.signatures["preprocessed"](input=tensors)
    for i, pred in enumerate(preds):
        assert [lbl.decode() for lbl in served["top_labels"][i].numpy()] == [lbl for lbl, _ in pred.top]
        np.testing.assert_allclose(served["top_scores"][i].numpy(), [s for _, s in pred.top], atol=1e-4)
    np.testing.assert_allclose(pre["scores"].numpy(), served["scores"].numpy(), atol=1e-6)


def _run_cli(args, capsys) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err.strip()


def test_bad_cases_are_one_sentence_and_exit_2(exported, model_files, capsys, tmp_path):
    out = exported.parent.parent
    code, err = _run_cli(["export", str(DEMO), str(out), "--name", "shapes", "--version", "3"], capsys)
    assert code == 2 and err.count("\n") == 0 and "already exists" in err and "--version 4" in err
    code, err = _run_cli(["export", str(DEMO), str(tmp_path), "--version", "v2"], capsys)
    assert code == 2 and err.count("\n") == 0 and "whole number" in err
    code, err = _run_cli(["export", str(DEMO), str(tmp_path), "--name", "../up"], capsys)
    assert code == 2 and err.count("\n") == 0 and "folder name" in err
    code, err = _run_cli(["export", str(model_files["tflite"]), str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 0 and ".tflite" in err
    code, err = _run_cli(["export", str(ROOT / "models" / "chars.keras"), str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 0 and "Only picture models" in err
    assert not any(tmp_path.iterdir())  # nothing written for a refused export


def test_example_client_gets_the_apps_answers_over_the_rest_api(exported, pictures, demo_model):
    """examples/serving_client.py against a local stand-in of the REST API running the export with TF."""
    from helpers.serving_server import ServingStandIn

    from livepredict.inference.predict import predict_images
    from livepredict.sources.images import read_image

    chosen = pictures[:5]
    with ServingStandIn(exported.parent.parent) as server:
        run = subprocess.run([sys.executable, str(ROOT / "examples" / "serving_client.py"), *map(str, chosen),
                              "--url", server.url, "--model", "shapes", "--json"],
                             capture_output=True, text=True, timeout=120)
        missing = subprocess.run([sys.executable, str(ROOT / "examples" / "serving_client.py"), str(chosen[0]),
                                  "--url", server.url, "--model", "nothing"], capture_output=True, text=True,
                                 timeout=120)
    assert run.returncode == 0, run.stderr
    served = json.loads(run.stdout)
    preds = predict_images(demo_model, [read_image(p) for p in chosen], top_k=3)
    for got, pred in zip(served, preds, strict=True):
        assert got["top_labels"] == [lbl for lbl, _ in pred.top]
        np.testing.assert_allclose(got["top_scores"], [s for _, s in pred.top], atol=1e-4)
    assert missing.returncode == 2 and "Servable not found" in missing.stderr


def test_a_savedmodel_without_keras_exports_through_its_signature(model_files, color_images, tmp_path):
    """A plain SavedModel folder (no Keras object; possibly opened from the LiteRT cache) is opened
    again with its serving_default signature and exported around it."""
    import io

    from PIL import Image

    from livepredict.inference.export import check_parity, export_for_serving
    from livepredict.inference.loader import open_model

    with open_model(model_files["savedmodel"]) as m:
        assert m.keras_model is None
        result = export_for_serving(m, tmp_path, "colors", 7)
        images = list(color_images.values())
        encoded = []
        for im in images:
            buf = io.BytesIO()
            Image.fromarray(im).save(buf, "PNG")
            encoded.append(buf.getvalue())
        parity = check_parity(result.path, m, encoded, images)
    assert result.labels == ("red", "green", "blue") and parity.top1_agree == 3 and parity.max_abs_diff < 1e-5
