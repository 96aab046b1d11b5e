"""The engine: the one inference thread that owns TensorFlow, and the GUI-thread controller.

- ``controller``: ``InferenceController`` (GUI thread) owns the QThread, sends requests, re-emits results.
- ``worker``: ``InferenceWorker`` (inference thread) — thin ``@Slot`` methods over the helpers below.
- ``slots``: ``ModelSlots``, up to four open models by name.
- ``runner``: ``TaskRunner``; long jobs are generators of steps (``batch``, ``generation``).
- ``live``: ``LiveInference``, the newest frame of each slot's mailbox.
- ``tools``: preview, profile, versions, benchmark.
- ``decode``: the one place a model's outputs are decoded into results.
- ``payloads``: the frozen result dataclasses; ``guard``: the thread guard and ``error_parts``.
"""
