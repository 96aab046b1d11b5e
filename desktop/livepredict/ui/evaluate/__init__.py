"""The Evaluate tab: a labelled folder's figures for the open model(s) (``panel``, ``views``)."""
