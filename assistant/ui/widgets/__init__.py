"""Reusable widgets of the app: conversation, action cards, previews, the confirm pane."""
