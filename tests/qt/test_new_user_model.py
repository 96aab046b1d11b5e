"""The Model tab and File › Recent Models as a new user meets them."""

from __future__ import annotations

import json
from pathlib import Path

from livepredict.settings import Settings
from livepredict.ui.profile_state import APPLIED, EDITED

ROOT = Path(__file__).resolve().parents[2]


def load(qtbot, window, path, timeout=120_000):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=timeout) as blocker:
        window.open_model(path)
    return blocker.args[0]


def test_revert_after_apply_goes_back_to_the_files_profile_marked_as_not_applied(qtbot, window, model_files,
                                                                                tmp_path):
    model = tmp_path / "m" / "colors.keras"
    model.parent.mkdir()
    model.write_bytes(Path(model_files["keras"]).read_bytes())
    Path(str(model) + ".livepredict.json").write_text(json.dumps({"labels": ["red", "green", "blue"]}))
    load(qtbot, window, model)
    mp = window.panel("Model")
    assert mp.profile_mark.text() == ""
    mp.labels.setPlainText("rouge\nvert\nbleu")
    assert mp.profile_mark.text() == EDITED
    with qtbot.waitSignal(window.controller.profile_applied, timeout=20_000) as applied:
        mp.apply_button.click()
    assert applied.args[0].info.labels == ("rouge", "vert", "bleu")
    assert mp.profile_mark.text() == APPLIED  # running, but not in the file
    mp.revert_button.click()
    assert mp.edited_labels() == ["red", "green", "blue"]  # the file's labels, not the applied ones
    assert mp.profile_mark.text() == EDITED  # the model still runs the applied ones until Apply
    with qtbot.waitSignal(window.controller.profile_applied, timeout=20_000):
        mp.apply_button.click()
    assert mp.profile_mark.text() == ""


def test_recent_models_lists_each_file_once(qtbot, isolated_settings, model_files, tmp_path):
    from livepredict.ui.recent_menu import RecentModelsMenu

    settings = Settings()
    path = Path(model_files["keras"])
    settings.qs.setValue("recent/models", [str(path.parent / "." / path.name), str(path)])  # as older versions wrote
    settings.add_recent_model(str(path.parent / ".." / path.parent.name / path.name))
    other = tmp_path / "copy" / path.name
    other.parent.mkdir()
    other.write_bytes(path.read_bytes())
    settings.add_recent_model(str(other))
    menu = RecentModelsMenu(settings)
    names = [a.text() for a in menu.actions() if a.data()]
    assert settings.recent_models() == [str(other), str(path.resolve())]
    assert len(names) == 2 and len(set(names)) == 2  # the same name twice: each shows its folder
    assert all(n.startswith(path.name + " — ") for n in names)
    menu.deleteLater()


def test_the_status_bar_names_the_runtime_the_generator_uses(qtbot, window):
    window.show_panel("Generate")
    gen = window.panel("Generate")
    with qtbot.waitSignal(window.controller.generator_ready, timeout=120_000) as ready:
        window.open_model(ROOT / "models" / "chars.keras")
    runtime = ready.args[0].info["runtime"]
    assert window.model_label.text() == f"chars.keras · {runtime} step"
    assert f"{runtime} step" in gen.model_label.text()


def test_model_tab_says_things_plainly_and_shows_one_speed(qtbot, window, model_files):
    from helpers.models import solid

    load(qtbot, window, model_files["keras"])
    mp = window.panel("Model")
    check = mp.fields["check"]
    assert check.text().split(":")[0] in ("Passed", "Not needed") and "|diff|" not in check.text()
    assert mp.loaded.info.runtime_check is None or "tolerance" in check.toolTip()  # the numbers on hover
    assert not mp.mean.isEnabled() and not mp.std.isEnabled()  # the scale does not use them
    mp.combos["scale"].setCurrentText("mean-std")
    assert mp.mean.isEnabled() and mp.std.isEnabled()
    mp.combos["scale"].setCurrentText(mp.loaded.info.preprocess.scale)
    # the tensor beside the fields: the picture selected in Classify, again after an edit is applied
    window.classify_panel.classify_image(solid((220, 30, 20)))
    qtbot.waitUntil(lambda: mp.tensor_preview.key != "", timeout=30_000)
    before = mp.tensor_preview.caption.text()
    assert "values" in before
    mp.combos["scale"].setCurrentText("-1..1")
    mp.apply_button.click()
    qtbot.waitUntil(lambda: mp.tensor_preview.caption.text() != before, timeout=30_000)
    assert "values -" in mp.tensor_preview.caption.text()  # -1..1: the tensor now has negative values
    # one ms/image figure: after a benchmark the status bar and the Model tab show the same one
    with qtbot.waitSignal(window.controller.bench_finished, timeout=120_000):
        window.controller.benchmark(seconds=0.3)
    figure = window.model_label.text().rsplit(" · ", 1)[-1]
    assert figure.endswith("/image") and mp.fields["speed"].text().startswith(figure.split("/")[0])


def test_a_failed_open_stays_on_screen_until_dismissed_and_says_what_still_runs(qtbot, window, model_files,
                                                                               tmp_path):
    load(qtbot, window, model_files["keras"])
    bad = tmp_path / "page.h5"
    bad.write_text("<!doctype html><html></html>")
    with qtbot.waitSignal(window.controller.load_failed, timeout=60_000):
        window.open_model(bad)
    banner = window.error_banner
    assert banner.isVisible() and "HTML" in banner.text.text()
    assert banner.text.text().endswith(f"{Path(model_files['keras']).name} is still open and in use.")
    window.show_message("Classified 3 images in 0.1 s.")  # the next action's news…
    window.show_panel("Model")
    assert window.status_text.text() == ""  # …stays with its tab
    assert banner.isVisible()  # the error stays until dismissed
    banner.dismiss_button.click()
    assert not banner.isVisible()
