"""Writing output files safely: an input is never the output, a temporary file beside it, renamed only on success."""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from engine.core.problems import KeyedInputError


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(path: str | Path, inputs: Iterable[str | Path | None] = ()) -> Path:
    """The output path, checked before anything is opened: not an input, not a folder, in a folder that exists."""
    out = Path(path)
    for inp in inputs:
        if inp is not None and str(inp) != "-" and _same(out, Path(inp)):
            raise KeyedInputError("error.output_is_input", path=str(path), input=str(inp))
    if out.is_dir():
        raise KeyedInputError("error.output_is_folder", path=str(path))
    folder = out.parent
    if not folder.is_dir():
        raise KeyedInputError("error.output_folder_missing", path=str(path), folder=str(folder))
    return out


@contextlib.contextmanager
def atomic_output(path: str | Path, inputs: Iterable[str | Path | None] = ()) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on any failure it is removed."""
    out = check_output(path, inputs)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=f".tmp{out.suffix}", dir=out.parent)  # keeps the format suffix
    except OSError as exc:
        raise KeyedInputError("error.output_unwritable", path=str(path), reason=exc.strerror or str(exc)) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except OSError as exc:
        raise KeyedInputError("error.output_unwritable", path=str(path), reason=exc.strerror or str(exc)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _fsync(p: Path) -> None:
    with open(p, "rb") as fh:
        os.fsync(fh.fileno())


def write_output(path: str | Path, text: str, inputs: Iterable[str | Path | None] = ()) -> None:
    """Write a whole UTF-8 text file atomically."""
    with atomic_output(path, inputs) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; on success it replaces the folder `path`, on any failure it is removed."""
    import shutil

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise KeyedInputError("error.output_unwritable", path=str(path), reason="not a folder")
    if not out.parent.is_dir():
        raise KeyedInputError("error.output_folder_missing", path=str(path), folder=str(out.parent))
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", suffix=".tmp", dir=out.parent))
    old = None
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
            os.replace(out, old / out.name)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _has_float(value: object) -> bool:
    """Whether a float is anywhere in a JSON-like value (orjson writes those differently from json)."""
    stack = [value]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is dict:
            stack.extend(x.values())  # type: ignore[attr-defined]
        elif t is list or t is tuple:
            stack.extend(x)  # type: ignore[arg-type]
        elif t is float:
            return True
    return False


def json_text(value: object) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`, the same text written 5x faster by orjson when it is installed."""
    return json_bytes(value).decode("utf-8")


def json_bytes(value: object, floats: bool = True) -> bytes:
    """`json_text(value)` as UTF-8 bytes; `floats=False` promises there is no float (the result documents: the result
    schema has integers only), which spares the search for one."""
    try:
        import orjson
    except ImportError:
        orjson = None
    if orjson is not None and not (floats and _has_float(value)):
        try:
            return orjson.dumps(value, option=orjson.OPT_INDENT_2)
        except TypeError:  # a value orjson does not write (Decimal, big integer, key not a string): json's own writer
            pass
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
