"""Sessions: login/logout, the cap of 8 (503 RAC0218), Basic auth, wrong credentials."""

from __future__ import annotations

from idrac_support import Rf, error_ids, node


def _login(rf: Rf, user: str = "root", pw: str = "calvin"):  # type: ignore[no-untyped-def]
    return rf.anon.post(
        rf.url + "/redfish/v1/Sessions", json={"UserName": user, "Password": pw}, timeout=10
    )


def test_login_use_logout(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"))
    rf = Rf(sim, "i1")
    r = _login(rf)
    assert r.status_code == 201
    token, location = r.headers["X-Auth-Token"], r.headers["Location"]
    assert location.startswith("/redfish/v1/Sessions/") and r.json()["UserName"] == "root"
    anon = {"X-Auth-Token": token}
    got = rf.anon.get(rf.url + "/redfish/v1/Systems", headers=anon, timeout=10)
    assert got.status_code == 200
    assert rf.anon.delete(rf.url + location, headers=anon, timeout=10).status_code == 200
    got = rf.anon.get(rf.url + "/redfish/v1/Systems", headers=anon, timeout=10)
    assert got.status_code == 401
    events = [e["event"] for e in sim.events.records(device="i1")]
    assert events.count("session_opened") == 1 and events.count("session_closed") == 1


def test_session_cap_is_8(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i1", "r320-idrac7-2.65"))
    rf = Rf(sim, "i1")
    opened = [_login(rf) for _ in range(8)]
    assert all(r.status_code == 201 for r in opened)
    ninth = _login(rf)
    assert ninth.status_code == 503
    assert error_ids(ninth) == ["IDRAC.1.6.RAC0218"]
    assert ninth.json()["error"]["code"] == "Base.1.0.GeneralError"
    loc, tok = opened[0].headers["Location"], opened[0].headers["X-Auth-Token"]
    rf.anon.delete(rf.url + loc, headers={"X-Auth-Token": tok}, timeout=10)
    assert _login(rf).status_code == 201


def test_basic_auth_and_wrong_credentials(make_idrac_sim) -> None:  # type: ignore[no-untyped-def]
    sim = make_idrac_sim(node("i9", "r640-idrac9-4.40"))
    rf = Rf(sim, "i9")
    assert rf.get("/redfish/v1/Managers").status_code == 200  # Basic
    bad = rf.http.get(rf.url + "/redfish/v1/Managers", auth=("root", "wrong"), timeout=10)
    assert bad.status_code == 401 and bad.json()["error"]["@Message.ExtendedInfo"]
    none = rf.anon.get(rf.url + "/redfish/v1/Managers", timeout=10)
    assert none.status_code == 401
    assert rf.anon.get(rf.url + "/redfish/v1", timeout=10).status_code == 200
    r = rf.anon.post(
        rf.url + "/redfish/v1/SessionService/Sessions",
        json={"UserName": "root", "Password": "nope"},
        timeout=10,
    )
    assert r.status_code == 401
    ok = rf.anon.post(
        rf.url + "/redfish/v1/SessionService/Sessions",
        json={"UserName": "root", "Password": "calvin"},
        timeout=10,
    )
    assert ok.status_code == 201
    assert ok.headers["Location"].startswith("/redfish/v1/SessionService/Sessions/")
    assert rf.get("/redfish/v1/Sessions").status_code == 404  # 12G-only path
