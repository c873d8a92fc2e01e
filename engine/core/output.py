"""Writing output files safely: an input is never the output, a temporary file beside it, renamed only on success."""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

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


def write_json(out: BinaryIO, value: dict, floats: bool = True, item_key: str | None = None) -> None:
    """Write `json_bytes(value)` to `out`, the list under the top-level `item_key` a few items at a time: the same bytes,
    but a long list never sits in fresh memory whole (each new page of memory costs about 3.5 µs on this machine).
    With `floats=False` (the promise of no float) each piece is written as json_bytes writes it alone."""
    items = value.get(item_key) if item_key is not None else None
    if not items or type(items) is not list:
        out.write(json_bytes(value, floats))
        return
    _widen_pipe(out)
    key = json_bytes(item_key)
    head = json_bytes({**value, item_key: []}, floats)
    mark = b"\n  " + key + b": []"  # a raw newline is never inside a JSON string: the top-level key
    at = head.index(mark) + len(mark) - 2
    out.write(memoryview(head)[:at])
    out.write(b"[\n")
    # {key: [a few items]} written alone indents them as they stand in the whole document: cut its first and last lines
    cut, tail = len(b"{\n  " + key + b": [\n"), len(b"\n  ]\n}")
    for i in range(0, len(items), _PER_WRITE):
        if i:
            out.write(b",\n")
        piece = json_bytes({item_key: items[i:i + _PER_WRITE]}, floats)
        out.write(memoryview(piece)[cut:len(piece) - tail])
    out.write(b"\n  ]")
    out.write(memoryview(head)[at + 2:])


_PER_WRITE = 8  # items per piece: about 80 KB for an encounter with its trace


def _widen_pipe(out: BinaryIO) -> None:
    """Ask Linux for a 1 MiB pipe buffer when `out` is a pipe, so a long result is written in a few large pieces instead of
    waiting on the reader every 64 KiB; else nothing."""
    try:
        import fcntl
        import stat

        fd = out.fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (OSError, ValueError, AttributeError, ImportError, io.UnsupportedOperation):
        pass  # not a pipe, not Linux, or a limit below 1 MiB: the default buffer does
