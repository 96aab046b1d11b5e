"""The Generate tab: live text from a recurrent model, or a rolling forecast along a series."""
