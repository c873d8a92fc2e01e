"""The schema gate's compiled code kept in the user cache folder: reused, and refused when it is not ours."""
from __future__ import annotations

import pytest

from engine.core.paths import data_dir
from engine.policy import schemas
from engine.policy.load import load_file

pytest.importorskip("fastjsonschema")


def _fresh(monkeypatch: pytest.MonkeyPatch, folder: object) -> object:
    monkeypatch.setenv("YIBAO_CACHE_DIR", str(folder))
    schemas.fast_validator.cache_clear()
    return schemas.fast_validator("case")


def test_cache_written_reused_and_corrupt_file_ignored(tmp_path, monkeypatch) -> None:
    path = data_dir("examples") / "cq-2023-dibao.yaml"
    case = schemas.jsonable(load_file(path, str(path))[0].data)
    try:
        gate = _fresh(monkeypatch, tmp_path)
        files = list(tmp_path.glob("schema-gate-case-*.marshal"))
        assert gate is not None and len(files) == 1
        stamp = files[0].stat().st_mtime_ns
        again = _fresh(monkeypatch, tmp_path)  # read back, not compiled and written again
        assert again is not None and files[0].stat().st_mtime_ns == stamp
        with pytest.raises(Exception):
            again({"person": "not an object"})
        files[0].write_bytes(b"not marshal data")
        healed = _fresh(monkeypatch, tmp_path)
        assert healed is not None
        with pytest.raises(Exception):
            healed({"person": "not an object"})
        healed(case)  # a valid case is accepted by the rebuilt gate
    finally:
        monkeypatch.delenv("YIBAO_CACHE_DIR")
        schemas.fast_validator.cache_clear()


def test_no_cache_folder_when_set_empty(monkeypatch) -> None:
    monkeypatch.setenv("YIBAO_CACHE_DIR", "")
    schemas.fast_validator.cache_clear()
    try:
        assert schemas.cache_dir() is None and schemas.fast_validator("policy") is not None
    finally:
        schemas.fast_validator.cache_clear()
