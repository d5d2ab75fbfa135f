"""The Case aggregate and its rules: pure Python, no web, database or auth code."""
