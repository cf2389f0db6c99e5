"""`fwupdate demo`: a simulated night from a fresh clone (scenario.py, night.py)."""
