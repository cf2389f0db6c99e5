"""Share parameters an iDRAC needs for InstallFromRepository (Redfish or WS-Man), from a URL.

fwupdate's own file server gives `https://HOST:PORT/<run>/<set>/`; an existing share is named
the same way: `http(s)://host[:port]/path/`, `nfs://host/export/path`, `cifs://host/share/path`,
`ftp://host/path`.  The iDRAC receives `IPAddress` = host (with `:port` when not the scheme's
default), `ShareName` = the path without its leading '/', `ShareType`, `CatalogFile`.
(Dell documents no port field; host:port in IPAddress is our choice, see docs/delivery.md.)
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from fwupdate.errors import BadInputError

SHARE_TYPES = {"http": "HTTP", "https": "HTTPS", "nfs": "NFS", "cifs": "CIFS", "ftp": "FTP"}
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
# WS-Man ShareType codes (idrac-wsman.md §2.12): NFS 0, FTP 1, CIFS 2, HTTP 3, HTTPS 6.
WSMAN_SHARE_CODES = {"NFS": 0, "FTP": 1, "CIFS": 2, "HTTP": 3, "HTTPS": 6}


@dataclass(frozen=True)
class ShareParameters:
    share_type: str  # HTTP | HTTPS | NFS | CIFS | FTP
    ip_address: str  # host, or host:port
    share_name: str  # path on the share, no leading '/'
    catalog_file: str = "Catalog.xml"
    secret_path: bool = False  # the path holds the file server's per-run tokens: mask it

    @property
    def display(self) -> str:
        """The URL for logs, journals and reports (per-run tokens masked, like the file
        server's own access log)."""
        if not self.secret_path:
            return self.url
        return f"{self.share_type.lower()}://{self.ip_address}/…/{self.catalog_file}"

    @property
    def url(self) -> str:
        scheme = self.share_type.lower()
        name = f"{self.share_name.strip('/')}/" if self.share_name.strip("/") else ""
        return f"{scheme}://{self.ip_address}/{name}{self.catalog_file}"

    def redfish_body(self, *, apply: bool, reboot: bool) -> dict[str, object]:
        """DellSoftwareInstallationService.InstallFromRepository body (idrac-redfish.md §4.4)."""
        body: dict[str, object] = {
            "IPAddress": self.ip_address,
            "ShareName": self.share_name,
            "ShareType": self.share_type,
            "CatalogFile": self.catalog_file,
            "ApplyUpdate": "True" if apply else "False",  # a string, as Dell documents
            "RebootNeeded": reboot,
        }
        if self.share_type == "HTTPS":
            body["IgnoreCertWarning"] = "On"
        return body


def share_from_url(
    url: str, *, catalog_file: str | None = None, secret_path: bool = False
) -> ShareParameters:
    """Parse a share URL; a URL ending in a .xml/.gz names the catalog file itself."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SHARE_TYPES:
        raise BadInputError(
            f"repository {url!r}: use an http, https, nfs, cifs or ftp URL"
        )
    if not parts.hostname:
        raise BadInputError(f"repository {url!r}: no host")
    if parts.username or parts.password:
        raise BadInputError(
            "repository URL: put no credentials in the URL (they would be logged)"
        )
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = unquote(parts.path).strip("/")
    cat = catalog_file
    last = path.rsplit("/", 1)[-1]
    if cat is None and last.lower().endswith((".xml", ".xml.gz")):
        cat = last
        path = path[: -len(last)].rstrip("/")
    return ShareParameters(SHARE_TYPES[scheme], host, path, cat or "Catalog.xml", secret_path)
