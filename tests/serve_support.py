"""Helpers for the service tests: two bundles that differ in one rate, a free port, a server in a thread."""
from __future__ import annotations

import copy
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

from engine.policy.bundle import bundle_data
from engine.policy.policyset import fingerprint_of
from engine.policy.policyset import canonical_json

# The modified set raises Chongqing's tier-1 inpatient rate at level-3 hospitals (from 2022) from 50% to 55%.
CHANGED_DOC, CHANGED_RULE = "cq-2022-resident-inpatient-rate-adjustment", "rate-tier-1-levels-2-3"


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_bundles(ps: Any, folder: Path) -> tuple[Path, Path]:
    """The shipped set as a bundle (its own version) and a copy with the level-3 rate at 55%, version 9.0.0-test."""
    old = folder / "old.json"
    old.write_text(canonical_json(bundle_data(ps)) + "\n", encoding="utf-8")
    data = copy.deepcopy(bundle_data(ps))
    doc = next(d for d in data["documents"] if d["id"] == CHANGED_DOC)
    rule = next(r for r in doc["rules"] if r["id"] == CHANGED_RULE)
    assert rule["set"]["3"] == "0.5", rule["set"]
    rule["set"]["3"] = "0.55"
    data["version"] = "9.0.0-test"
    data["fingerprint"] = fingerprint_of({"version": data["version"], "documents": data["documents"]})
    new = folder / "new.json"
    new.write_text(canonical_json(data) + "\n", encoding="utf-8")
    return old, new


class ThreadServer:
    """A real uvicorn server for an ASGI app on a free loopback port, in a thread, stopped by `stop`."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="critical"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)


def case_json(region: str = "500000", level: int = 3, date: str = "2023-06-10") -> str:
    """examples/cq-2023-dibao.yaml as JSON (its comment works the figures by hand)."""
    return json.dumps({"person": {"id": "cq-2023-dibao", "region": region, "scheme": "resident", "contribution_tier": 1,
                                  "categories": ["dibao"], "birth_date": "1980-01-01"},
                       "encounters": [{"id": "e-1", "date": date, "type": "inpatient", "hospital_level": level,
                                       "total_cost": "62000.00", "eligible_cost": "50000.00"}]}, ensure_ascii=False)
