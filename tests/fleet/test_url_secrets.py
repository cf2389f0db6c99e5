"""Fleet-file URL checks never echo credentials written into the URL (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fwupdate.errors import ConfigError
from fwupdate.fleet.loader import load_fleet
from fwupdate.logsafe import redact_url, redact_urls

SECRET = "Hunter2Secret"

BAD_URLS = [
    f"ftp://admin:{SECRET}@10.0.1.11",
    f"http://admin:{SECRET}@10.0.1.11",
    f"https://admin:{SECRET}@10.0.1.11",
    f"https://10.0.1.11/?password={SECRET}",
    f"https://10.0.1.11/x?token={SECRET}",
    f"https://10.0.1.11:99999/?access_token={SECRET}",
    f"https://admin:{SECRET}@10.0.1.11:port",
    f"https://[::1/?password={SECRET}",
    f"admin:{SECRET}@10.0.1.11",
    f"https://10.0.1.11#{SECRET}",
    f"https://10.0.1.11:{SECRET}",
    f"https://[::1]:{SECRET}",
    f"https://fe80::1:{SECRET}",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_url_errors_do_not_echo_credentials(
    write_fleet: Callable[[str], Path], url: str
) -> None:
    path = write_fleet(
        '[defaults.idrac]\nusername = "root"\npassword_env = "FWUPDATE_IDRAC_PASSWORD"\n'
        f'[[nodes]]\nname = "lb-lab"\nidrac = "{url}"\n'
    )
    with pytest.raises(ConfigError) as err:
        load_fleet(path)
    assert SECRET not in str(err.value)
    assert "nodes[0].idrac" in str(err.value)


@pytest.mark.parametrize("url", BAD_URLS)
def test_redact_url(url: str) -> None:
    assert SECRET not in redact_url(url)
    if "://" in url:
        assert SECRET not in redact_urls(f"error at {url} (see above)")


def test_redact_url_keeps_host_and_path() -> None:
    assert redact_url("https://u:p@host:8443/a/b?x=1#f") == "https://host:8443/a/b"
    assert redact_url("https://[::1]:443/") == "https://[::1]:443/"
    assert redact_url("https://host:pw") == "https://host:***"
