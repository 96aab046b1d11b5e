"""Output heads: typed results from raw model outputs (see ``heads/base.py``).

``head_for(info)`` picks the head of an opened model. A new head is one module in this package
plus its name in the registration line below (the order of the names is the detection order).
"""

from livepredict.inference.heads import classifier, detector, segmenter  # noqa: F401 - the registered heads, in detection order
from livepredict.inference.heads.base import Head, head_class, head_for, register, registered

__all__ = ["Head", "head_class", "head_for", "register", "registered"]
