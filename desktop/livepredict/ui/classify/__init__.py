"""The Classify tab: image cards, the tensor view and the export."""
