"""Command line for planners elsewhere: write a city's clubs and teams as a spreadsheet, get a city file.

    python -m sim.city_import CLUBS.csv --name NAME [--centres CENTRES.csv] [--out FILE] [--force]

`CLUBS.csv` has one row per club team (columns in `CLUB_COLUMNS`, documented in docs/cities.md);
`CENTRES.csv` (optional) one row per centre with its handover model. Without it, the centres are
the ones named in `CLUBS.csv`, in order of appearance, running the baseline model. Every cell is
checked against the schema's ranges (`sim.model.config`); a bad cell stops with exit status 2 and one
line naming the file, the row (as a spreadsheet numbers it: the header is row 1) and the column.
The resulting city is then validated as a whole by `sim.model.config.validate` and written as
`conf/city/NAME.yaml` (default), where `city=NAME` finds it from every command (conf/config.yaml
adds `./conf` to Hydra's search path).

Spreadsheets saved as CSV are read as they come: comma, semicolon or tab separated, UTF-8 (with
or without Excel's byte-order mark) or Windows-1252, decimal point or (with semicolons) comma.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from sim.cli import fail
from sim.errors import UserError
from sim.workflows.city_import import _ID, build, check, packaged_cities, to_yaml
from sim.workflows.compose import compose_dict
from sim.workflows.files import write_atomic


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:
            fail(message)

    parser = Parser(prog="python -m sim.city_import",
                    description="Write a city file (conf/city/NAME.yaml) from a CSV of club teams; see docs/cities.md.")
    parser.add_argument("clubs", type=Path, help="CSV, one row per club team (centre, club, activity, ...)")
    parser.add_argument("--name", required=True, help="the city's name, used as city=NAME (letters, digits, _)")
    parser.add_argument("--centres", type=Path, help="CSV, one row per centre (centre, label, policy, ...)")
    parser.add_argument("--out", type=Path, help="the city file to write (default: conf/city/NAME.yaml)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing city file")
    return parser.parse_args(argv)


def _check_target(name: str, out: Path, force: bool) -> None:
    if not _ID.fullmatch(name):
        raise UserError(f"--name {name!r}: use lower-case letters, digits and _, starting with a letter")
    if out.suffix != ".yaml" or out.stem != name:
        raise UserError(f"--out {out}: a city file is named after its city: {name}.yaml")
    shipped = packaged_cities().get(name)
    if shipped is not None and shipped.resolve() != out.resolve():
        raise UserError(f"--name {name}: a city shipped with the package has this name and would hide yours; "
                        "choose another")
    if out.exists() and not force:
        raise UserError(f"{out} exists; add --force to overwrite it")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    out = args.out or Path("conf") / "city" / f"{args.name}.yaml"
    try:
        _check_target(args.name, out, args.force)
        city = build(args.clubs, args.name, args.centres)
        checked = check(city)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, to_yaml(city, [p for p in (args.clubs, args.centres) if p is not None]))
    except UserError as exc:
        fail(exc)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    counts = {"centre": len(checked.centres), "club": len(checked.associations), "team": len(checked.teams)}
    print(f"wrote {out}: " + ", ".join(f"{n} {what}{'s' * (n != 1)}" for what, n in counts.items()))
    try:
        found = compose_dict([f"city={args.name}"]).city.name == args.name
    except UserError:
        found = False
    if found:
        print(f"run it: python -m sim.run city={args.name}")
    else:
        print(f"note: city={args.name} looks in the package's conf/city and in ./conf/city of the folder you run "
              f"from; {out} is in neither: move it there (or run from the folder that holds conf/)")


if __name__ == "__main__":
    main()
