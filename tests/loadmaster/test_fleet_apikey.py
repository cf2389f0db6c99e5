"""A Kemp API key named in the fleet file (apikey_env / apikey_file): the client sends it
instead of a password, against the simulated LoadMaster over HTTPS; the key is masked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from lm_support import LmSim

from fwupdate.errors import ConfigError
from fwupdate.fleet.loader import parse_fleet
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.logsafe import redact

pytestmark = pytest.mark.integration


def _fleet(tmp_path: Path, lm: dict[str, object], idrac: dict[str, object] | None = None):
    idrac = idrac or {"url": "https://127.0.0.1:1", "username": "root", "password_env": "X",
                      "insecure": True}
    data = {"pairs": [{"name": "p", "nodes": [
        {"name": "a", "idrac": idrac, "loadmaster": lm},
        {"name": "b", "idrac": {**idrac, "url": "https://127.0.0.2:1"}, "loadmaster": lm}]}]}
    return parse_fleet(data, base=tmp_path)


def test_apikey_file_from_the_fleet_file_is_used_instead_of_the_password(
        make_sim: Callable[..., LmSim], tmp_path: Path) -> None:
    sim = make_sim()
    unit = sim.unit("p1a")
    r = requests.get(f"{unit.url}/access/addapikey", auth=("bal", "1fourall"),
                     verify=str(sim.ca), timeout=5)
    key = r.text.split("<apikey>")[1].split("</apikey>")[0]
    (tmp_path / "lm.key").write_text(key + "\n")
    (tmp_path / "lm.key").chmod(0o600)
    fleet = _fleet(tmp_path, {"url": unit.url, "username": "bal", "apikey_file": "lm.key",
                              "ca_bundle": str(sim.ca)})
    ep = fleet.node("a").loadmaster
    assert ep is not None and ep.credentials.apikey_file == tmp_path / "lm.key"
    assert ep.credentials.password_env is None and ep.credentials.password_file is None
    client = LoadMasterClient.from_endpoint(ep, name="a")
    try:
        assert client.version()  # accepted by the unit with the key alone
        assert client._session.auth is None
    finally:
        client.close()
    assert redact(f"apikey={key}") == "apikey=***"


def test_apikey_rules(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"url": "https://127.0.0.9", "username": "bal",
                              "apikey_env": "KEMP_KEY", "insecure": True})
    ep = fleet.node("b").loadmaster
    assert ep is not None and ep.credentials.apikey_env == "KEMP_KEY"
    with pytest.raises(ConfigError, match="apikey_env or apikey_file, not both"):
        _fleet(tmp_path, {"url": "https://127.0.0.9", "username": "bal", "insecure": True,
                          "apikey_env": "K", "apikey_file": "k"})
    with pytest.raises(ConfigError, match="LoadMaster endpoints only"):
        _fleet(tmp_path, {"url": "https://127.0.0.9", "username": "bal", "apikey_env": "K",
                          "insecure": True},
               idrac={"url": "https://127.0.0.1:1", "username": "root", "apikey_env": "K",
                      "insecure": True})
    with pytest.raises(ConfigError, match="not an environment variable name"):
        _fleet(tmp_path, {"url": "https://127.0.0.9", "username": "bal", "apikey_env": "1-x",
                          "insecure": True})
