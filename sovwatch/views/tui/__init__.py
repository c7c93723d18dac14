"""The Textual app (`SovwatchApp` in `app.py`); importing this package imports nothing heavy."""
