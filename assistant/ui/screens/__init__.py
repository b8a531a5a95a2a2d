"""The app's screens; each owns its .tcss file."""
