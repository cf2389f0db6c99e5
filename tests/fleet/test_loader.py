"""Fleet file loading: the documented format, defaults, and one clear line per mistake."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from fwupdate.errors import ConfigError, ExitCode
from fwupdate.fleet.loader import load_fleet, parse_endpoint

FP = "ab" * 32

GOOD = f"""
[defaults]
concurrency = 4

[defaults.idrac]
username = "root"
password_file = "idrac.secret"
ca_bundle = "ca.pem"
timeout = 20

[defaults.loadmaster]
username = "bal"
password_env = "LM_PASSWORD"

[[pairs]]
name = "dc1-pair-a"
shared_address = "https://10.0.0.10"

[[pairs.nodes]]
name = "lb-a1"
idrac = "https://10.0.1.11"
loadmaster = "https://10.0.0.11"

[[pairs.nodes]]
name = "lb-a2"
idrac = {{ url = "https://10.0.1.12:8443/", fingerprint = "{FP.upper()}", username = "admin" }}
loadmaster = "https://10.0.0.12"

[[nodes]]
name = "lb-lab"
idrac = {{ url = "HTTPS://10.0.1.99", password_env = "LAB_PW", timeout = 5 }}
"""


def test_documented_example_loads(write_fleet: Callable[[str], Path], fleet_dir: Path) -> None:
    fleet = load_fleet(write_fleet(GOOD))
    assert fleet.concurrency == 4
    assert fleet.source == (fleet_dir / "fleet.toml").resolve()
    assert [n.name for n in fleet.nodes()] == ["lb-a1", "lb-a2", "lb-lab"]
    pair = fleet.pairs[0]
    assert pair.name == "dc1-pair-a"
    assert pair.shared_address is not None
    assert pair.shared_address.credentials.username == "bal"
    a1, a2 = pair.nodes
    assert a1.pair == a2.pair == "dc1-pair-a"
    # defaults applied; relative paths resolved against the fleet file's folder
    assert a1.idrac.url == "https://10.0.1.11"
    assert a1.idrac.credentials.username == "root"
    assert a1.idrac.credentials.password_file == fleet_dir.resolve() / "idrac.secret"
    assert a1.idrac.tls.ca_bundle == fleet_dir.resolve() / "ca.pem"
    assert a1.idrac.timeout == 20
    # a node's own TLS choice replaces the default one (fingerprint instead of ca_bundle)
    assert a2.idrac.url == "https://10.0.1.12:8443"
    assert a2.idrac.tls.fingerprint == FP
    assert a2.idrac.tls.ca_bundle is None
    assert a2.idrac.credentials.username == "admin"
    assert a2.loadmaster is not None and a2.loadmaster.credentials.password_env == "LM_PASSWORD"
    lab = fleet.node("lb-lab")
    assert lab.pair is None and lab.loadmaster is None
    assert lab.idrac.url == "https://10.0.1.99"
    assert lab.idrac.credentials.password_env == "LAB_PW"
    assert lab.idrac.credentials.password_file is None
    assert lab.idrac.timeout == 5


BASE = """
[defaults.idrac]
username = "root"
password_file = "idrac.secret"
"""


def _one_node(idrac: str, extra: str = "") -> str:
    return BASE + f'\n[[nodes]]\nname = "n1"\nidrac = {idrac}\n{extra}'


ERRORS = [
    # (fleet text, expected message fragment naming the key)
    (
        BASE + '[[pairs]]\nname = "p"\n[[pairs.nodes]]\nname = "a"\nidrac = "https://1.1.1.1"\n',
        "pairs[0].nodes: a pair has exactly two nodes, found 1",
    ),
    (
        BASE + '[[pairs]]\nname = "p"\n[[pairs.nodes]]\nname = "a"\nidrac = "https://1.1.1.1"\n'
        '[[pairs.nodes]]\nname = "b"\nidrac = "https://1.1.1.2"\n'
        '[[pairs.nodes]]\nname = "c"\nidrac = "https://1.1.1.3"\n',
        "pairs[0].nodes: a pair has exactly two nodes, found 3",
    ),
    (
        BASE + '[[pairs]]\nname = "p"\n[[pairs.nodes]]\nname = "a"\nidrac = "https://1.1.1.1"\n'
        '[[pairs.nodes]]\nname = "b"\nidrac = { username = "x" }\n',
        "pairs[0].nodes[1].idrac: missing url",
    ),
    (_one_node('"http://10.0.0.1"'), "nodes[0].idrac: 'http://10.0.0.1' is plain http"),
    (_one_node('"ftp://10.0.0.1"'), "nodes[0].idrac: 'ftp://10.0.0.1' is not an https:// URL"),
    (
        _one_node('"https://root:calvin@10.0.0.1"'),
        "nodes[0].idrac: credentials must not be part of the URL",
    ),
    (_one_node('"https://10.0.0.1/redfish/v1"'), "nodes[0].idrac: 'https://10.0.0.1/redfish/v1'"),
    (
        _one_node('{ url = "https://10.0.0.1", pasword_env = "X" }'),
        "nodes[0].idrac.pasword_env: unknown key",
    ),
    (
        _one_node('"https://10.0.0.1"', 'loadmastr = "https://10.0.0.2"'),
        "nodes[0].loadmastr: unknown key",
    ),
    (
        BASE + 'colour = "red"\n[[nodes]]\nname = "n"\nidrac = "https://1.1.1.1"\n',
        "defaults.idrac.colour: unknown key",
    ),
    (
        _one_node('"https://10.0.0.1"') + '\n[[nodes]]\nname = "n1"\nidrac = "https://10.0.0.2"\n',
        "nodes[1].name: duplicate node name 'n1' (also at nodes[0])",
    ),
    (
        _one_node('"https://10.0.0.1"') + '\n[[nodes]]\nname = "n2"\nidrac = "https://10.0.0.1"\n',
        "nodes[1].idrac: iDRAC https://10.0.0.1 is already used by nodes[0]",
    ),
    (
        _one_node('{ url = "https://10.0.0.1", fingerprint = "abc" }'),
        "nodes[0].idrac.fingerprint: expected the SHA-256 fingerprint",
    ),
    (
        _one_node(f'{{ url = "https://10.0.0.1", fingerprint = "{FP}", ca_bundle = "ca.pem" }}'),
        "nodes[0].idrac: give ca_bundle or fingerprint, not both",
    ),
    (
        _one_node(f'{{ url = "https://10.0.0.1", fingerprint = "{FP}", insecure = true }}'),
        "nodes[0].idrac.insecure: insecure = true contradicts ca_bundle/fingerprint",
    ),
    (
        _one_node('{ url = "https://10.0.0.1", ca_bundle = "nope.pem" }'),
        "nodes[0].idrac.ca_bundle: file",
    ),
    (
        _one_node('{ url = "https://10.0.0.1", timeout = -1 }'),
        "nodes[0].idrac.timeout: must be > 0",
    ),
    (
        _one_node('{ url = "https://10.0.0.1", insecure = "yes" }'),
        "nodes[0].idrac.insecure: expected true or false, got a string",
    ),
    (
        _one_node('{ url = "https://10.0.0.1", password_env = "1BAD" }'),
        "nodes[0].idrac.password_env: '1BAD' is not an environment variable name",
    ),
    (
        _one_node('{ url = "https://10.0.0.1", password_env = "A", password_file = "f" }'),
        "nodes[0].idrac: give password_env or password_file, not both",
    ),
    ('[[nodes]]\nname = "n"\nidrac = "https://1.1.1.1"\n', "nodes[0].idrac: missing username"),
    (
        '[defaults.idrac]\nusername = "root"\n[[nodes]]\nname = "n"\nidrac = "https://1.1.1.1"\n',
        "nodes[0].idrac: missing password_env or password_file",
    ),
    (
        BASE + '[[nodes]]\nname = "bad name"\nidrac = "https://1.1.1.1"\n',
        "nodes[0].name: 'bad name'",
    ),
    (BASE + '[[nodes]]\nidrac = "https://1.1.1.1"\n', "nodes[0]: missing name"),
    (BASE + '[[nodes]]\nname = "n"\n', "nodes[0]: missing idrac"),
    (BASE + '[nodes]\nname = "n"\n', "nodes: expected an array of tables"),
    (
        BASE + '[defaults]\nconcurrency = 0\n[[nodes]]\nname = "n"\nidrac = "https://1.1.1.1"\n',
        "defaults.concurrency: must be between 1 and 256",
    ),
    (
        BASE + "[[nodes]]\nname = 5\nidrac = 'https://1.1.1.1'\n",
        "nodes[0].name: expected a string, got an integer",
    ),
    (BASE + "wat = 1\n", "defaults.idrac.wat: unknown key"),
    (BASE, "no [[pairs]] or [[nodes]] defined"),
    ("pairz = []\n", "pairz: unknown key"),
    (
        BASE + '[[nodes]]\nname = "n"\nidrac = 42\n',
        "nodes[0].idrac: expected a URL string or a table, got an integer",
    ),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_errors_are_one_line_naming_the_key(
    write_fleet: Callable[[str], Path], text: str, fragment: str
) -> None:
    path = write_fleet(text)
    with pytest.raises(ConfigError) as info:
        load_fleet(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: ")
    assert fragment in msg
    assert info.value.exit_code is ExitCode.BAD_INPUT


def test_toml_syntax_error_names_line(write_fleet: Callable[[str], Path]) -> None:
    path = write_fleet('[defaults.idrac]\nusername = "root"\npassword_file = \n')
    with pytest.raises(ConfigError) as info:
        load_fleet(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: invalid TOML: ") and "line 3" in msg
    assert "\n" not in msg


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fleet file not found"):
        load_fleet(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_fleet(tmp_path)


def test_http_allowed_only_when_insecure(write_fleet: Callable[[str], Path]) -> None:
    fleet = load_fleet(write_fleet(_one_node('{ url = "http://10.0.0.1:8080", insecure = true }')))
    ep = fleet.node("n1").idrac
    assert ep.url == "http://10.0.0.1:8080" and ep.tls.insecure


def test_default_insecure_is_inherited_and_ipv6_kept(write_fleet: Callable[[str], Path]) -> None:
    text = BASE + 'insecure = true\n[[nodes]]\nname = "n"\nidrac = "https://[FE80::1]:443"\n'
    ep = load_fleet(write_fleet(text)).node("n").idrac
    assert ep.tls.insecure
    assert ep.url == "https://[fe80::1]:443"


def test_parse_endpoint_for_command_line(fleet_dir: Path) -> None:
    ep = parse_endpoint(
        {"url": "https://idrac.example:443", "username": "root", "password_env": "PW"},
        base=fleet_dir,
        keypath="--idrac",
    )
    assert ep.url == "https://idrac.example:443"
    with pytest.raises(ConfigError, match=r"^command line: --idrac: 'http://x' is plain http"):
        parse_endpoint(
            {"url": "http://x", "username": "u", "password_env": "PW"},
            base=fleet_dir,
            keypath="--idrac",
        )


def test_secret_values_never_read_at_load(
    write_fleet: Callable[[str], Path], fleet_dir: Path
) -> None:
    # the password file may be missing or too open at load time: it is only read when connecting
    os.chmod(fleet_dir / "idrac.secret", 0o644)
    fleet = load_fleet(write_fleet(_one_node('"https://10.0.0.1"')))
    assert (
        fleet.node("n1").idrac.credentials.password_file == (fleet_dir / "idrac.secret").resolve()
    )
