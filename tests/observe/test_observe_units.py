"""Units of fwupdate.observe and the user config: webhook retries and masking, the [notify] /
[hooks] rules, JSON Lines fields and masking, config precedence, inventory as metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from receiver import receiver
from runsim import night

from fwupdate.errors import ConfigError
from fwupdate.fleet.observe_models import WebhookTarget
from fwupdate.fleet.observe_sections import parse_sections
from fwupdate.logsafe import RedactingFilter, register_secret
from fwupdate.observe import jsonlog
from fwupdate.observe.events import Event
from fwupdate.observe.notify import WebhookSink

SECRET = "tok-9f8e7d6c5b4a"


def _sink(url: str, monkeypatch: pytest.MonkeyPatch, **kw: object) -> WebhookSink:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    target = WebhookTarget(url=url, header="Authorization", secret_env="HOOK_SECRET",
                           backoff=0.01, **kw)  # type: ignore[arg-type]
    return WebhookSink((target,))


def test_webhook_retries_5xx_with_backoff_then_delivers(monkeypatch) -> None:
    with receiver() as rec:
        rec.answers = [503, 502]
        sink = _sink(rec.url, monkeypatch, attempts=3)
        sink.handle(Event("pair_failed", run="r1", pair="p1", message=f"boom {SECRET}"))
        sink.handle(Event("step_started", run="r1"))  # not a notify event: not sent
        sink.close()
    assert [p["status"] for p in rec.posts] == [503, 502, 200]
    assert sink.sent == 1 and sink.failed == 0
    body = rec.posts[-1]["body"]
    assert body["event"] == "pair_failed" and body["pair"] == "p1"
    assert SECRET not in json.dumps(body)  # a registered secret is masked in bodies too
    assert rec.posts[-1]["headers"]["Authorization"] == SECRET


def test_webhook_gives_up_on_4xx_and_never_logs_the_secret(monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs request lines at DEBUG (-vv)
    caplog.handler.addFilter(RedactingFilter())  # as on every root handler of the CLI
    with receiver() as rec:
        rec.answers = [401, 401, 401]
        sink = _sink(rec.url + f"?token={SECRET}", monkeypatch, attempts=3)
        sink.handle(Event("run_finished", run="r1"))
        sink.close()
    assert len(rec.posts) == 1 and sink.failed == 1
    assert "not delivered (HTTP 401)" in caplog.text and SECRET not in caplog.text


def test_webhook_missing_secret_is_a_config_error(monkeypatch) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    target = WebhookTarget(url="https://x.example", header="A", secret_env="NO_SUCH_SECRET")
    with pytest.raises(ConfigError, match="NO_SUCH_SECRET is not set"):
        WebhookSink((target,))


@pytest.mark.parametrize(("data", "message"), [
    ({"notify": {"webhook": []}}, "notify.webhook: unknown key"),
    ({"notify": {"webhooks": [{"url": "ftp://x"}]}}, "expected an https:// URL"),
    ({"notify": {"webhooks": [{"url": "https://x", "events": ["pair_gone"]}]}},
     "unknown event 'pair_gone'"),
    ({"notify": {"webhooks": [{"url": "https://x", "header": "A"}]}},
     "header needs secret_env or secret_file"),
    ({"notify": {"webhooks": [{"url": "http://10.0.0.1/h", "header": "A", "secret_env": "E"}]}},
     "secret header goes over https only"),
    ({"notify": {"webhooks": [{"url": "https://x", "attempts": 0}]}}, "from 1 to 10"),
    ({"hooks": {"pre_pair": "/bin/true --now"}}, "hooks.pre_pair: expected a command as"),
    ({"hooks": {"pre_node": {"argv": ["x"], "timeout": -1}}}, "hooks.pre_node.timeout"),
    ({"hooks": {"pre_reboot": ["x"]}}, "hooks.pre_reboot: unknown key"),
])
def test_notify_and_hooks_rules_are_one_line_with_the_key(data, message) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        parse_sections(data, base=Path("/"), label="fleet.toml")
    assert str(err.value).startswith("fleet.toml: ") and "\n" not in str(err.value)


def test_sections_parse() -> None:
    s = parse_sections({"notify": {"webhooks": [{"url": "https://h.example/x",
                                                 "events": ["pair_failed"]}]},
                        "hooks": {"timeout": 5, "post_pair": ["/bin/true", "a"]}},
                       base=Path("/"), label="f")
    assert s is not None and s.webhooks[0].events == {"pair_failed"}
    assert s.hooks.post_pair is not None and s.hooks.post_pair.argv == ("/bin/true", "a")
    assert s.hooks.post_pair.timeout == 5 and s.hooks.pre_pair is None
    assert parse_sections({}, base=Path("/"), label="f") is None


def test_json_log_lines_have_the_stable_fields_and_mask_secrets(capsys) -> None:
    register_secret("hunter2-pass")
    try:
        jsonlog.configure("json", logging.INFO)
        logging.getLogger("fwupdate.test").warning("login with %s failed", "hunter2-pass")
        jsonlog.emit("info", "progress", "lb1a: precheck", pair="pair-1", node="lb1a")
    finally:
        jsonlog.configure("text", logging.WARNING)
        jsonlog.reset()
    lines = capsys.readouterr().err.splitlines()
    docs = [json.loads(ln) for ln in lines]
    assert docs[0]["level"] == "warning" and docs[0]["event"] == "log"
    assert docs[0]["message"] == "login with *** failed" and docs[0]["logger"] == "fwupdate.test"
    assert docs[1]["pair"] == "pair-1" and docs[1]["node"] == "lb1a" and docs[1]["step"] is None
    assert all({"time", "level", "event", "run", "pair", "node", "step"} <= d.keys()
               for d in docs)


def _where(cli, *args: str) -> str:
    r = cli(*args, "report", "nosuch-run")
    assert r.code == 2, r
    return r.err.strip()


def test_config_precedence_flag_env_config_default(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("FWUPDATE_RUNS_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FWUPDATE_CONFIG", raising=False)
    assert "(looked in fwupdate-runs)" in _where(cli)  # default
    cfg = tmp_path / "xdg" / "fwupdate" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('runs_dir = "/from/config"\nconcurrency = 4\n')
    assert "(looked in /from/config)" in _where(cli)
    monkeypatch.setenv("FWUPDATE_RUNS_DIR", "/from/env")
    assert "(looked in /from/env)" in _where(cli)
    r = cli("report", "nosuch-run", "--runs-dir", "/from/flag")
    assert "(looked in /from/flag)" in r.err
    cfg.write_text('log_format = "json"\n')
    doc = json.loads(_where(cli))
    assert doc["event"] == "error" and doc["exit_code"] == 2
    assert _where(cli, "--log-format", "text").startswith("fwupdate: error:")


@pytest.mark.parametrize(("text", "message"), [
    ("concurrency = 0", "concurrency: 0: expected an integer from 1 to 256"),
    ("colour = 1", "colour: unknown key"),
    ("log_format = [", "invalid TOML"),
    ('progress = "fancy"', "progress: 'fancy': expected auto, plain or live"),
])
def test_a_bad_config_file_is_one_line_exit_2(cli, tmp_path, monkeypatch, text, message) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text + "\n")
    monkeypatch.setenv("FWUPDATE_CONFIG", str(path))
    r = cli("report", "x")
    assert r.code == 2 and r.err.count("\n") == 1 and message in r.err, r


@pytest.mark.integration
def test_inventory_format_prometheus(cli, demo_inputs, tmp_path: Path) -> None:
    with night(tmp_path, demo_inputs, ("pair-3",), 800.0) as n:
        r = cli("inventory", str(n.fleet), "--format", "prometheus")
    assert r.code == 0, r
    fams = {f.name: f for f in text_string_to_metric_families(r.out)}
    info = fams["fwupdate_firmware_version_info"]
    nodes = {s.labels["node"] for s in info.samples}
    assert nodes == {"lb3a", "lb3b"}
    assert any(s.labels["component"] == "LoadMaster" and s.labels["pair"] == "pair-3"
               for s in info.samples)
    assert {s.labels["node"]: s.value for s in fams["fwupdate_inventory_ok"].samples} == {
        "lb3a": 1.0, "lb3b": 1.0}


def test_configured_progress_mode_is_the_default_of_run_and_resume() -> None:
    from fwupdate import userconfig

    values = userconfig.load(env={"FWUPDATE_PROGRESS": "LIVE", "XDG_CONFIG_HOME": "/nonexistent"})
    assert values["progress"] == "live"
    dm = userconfig.default_map(values)
    assert dm["run"]["progress"] == dm["resume"]["progress"] == "live"


def test_configured_window_applies_and_a_stop_at_flag_beats_it(cli, tmp_path, monkeypatch) -> None:
    from datetime import datetime, timedelta

    now = datetime.now()
    a, b = (now + timedelta(hours=2)).strftime("%H:%M"), (now + timedelta(hours=3)).strftime(
        "%H:%M")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'window = "{a}-{b}"\n')
    monkeypatch.setenv("FWUPDATE_CONFIG", str(cfg))
    monkeypatch.delenv("FWUPDATE_WINDOW", raising=False)
    plan, fleet = tmp_path / "missing-plan.json", tmp_path / "fleet.toml"
    r = cli("run", str(plan), str(fleet), "--yes")
    assert r.code == 2 and f"--window {a}-{b}: outside the window now" in r.err, r
    r = cli("run", str(plan), str(fleet), "--yes", "--stop-at", b)
    assert r.code == 2 and "outside the window" not in r.err and "missing-plan.json" in r.err


def test_json_mode_turns_usage_errors_and_command_notices_into_events(cli, tmp_path) -> None:
    r = cli("--log-format", "json", "report", "x", "--bogus")
    doc = json.loads(r.err)
    assert r.code == 2 and doc["event"] == "usage" and "--bogus" in doc["message"]
    jsonlog.reset()
    assert cli("report", "x", "--bogus").err.startswith("fwupdate: usage:")


def test_metrics_writes_are_coalesced_off_the_workers_and_the_last_state_is_written(
        tmp_path) -> None:
    from fwupdate.observe.metrics import MetricsSeed, MetricsSink

    seed = MetricsSeed("r", {"p": ("a", "b")}, {"p": 500}, {"p": 0}, {("a", "BIOS"): "1.0"})
    sink = MetricsSink(tmp_path / "m.prom", seed, interval=0.2)
    for _ in range(500):
        sink.handle(Event("step_finished", run="r", pair="p", node="a", status="done",
                          data={"versions": {"BIOS": "2.0"}}))
    sink.handle(Event("run_finished", run="r", status="finished"))
    sink.close()
    assert sink.writes < 20  # not one rewrite per event
    fams = {f.name: f for f in text_string_to_metric_families((tmp_path / "m.prom").read_text())}
    assert [s.value for s in fams["fwupdate_steps_done"].samples] == [500]
    assert [s.labels["version"] for s in fams["fwupdate_firmware_version_info"].samples] == ["2.0"]
    assert not list(tmp_path.glob(".m.prom.*"))
