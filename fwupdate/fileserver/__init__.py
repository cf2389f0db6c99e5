"""A tiny read-only HTTP(S) server that serves only the files of the current plan."""

from fwupdate.fileserver.server import Access, FileServer, ServedFile

__all__ = ["Access", "FileServer", "ServedFile"]
