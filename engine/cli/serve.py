"""`yibao serve`: the HTTP service for downstream systems (needs `pip install -e '.[serve]'`)."""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys

from engine.cli.common import EXIT_OK, h
from engine.core.messages import msg
from engine.core.problems import InputError

NEEDED = {"starlette": "starlette", "uvicorn": "uvicorn"}


def cmd_serve(args: argparse.Namespace) -> int:
    """Load and pin every policy set named, then serve them until interrupted."""
    missing = [dist for mod, dist in NEEDED.items() if importlib.util.find_spec(mod) is None]
    if missing:
        raise InputError(f"the service needs {', '.join(missing)}; run: pip install -e '.[serve]'")
    if not 0 < args.port < 65536:
        raise InputError(f"--port {args.port} is not a port number (1-65535)")
    if args.workers < 1:
        raise InputError(f"--workers {args.workers} must be at least 1")
    import uvicorn

    from engine.serve.app import CONFIG_ENV, create_app
    from engine.serve.versions import load_catalog

    catalog = load_catalog(args.bundle or [], args.policies or [])  # every set checked before the port opens
    _can_listen(args.host, args.port)
    print(msg("serve.listening", args.lang, host=args.host, port=args.port, count=len(catalog.sets),
              versions=", ".join(f"{s.version} {s.fingerprint[:15]}…" for s in catalog.sets), default=catalog.default.version),
          file=sys.stderr)
    common = {"host": args.host, "port": args.port, "log_level": args.log_level, "access_log": args.access_log,
              "server_header": False, "proxy_headers": False}
    if args.workers == 1:
        uvicorn.run(create_app(catalog), **common)
    else:  # each worker process loads the same files again (already checked above)
        os.environ[CONFIG_ENV] = json.dumps({"bundles": [os.path.abspath(b) for b in args.bundle or []],
                                             "policies": [os.path.abspath(p) for p in args.policies or []]})
        uvicorn.run("engine.serve.app:app_from_env", factory=True, workers=args.workers, **common)
    return EXIT_OK


def _can_listen(host: str, port: int) -> None:
    """InputError (exit 2, one line) if the address cannot be bound, rather than uvicorn's exit 3."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(infos[0][4])
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def add_serve(p: argparse.ArgumentParser) -> None:
    """Options of `yibao serve`."""
    p.add_argument("--bundle", action="append", metavar="FILE", help=h(p, "serve_bundle"))
    p.add_argument("--policies", action="append", metavar="DIR", help=h(p, "serve_policies"))
    p.add_argument("--host", default="127.0.0.1", help=h(p, "serve_host"))
    p.add_argument("--port", type=int, default=8000, help=h(p, "serve_port"))
    p.add_argument("--workers", type=int, default=1, help=h(p, "serve_workers"))
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"), help=h(p, "serve_log_level"))
    p.add_argument("--access-log", action="store_true", help=h(p, "serve_access_log"))
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help=h(p, "lang"))
    p.set_defaults(func=cmd_serve)


COMMANDS = {"serve": ("help.cmd.serve", add_serve)}
