"""Model panel: what the opened model is, how images are prepared for it, how fast it runs.

Everything shown comes from ``ModelInfo`` (sent by the inference thread). The preprocessing
profile and labels can be edited, applied and saved to the sidecar; "Benchmark" runs
``inference.benchmark.run_bench`` in the inference thread and draws the figures as bars.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livepredict.core.types import (
    COLOR_ORDERS,
    DTYPES,
    INTERPOLATIONS,
    RESIZE_MODES,
    SCALINGS,
    ModelInfo,
    PreprocessSpec,
)
from livepredict.threads.engine.payloads import BenchResult, ModelLoaded
from livepredict.ui.explain_layer import ExplainLayerBox
from livepredict.ui.int8_box import Int8Box
from livepredict.ui.model_preview import ModelTensorPreview
from livepredict.ui.model_words import check_words
from livepredict.ui.panel import AppContext
from livepredict.ui.profile_state import panel_mark
from livepredict.ui.widgets import BarChart, format_ms

SOURCE_TEXT = {
    "model": "preprocessing layers inside the model",
    "sidecar": "the sidecar file beside the model",
    "teachable-machine": "the Teachable Machine export layout",
    "labels-file": "a labels.txt file (preprocessing is a default)",
    "default": "a default (no information found)",
}


def _shape(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ")"


def _params(n: int | None) -> str:
    if n is None:
        return "unknown"
    if n >= 1_000_000:
        return f"{n:,} ({n / 1e6:.1f} M)"
    return f"{n:,}"


def quantization_text(q: dict[str, Any]) -> str:
    """``image: uint8, scale 0.00392, zero point 0`` per quantised input and output ('' for a float model)."""
    rows = []
    for side in ("inputs", "outputs"):
        for t in q.get(side, ()):
            rows.append(f"{side[:-1]} {t['name']}: {t['dtype']}, scale {t['scale']:.6g}, zero point {t['zero_point']}")
    return "\n".join(rows)


def _value(label: QLabel) -> QLabel:
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


def bench_bars(result: dict[str, Any]) -> list[tuple[str, float]]:
    """(name, ms per image) pairs from a ``run_bench`` result, whatever its exact layout."""
    bars: list[tuple[str, float]] = []
    paths = result.get("paths")
    if isinstance(paths, dict) and paths:
        for name, st in paths.items():
            if isinstance(st, dict):
                ms = next((st[k] for k in ("ms_median", "ms_per_image", "median_ms", "ms")
                           if isinstance(st.get(k), int | float)), None)
                if ms is not None:
                    bars.append((str(name), float(ms)))
        if bars:
            return sorted(bars, key=lambda kv: kv[1])

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                name = f"{prefix} {k}".strip()
                if isinstance(v, int | float) and not isinstance(v, bool) and (
                        k.endswith("_ms") or k in ("ms", "ms_per_image", "mean_ms", "median_ms")):
                    bars.append((name.replace("_ms", "").replace("_", " ").strip(), float(v)))
                elif isinstance(v, dict | list):
                    walk(name, v)
        elif isinstance(obj, list):
            for item in obj:
                if isinstance(item, dict):
                    label = str(item.get("name") or item.get("runtime") or item.get("method") or prefix)
                    ms = next((item[k] for k in ("ms_per_image", "median_ms", "mean_ms", "ms")
                               if isinstance(item.get(k), int | float)), None)
                    if ms is not None:
                        bars.append((label, float(ms)))
                    else:
                        walk(label, item)

    walk("", result)
    seen: dict[str, float] = {}
    for k, v in bars:
        seen.setdefault(k, v)
    return list(seen.items())[:10]


class ModelPanel(QWidget):
    """The Model tab."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.controller = controller = context.controller
        self.loaded: ModelLoaded | None = None
        self.in_file: ModelLoaded | None = None  # the profile as the file (or detection) gives it
        self._saving = False

        self._build()
        self._set_enabled(False)
        controller.model_loaded.connect(self.on_model_loaded)
        controller.profile_applied.connect(self.on_profile_applied)
        controller.runtime_switched.connect(self.on_runtime_switched)
        controller.bench_finished.connect(self.on_bench_finished)
        controller.error_occurred.connect(self.on_error)

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        columns = QHBoxLayout(body)
        columns.setContentsMargins(12, 12, 12, 12)
        columns.setSpacing(12)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.setSpacing(12)
        right.setSpacing(12)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        left.addWidget(self._build_model_box())
        right.addWidget(self._build_profile_box())
        right.addWidget(self._build_bench_box())
        right.addWidget(Int8Box(self.controller))  # the opt-in Fast (int8) runtime (ui/int8_box.py)
        right.addWidget(ExplainLayerBox(self.controller))  # the Grad-CAM layer (ui/explain_layer.py)
        right.addStretch(1)
        left.addWidget(self._build_layers_box(), 1)

    def _build_model_box(self) -> QGroupBox:
        # -- overview
        box = QGroupBox("Model")
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.fields: dict[str, QLabel] = {}
        for key, title in (("name", "File"), ("format", "Format"), ("task", "Task"), ("inputs", "Inputs"),
                           ("outputs", "Outputs"), ("quantization", "Quantisation"), ("params", "Parameters"),
                           ("runtime", "Runtime"), ("check", "Numeric check"), ("speed", "Speed")):
            self.fields[key] = _value(QLabel("–"))
            form.addRow(title, self.fields[key])
            if key == "outputs":
                # which output of a multi-output model the app shows (reopens the model with it)
                self.output_choice = QComboBox()
                self.output_choice.setObjectName("outputChoice")
                self.output_choice.setToolTip("The output the Classify and Live tabs show; the model is "
                                              "opened again with it")
                self.output_choice.activated.connect(self.choose_output)
                form.addRow("Shown output", self.output_choice)
        self._form = form
        self.warnings = QLabel("")
        self.warnings.setObjectName("Warning")
        self.warnings.setWordWrap(True)
        self.warnings.hide()
        form.addRow(self.warnings)
        return box

    def _build_profile_box(self) -> QGroupBox:
        # -- preprocessing profile + labels (editable)
        pbox = QGroupBox("Preprocessing and labels")
        pl = QVBoxLayout(pbox)
        self.source = QLabel("–")
        self.source.setObjectName("Muted")
        self.source.setWordWrap(True)
        pl.addWidget(self.source)
        pform = QFormLayout()
        self.size = QLabel("–")
        pform.addRow("Input size", self.size)
        self.combos: dict[str, QComboBox] = {}
        for key, choices in (("resize", RESIZE_MODES), ("interpolation", INTERPOLATIONS),
                             ("color", COLOR_ORDERS), ("scale", SCALINGS), ("dtype", DTYPES)):
            cb = QComboBox()
            cb.addItems(list(choices))
            cb.setMaximumWidth(260)  # a short word each: no 700 px wide dropdowns on a wide window
            self.combos[key] = cb
            pform.addRow(key.capitalize(), cb)
        self.mean = QLineEdit()
        self.mean.setPlaceholderText("e.g. 123.7, 116.3, 103.5 (0..255)")
        self.std = QLineEdit()
        self.std.setPlaceholderText("e.g. 58.4, 57.1, 57.4")
        pform.addRow("Mean", self.mean)
        pform.addRow("Std", self.std)
        self.combos["scale"].currentTextChanged.connect(self._on_scale)
        self.tensor_preview = ModelTensorPreview(self.controller)
        beside = QHBoxLayout()  # the tensor next to the fields: an edit shows its effect here
        beside.addLayout(pform, 1)
        beside.addWidget(self.tensor_preview)
        pl.addLayout(beside)
        pl.addWidget(QLabel("Labels (one per line)"))
        self.labels = QPlainTextEdit()
        self.labels.setMinimumHeight(70)
        self.labels.setMaximumHeight(104)
        pl.addWidget(self.labels, 1)
        self.profile_error = QLabel("")
        self.profile_error.setObjectName("Warning")
        self.profile_error.setWordWrap(True)
        pl.addWidget(self.profile_error)
        self.profile_mark = QLabel("")
        self.profile_mark.setObjectName("profileMark")
        self.profile_mark.setWordWrap(True)
        pl.addWidget(self.profile_mark)
        for cb in self.combos.values():
            cb.currentTextChanged.connect(self._update_mark)
        for edit in (self.mean, self.std, self.labels):
            edit.textChanged.connect(self._update_mark)
        row = QHBoxLayout()
        self.revert_button = QPushButton("Revert")
        self.apply_button = QPushButton("Apply")
        self.save_button = QPushButton("Save to Sidecar")
        self.revert_button.clicked.connect(self.revert)
        self.apply_button.clicked.connect(self.apply)
        self.save_button.clicked.connect(self.save)
        row.addStretch(1)
        for b in (self.revert_button, self.apply_button, self.save_button):
            row.addWidget(b)
        pl.addLayout(row)
        return pbox

    def _build_bench_box(self) -> QGroupBox:
        # -- benchmark
        bbox = QGroupBox("Benchmark")
        bl = QVBoxLayout(bbox)
        brow = QHBoxLayout()
        self.bench_button = QPushButton("Run Benchmark")
        self.bench_button.clicked.connect(self.run_benchmark)
        self.bench_status = QLabel("Time per image for each runtime, measured in the inference thread.")
        self.bench_status.setObjectName("Muted")
        self.bench_status.setWordWrap(True)
        brow.addWidget(self.bench_button)
        brow.addWidget(self.bench_status, 1)
        bl.addLayout(brow)
        self.chart = BarChart()
        bl.addWidget(self.chart)
        return bbox

    def _build_layers_box(self) -> QGroupBox:
        # -- layers
        lbox = QGroupBox("Layers")
        ll = QVBoxLayout(lbox)
        self.layers = QTableWidget(0, 4)
        self.layers.setHorizontalHeaderLabels(["Name", "Type", "Output shape", "Parameters"])
        self.layers.verticalHeader().hide()
        self.layers.verticalHeader().setDefaultSectionSize(max(22, self.fontMetrics().height() + 6))
        self.layers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.layers.setAlternatingRowColors(True)
        self.layers.setMinimumHeight(220)
        self.layers.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.layers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # shapes never cut
        ll.addWidget(self.layers)
        return lbox


    def shutdown(self) -> None:
        """Nothing to stop: a benchmark ends with the inference thread."""

    def _set_enabled(self, on: bool) -> None:
        for w in (*self.combos.values(), self.mean, self.std, self.labels, self.apply_button,
                  self.save_button, self.revert_button, self.bench_button):
            w.setEnabled(on)
        self._on_scale()

    @Slot()
    def _on_scale(self, *_: Any) -> None:
        """Mean and Std are used by the mean-std scale only."""
        uses = self.combos["scale"].isEnabled() and self.combos["scale"].currentText() == "mean-std"
        for w in (self.mean, self.std):
            w.setEnabled(uses)

    # -- showing
    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.load_id != self.controller.load_id:
            return  # a newer model was asked for meanwhile
        self.loaded = self.in_file = loaded
        self.show_info(loaded)
        self.chart.set_items([])
        self.bench_status.setText("Time per image for each runtime, measured in the inference thread.")

    @Slot(object)
    def on_profile_applied(self, loaded: ModelLoaded) -> None:
        self.loaded = loaded
        if self._saving:  # written to the sidecar: that is the file's profile now
            self.in_file, self._saving = loaded, False
        self.show_info(loaded)

    @Slot(object)
    def on_runtime_switched(self, switched: Any) -> None:
        if switched.slot == self.controller.MAIN_SLOT and switched.load_id == self.controller.load_id:
            self.on_profile_applied(switched.loaded)

    def show_info(self, loaded: ModelLoaded) -> None:
        info: ModelInfo = loaded.info
        f = self.fields
        f["name"].setText(info.path)
        f["format"].setText(info.format)
        f["task"].setText(info.task + (f" ({info.output_kind})" if info.output_kind else ""))
        f["inputs"].setText("\n".join(f"{t.name}: {_shape(t.shape)} {t.dtype}" for t in info.inputs) or "–")
        f["outputs"].setText("\n".join(f"{t.name}: {_shape(t.shape)} {t.dtype}"
                                       + (" ← shown" if len(info.outputs) > 1 and i == info.output_index else "")
                                       for i, t in enumerate(info.outputs)) or "–")
        self._show_output_choice(info)
        f["quantization"].setText(quantization_text(info.quantization))
        self._form.setRowVisible(f["quantization"], bool(f["quantization"].text()))
        f["params"].setText(_params(info.params))
        cached = " (warm start from the cache)" if loaded.warm else ""
        if info.extras.get("switched_to"):
            cached = " (switched from keras after its background conversion passed the check)"
        elif info.extras.get("converting"):
            cached = " (LiteRT is being converted and checked in the background)"
        f["runtime"].setText(info.runtime + cached + (f"; loaded by {info.loader}" if getattr(info, "loader", "") else ""))
        words, details = check_words(info)
        f["check"].setText(words)
        f["check"].setToolTip(details)
        speed = f"{format_ms(loaded.ms_per_image)}/image" if loaded.ms_per_image else "–"
        memory = f", {loaded.memory_text}" if loaded.memory_text else ""
        f["speed"].setText(f"{speed}, opened in {loaded.load_s:.2f} s{memory}")
        self.warnings.setText("\n".join(f"⚠ {w}" for w in info.warnings))
        self.warnings.setVisible(bool(info.warnings))
        self._show_profile(info)
        self.layers.setRowCount(len(info.layers))
        for i, layer in enumerate(info.layers):
            for j, v in enumerate((layer.name, layer.kind, layer.output_shape, f"{layer.params:,}")):
                item = QTableWidgetItem(v)
                if j == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.layers.setItem(i, j, item)
        self._set_enabled(info.preprocess is not None)
        self.bench_button.setEnabled(True)
        self.labels.setEnabled(True)

    def _show_output_choice(self, info: ModelInfo) -> None:
        box = self.output_choice
        box.blockSignals(True)
        box.clear()
        for t in info.outputs:
            box.addItem(f"{t.name} {_shape(t.shape)}")
        box.setCurrentIndex(info.output_index if info.output_index < box.count() else 0)
        box.blockSignals(False)
        self._form.setRowVisible(box, len(info.outputs) > 1)

    @Slot(int)
    def choose_output(self, index: int) -> None:
        """Show output ``index``: the model is opened again with it (preprocessing and labels stay)."""
        info = self.loaded.info if self.loaded is not None else None
        if info is None or index == info.output_index or not 0 <= index < len(info.outputs):
            return
        self.context.show_message(f"Opening {Path(info.path).name} again to show its output {info.outputs[index].name}…")
        self.controller.open_model(info.path, self.controller.trusted, output=index)

    def _show_profile(self, info: ModelInfo) -> None:
        spec = info.preprocess
        self.source.setText(f"From {SOURCE_TEXT.get(info.preprocess_source, info.preprocess_source)}."
                            + (f" In the model: {', '.join(spec.in_model)}." if spec and spec.in_model else ""))
        if spec is not None:
            self.size.setText(f"{spec.size[0]} x {spec.size[1]}" if spec.size else "any")
            for key, cb in self.combos.items():
                cb.setCurrentText(getattr(spec, key))
            self.mean.setText(", ".join(f"{v:g}" for v in spec.mean) if spec.mean else "")
            self.std.setText(", ".join(f"{v:g}" for v in spec.std) if spec.std else "")
        else:
            self.size.setText("not an image model")
        self.labels.setPlainText("\n".join(info.labels))
        self.profile_error.setText("")
        self._update_mark()

    @Slot()
    def _update_mark(self, *_: Any) -> None:
        """Say whether the fields are applied and whether what runs is the file's profile."""
        self.profile_mark.setText(panel_mark(self))

    # -- editing
    def edited_spec(self) -> PreprocessSpec | None:
        """The spec as edited; raises ValueError with a readable reason."""
        if self.loaded is None or self.loaded.info.preprocess is None:
            return None

        def numbers(text: str) -> tuple[float, ...] | None:
            text = text.strip()
            if not text:
                return None
            try:
                return tuple(float(x) for x in text.replace(";", ",").split(",") if x.strip())
            except ValueError:
                raise ValueError(f"'{text}' is not a list of numbers") from None

        base = self.loaded.info.preprocess
        return dataclasses.replace(base, **{k: cb.currentText() for k, cb in self.combos.items()},
                                   mean=numbers(self.mean.text()), std=numbers(self.std.text()))

    def edited_labels(self) -> list[str]:
        return [line.strip() for line in self.labels.toPlainText().splitlines() if line.strip()]

    def _send(self, save: bool) -> None:
        try:
            spec = self.edited_spec()
        except ValueError as e:
            self.profile_error.setText(f"The profile is not valid: {e}; fix the field and try again.")
            return
        self.profile_error.setText("")
        self._saving = save
        self.controller.apply_profile(spec, self.edited_labels(), save)

    @Slot()
    def apply(self) -> None:
        self._send(False)

    @Slot()
    def save(self) -> None:
        self._send(True)

    @Slot()
    def revert(self) -> None:
        """Back to the file's (or the detected) profile; marked as not applied while another one runs."""
        if self.in_file is not None:
            self._show_profile(self.in_file.info)

    @Slot(object)
    def on_error(self, err) -> None:
        if getattr(err, "context", "") == "profile":
            self.profile_error.setText(err.message)

    # -- benchmark
    @Slot()
    def run_benchmark(self) -> None:
        if self.loaded is None:
            return
        self.bench_button.setEnabled(False)
        self.bench_status.setText("Benchmarking… (about a few seconds per runtime)")
        self.controller.benchmark()

    @Slot(object)
    def on_bench_finished(self, res: BenchResult) -> None:
        self.bench_button.setEnabled(self.loaded is not None)
        if res.error:
            self.bench_status.setText(res.error)
            return
        bars = bench_bars(res.result)
        chosen = self.loaded.info.runtime if self.loaded else None
        chosen = res.result.get("chosen") or chosen
        highlight = next((k for k, _ in bars if chosen and chosen == k), None)
        self.chart.set_items(bars, highlight=highlight)
        ms = dict(bars).get(highlight) if highlight else None
        if ms is not None and self.loaded is not None:  # one figure everywhere: the benchmark's, once there is one
            self.fields["speed"].setText(f"{format_ms(ms)}/image ({highlight}, benchmark median), opened in "
                                         f"{self.loaded.load_s:.2f} s")
        if bars:
            fastest = min(bars, key=lambda kv: kv[1])
            slowest = max(bars, key=lambda kv: kv[1])
            ratio = slowest[1] / fastest[1] if fastest[1] > 0 else 0
            text = (f"Fastest: {fastest[0]} ({format_ms(fastest[1])}/image), {ratio:.1f}x faster than "
                    f"{slowest[0]}.")
            if chosen:
                text += f" The app uses {chosen}."
            self.bench_status.setText(text)
        else:
            self.bench_status.setText("The benchmark returned no per-image figures.")
