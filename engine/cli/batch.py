"""The batch commands: `yibao report`, `yibao batch`, `yibao generate-claims` (numpy imported only when they run)."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import csv
import datetime as dt
import json
from decimal import Decimal

from engine.cli.common import h, lang_arg, policy_args, policy_set
from engine.core.messages import Name, Text, msg, words
from engine.batch.participation import PARTICIPATION_FLOOR, ROSTER, duplicates, rates, read_population, read_roster
from engine.core.problems import InputError, KeyedInputError

BY = ("region", "category", "year")


def need_numpy() -> None:
    """numpy is the extra `batch`; say so in one line instead of a traceback (found, not yet imported)."""
    import importlib.util

    try:
        found = importlib.util.find_spec("numpy") is not None
    except ValueError:  # in sys.modules as None: blocked
        found = False
    if not found:
        raise InputError(Text("usage.needs_numpy"))


class Progress:
    """A one-line progress bar on stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.on = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.perf_counter()
        self.rows = 0

    def __call__(self, frac: float) -> None:
        if self.on:
            bar = int(min(max(frac, 0.0), 1.0) * 30)
            rate = self.rows / max(time.perf_counter() - self.start, 1e-9)
            sys.stderr.write(f"\r[{'#' * bar}{'.' * (30 - bar)}] {frac:6.1%}  {self.rows:,} encounters  {rate:,.0f}/s ")
            sys.stderr.flush()

    def done(self) -> None:
        if self.on:
            sys.stderr.write("\n")


def settle_file(args: argparse.Namespace, sink: Any, encounter_ids: bool = True) -> Progress:
    """Read, settle and hand each chunk to sink(columns, settled)."""
    need_numpy()
    from engine.batch.ahead import ReadAhead

    if args.chunk_rows < 1:
        raise InputError(Text("usage.at_least_one", option="--chunk-rows", value=args.chunk_rows))
    prog = Progress(False if args.quiet else None)
    # the claims are read and checked in a second thread, a chunk ahead, while each chunk settles; the first chunk is read
    # while the policy set loads (an invalid set is still the error reported, the reading stopped)
    chunks = ReadAhead(lambda note: _chunks(args, note, encounter_ids), prog)
    try:
        from engine.batch.settle import Batch

        batch = Batch(policy_set(args))
        for c in chunks:
            st = batch.settle(c)
            sink(c, st)
            prog.rows += len(c)
    finally:
        chunks.close()
    prog(1.0)
    prog.done()
    return prog


def _chunks(args: argparse.Namespace, note: Any, encounter_ids: bool) -> Any:
    """The claims file's checked chunks (numpy and pyarrow are imported here, in the reading thread)."""
    from engine.batch.io import read_columns

    return read_columns(args.claims, args.chunk_rows, note, args.engine, encounter_ids)


def _common(p: argparse.ArgumentParser) -> None:

    p.add_argument("claims", help=h(p, "claims"))
    p.add_argument("--chunk-rows", type=int, default=200_000, help=h(p, "chunk_rows"))
    p.add_argument("--quiet", action="store_true", help=h(p, "quiet"))
    p.add_argument("--engine", choices=("auto", "arrow", "python"), default="auto",
                   help=h(p, "engine"))
    policy_args(p)


