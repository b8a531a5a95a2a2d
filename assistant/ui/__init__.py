"""The Textual app: the only package that imports Textual (the core never does)."""
