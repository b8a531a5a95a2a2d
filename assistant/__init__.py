"""live-assistant: a terminal chat assistant where a person approves every change a model proposes."""

__version__ = "0.1.0"
