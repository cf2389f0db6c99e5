"""`fwupdate rehearse`: the evening's dress rehearsal of a night (docs/rehearsal.md)."""
