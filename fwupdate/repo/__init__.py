"""Repositories for iDRAC repository updates: open (folder, catalog, SUU ISO without mounting),
rewrite the catalog so the iDRAC uses our share, serve it for the run.  See docs/delivery.md."""

from fwupdate.repo.rewrite import RewriteResult, package_paths, rewrite_catalog
from fwupdate.repo.serve import ServedRepository, serve_repository
from fwupdate.repo.source import RepositoryContent, open_repository

__all__ = [
    "RepositoryContent",
    "RewriteResult",
    "ServedRepository",
    "open_repository",
    "package_paths",
    "rewrite_catalog",
    "serve_repository",
]
