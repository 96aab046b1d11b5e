"""``export``: write a model as a SavedModel for TensorFlow Serving (``OUT_DIR/NAME/VERSION``)."""

from __future__ import annotations

import argparse

from livepredict.commands.common import open_for_cli, status_printer


def cmd_export(args: argparse.Namespace) -> int:
    from livepredict.inference.export import check_exportable, default_name, export_for_serving, target_folder

    name = args.name or default_name(args.model)
    target_folder(args.out_dir, name, args.version)  # a bad name, version or existing folder: before the load
    model = open_for_cli(args)
    try:
        check_exportable(model.info)
        result = export_for_serving(model, args.out_dir, name, args.version, top_k=args.top,
                                    status=status_printer(), trust=args.trust)
    finally:
        model.close()
    print(f"Exported {result.name} version {result.version} to {result.path}")
    print(f"  serving_default: image_bytes (encoded pictures) -> {', '.join(result.outputs)}")
    print(f"  preprocessed:    input (model-ready tensors) -> {', '.join(result.outputs)}")
    print(f"  {len(result.labels)} labels inside, top {result.top_k}; serve it with:")
    print(f"  docker run -p 8501:8501 -v {result.path.parent.resolve()}:/models/{result.name} "
          f"-e MODEL_NAME={result.name} tensorflow/serving")
    return 0
