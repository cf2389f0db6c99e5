"""Redfish sessions of one simulated iDRAC: a capped table of tokens (idrac-redfish.md §2).

About 8 sessions at once; one more is refused with 503 RAC0218.  Idle sessions expire after the
web-server timeout (1800 s).  An iDRAC reset clears the table, so old tokens answer 401.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

SESSION_CAP = 8


@dataclass
class Session:
    id: str
    token: str
    user: str
    created: float
    last_used: float


class SessionTable:
    def __init__(self, cap: int = SESSION_CAP) -> None:
        self.cap = cap
        self._by_id: dict[str, Session] = {}
        self._next = 1

    def __len__(self) -> int:
        return len(self._by_id)

    def all(self) -> list[Session]:
        return list(self._by_id.values())

    def expire(self, now: float, timeout: float) -> list[Session]:
        gone = [s for s in self._by_id.values() if now - s.last_used > timeout]
        for s in gone:
            del self._by_id[s.id]
        return gone

    def open(self, user: str, now: float) -> Session | None:
        if len(self._by_id) >= self.cap:
            return None
        sid = str(self._next)
        self._next += 1
        s = Session(id=sid, token=secrets.token_hex(16), user=user, created=now, last_used=now)
        self._by_id[sid] = s
        return s

    def by_token(self, token: str, now: float) -> Session | None:
        for s in self._by_id.values():
            if secrets.compare_digest(s.token, token):
                s.last_used = now
                return s
        return None

    def get(self, sid: str) -> Session | None:
        return self._by_id.get(sid)

    def close(self, sid: str) -> Session | None:
        return self._by_id.pop(sid, None)

    def clear(self) -> list[Session]:
        gone = list(self._by_id.values())
        self._by_id.clear()
        return gone