def _report_cli(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--by", default="region,category,year", help=h(p, "by"))
    p.set_defaults(func=cmd_report)
    for a in p._actions:  # --format: text, markdown, csv, json
        if a.dest == "format":
            a.choices = ("text", "markdown", "csv", "json")


def cmd_report(args: argparse.Namespace) -> int:
    by = tuple(b.strip() for b in args.by.split(",") if b.strip())
    if not by or any(b not in BY for b in by):
        raise InputError(Text("usage.bad_by", value=args.by, allowed=", ".join(BY)))
    from engine.batch.report import Indicators, render

    ind = Indicators(by)
    settle_file(args, ind.add, encounter_ids=False)
    total = {**{b: "total" for b in by}, **Indicators._row({}, ind.total())}
    sys.stdout.write(render(ind.rows(), total, args.format, args.lang))
    return 0


def _batch_cli(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help=h(p, "results"))
    p.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    from engine.batch.write import ResultWriter
    from engine.core.output import atomic_output

    with atomic_output(args.output, [args.claims, args.bundle]) as tmp:
        w = ResultWriter(tmp, args.engine)
        try:
            prog = settle_file(args, w.write)
        finally:
            w.close()
        if prog.rows == 0:
            raise KeyedInputError("error.empty_input", path=args.claims, output=args.output)
    print(msg("batch.wrote", args.lang, path=args.output, n=prog.rows), file=sys.stderr)
    return 0


def _cli(p: argparse.ArgumentParser) -> None:
    p.add_argument("-n", "--encounters", type=int, default=10_000, help=h(p, "encounters"))
    p.add_argument("--seed", type=int, default=20261122, help=h(p, "seed"))
    p.add_argument("-o", "--output", metavar="FILE", help=h(p, "claims_output"))
    lang_arg(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from engine.batch.claims import generate, write_csv, write_parquet
    from engine.core.output import atomic_output, check_output

    need_numpy()
    if args.encounters < 1:
        raise InputError(Text("usage.at_least_one", option="--encounters", value=args.encounters))
    if args.output:
        check_output(args.output)
    if args.output and args.output.lower().endswith((".parquet", ".pq")):
        from engine.batch.arrow import arrow_module

        arrow_module(Text("usage.parquet_output", path=args.output))
        with atomic_output(args.output) as tmp:
            write_parquet(args.encounters, tmp, args.seed)
        print(msg("claims.wrote", args.lang, path=args.output, n=args.encounters, seed=args.seed), file=sys.stderr)
        return 0
    c = generate(args.encounters, args.seed)
    if args.output:
        with atomic_output(args.output) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            write_csv(c, fh)
        print(msg("claims.wrote", args.lang, path=args.output, n=len(c), seed=args.seed), file=sys.stderr)
    else:
        write_csv(c, sys.stdout)
    return 0


def _participation_cli(p: argparse.ArgumentParser) -> None:
    p.add_argument("roster", help=h(p, "roster", columns=", ".join(ROSTER)))
    p.add_argument("--date", required=True, help=h(p, "participation_date"))
    p.add_argument("--population", metavar="CSV", help=h(p, "population"))
    p.add_argument("--format", choices=("text", "json", "csv"), default="text", help=h(p, "format"))
    lang_arg(p)
    p.set_defaults(func=cmd_participation)


def cmd_participation(args: argparse.Namespace) -> int:
    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError:
        raise InputError(Text("usage.bad_date", option="--date", value=args.date)) from None
    rows = read_roster(args.roster)
    pop = read_population(args.population) if args.population else None
    table, dups = rates(rows, day, pop), duplicates(rows)
    below = [r for r in table if r["below_floor"]]
    if args.format == "json":
        print(json.dumps({"date": day.isoformat(), "floor": str(PARTICIPATION_FLOOR), "participation": table,
                          "below_floor": below, "duplicates": dups}, ensure_ascii=False, indent=2))
        return 0
    if args.format == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=list(table[0]) if table else ["region"], lineterminator="\n")
        w.writeheader()
        w.writerows(table)
        return 0
    L = args.lang
    print(msg("participation.title", L, date=day, floor=f"{PARTICIPATION_FLOOR * 100:.0f}"))
    head = [msg(k, L) for k in ("participation.region", "participation.category", "participation.enrolled", "participation.population", "participation.rate")]
    print(" | ".join(head))
    for r in table:
        rate = msg("participation.no_population", L) if r["rate"] is None else f"{Decimal(r['rate']) * 100:.2f}%"
        flag = ("  " + msg("participation.below", L)) if r["below_floor"] else ""
        print(f"{words('region', r['region'], L)}（{r['region']}） | {words('category', r['category'], L)} | {r['enrolled']} | {r['population'] or 0} | {rate}{flag}")
    print(msg("participation.below_count", L, n=len(below)))
    print(msg("participation.dups", L, n=len(dups)))
    for d in dups:
        k = d["keep"]
        drop = "; ".join(msg("participation.enrolment", L, line=o["line"], region=Name("region", o["region"]), scheme=Name("scheme", o["scheme"]), start=o.get("from", "")) for o in d["drop"])
        keep = msg("participation.enrolment", L, line=k["line"], region=Name("region", k["region"]), scheme=Name("scheme", k["scheme"]), start=k["from"])
        print("  " + msg("participation.dup", L, id=d["id_hash"], keep=keep, drop=drop, kinds=", ".join(d["kinds"])))
    return 0


COMMANDS = {
    "report": ("help.cmd.report", _report_cli),
    "batch": ("help.cmd.batch", _batch_cli),
    "generate-claims": ("help.cmd.generate-claims", _cli),
    "participation": ("help.cmd.participation", _participation_cli),
}
