"""Read a city's clubs and teams from a spreadsheet (CSV) into a validated city file
(`python -m sim.city_import`, sim/city_import.py, writes it).

`CLUBS.csv` has one row per club team (columns in `CLUB_COLUMNS`, documented in docs/cities.md);
`CENTRES.csv` (optional) one row per centre with its handover model. Without it, the centres are
the ones named in `CLUBS.csv`, in order of appearance, running the baseline model. Every cell is
checked against the schema's ranges (`sim.model.config`); a bad cell raises a UserError of one line
naming the file, the row (as a spreadsheet numbers it: the header is row 1) and the column.
The resulting city is then validated as a whole by `sim.model.config.validate` and written as
`conf/city/NAME.yaml` (default), where `city=NAME` finds it from every command (conf/config.yaml
adds `./conf` to Hydra's search path).

Spreadsheets saved as CSV are read as they come: comma, semicolon or tab separated, UTF-8 (with
or without Excel's byte-order mark) or Windows-1252, decimal point or (with semicolons) comma.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.errors import UserError
from sim.model.checks import validate
from sim.model.config import DIAGNOSES, MODIFIERS, POLICIES, RANGES, AssociationCfg, CentreCfg, CityCfg, TeamSpec
from sim.workflows.compose import compose
from sim.workflows.files import slug

_ID = re.compile(r"[a-z][a-z0-9_]*")
_TRUE = {"yes", "y", "true", "1", "x", "ja", "j"}
_FALSE = {"no", "n", "false", "0", "nej"}
_INTEGER = {"count", "weeks", "one_up"}


@dataclass(frozen=True)
class Column:
    """A CSV column: which entity it sets (`team`, `club`, `centre`), which schema field, how to read it."""

    name: str
    entity: str
    key: str
    kind: str  # text, bool, policy, modifiers, share, or a range kind of sim.model.config (count, prob, ...)
    required: bool = False


def _range(schema: type, key: str) -> str:
    """The schema's range kind of a field, so the CSV is checked exactly as the config is."""
    return next(f.metadata["range"] for f in fields(schema) if f.name == key)


CLUB_COLUMNS = (
    Column("centre", "team", "centre", "id", required=True),
    Column("club", "team", "association", "id", required=True),
    Column("activity", "team", "activity", "text", required=True),
    Column("team", "team", "", "id"),
    Column("partner", "team", "", "bool"),
    Column("capacity", "team", "capacity", _range(TeamSpec, "capacity")),
    Column("regulars", "team", "regulars", _range(TeamSpec, "regulars")),
    Column("attractiveness", "team", "attractiveness", _range(TeamSpec, "attractiveness")),
    Column("paid_instructor", "team", "paid_instructor", "bool"),
    Column("district", "team", "district", "text"),
    Column("observed_handed_over", "team", "observed_handed_over", _range(TeamSpec, "observed_handed_over")),
    Column("note", "team", "note", "text"),
    Column("cafe", "club", "has_cafe", "bool"),
    Column("admin_staff", "club", "has_admin_staff", "bool"),
    Column("facility_quality", "club", "facility_quality", _range(AssociationCfg, "facility_quality")),
    Column("turnover_annual", "club", "turnover_annual", _range(AssociationCfg, "turnover_annual")),
    Column("replacement_weeks", "club", "replacement_weeks", _range(AssociationCfg, "replacement_weeks")),
    Column("federation", "club", "federation", "text"),
)
CENTRE_COLUMNS = (
    Column("centre", "centre", "", "id", required=True),
    Column("label", "centre", "label", "text"),
    Column("policy", "centre", "policy", "policy"),
    Column("resourcefulness_mean", "centre", "resourcefulness_mean", _range(CentreCfg, "resourcefulness_mean")),
    Column("modifiers", "centre", "modifiers", "modifiers"),
    *(Column(d, "centre", "diagnosis_mix", "share") for d in DIAGNOSES),
    Column("note", "centre", "note", "text"),
)


@dataclass(frozen=True)
class Row:
    file: str
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]

    def where(self, column: str) -> str:
        return f"{self.file}, row {self.number}, column {column}"


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # a spreadsheet's "CSV" on Windows


def read_rows(path: Path, columns: Sequence[Column]) -> tuple[list[Row], str]:
    """The non-empty rows of a CSV file with normalised column names, and its separator."""
    try:
        text = _decode(path)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    header_line = text.split("\n", 1)[0]
    sep = max(",;\t", key=header_line.count)
    table = list(csv.reader(text.splitlines(), delimiter=sep))
    if not table or not any(c.strip() for c in table[0]):
        raise UserError(f"{path}: empty file; the first row names the columns ({_names(columns, True)} required)")
    allowed = {c.name for c in columns}
    header = [slug(h) for h in table[0]]
    for raw, name in zip(table[0], header, strict=True):
        if name not in allowed:
            raise UserError(f"{path}, row 1, column {raw.strip()!r}: unknown column; allowed: {_names(columns)}")
        if header.count(name) > 1:
            raise UserError(f"{path}, row 1, column {raw.strip()!r}: the column appears twice")
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        raise UserError(f"{path}, row 1: missing column {missing[0]!r}; required: {_names(columns, True)}")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise UserError(f"{path}, row {number}: {len(cells)} cells but {len(header)} columns "
                            f"(a separator {sep!r} inside a cell? quote the cell)")
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}
        if any(values.values()):
            rows.append(Row(str(path), number, values))
    if not rows:
        raise UserError(f"{path}: no rows below the header")
    return rows, sep


def _names(columns: Sequence[Column], required: bool = False) -> str:
    return ", ".join(c.name for c in columns if c.required or not required)


def parse_cell(row: Row, column: Column, sep: str) -> Any:
    """A cell as the schema's type; blank is None (= the global default). Raises `UserError`."""
    text = row.cells.get(column.name, "")
    where = row.where(column.name)
    if text == "":
        if column.required:
            raise UserError(f"{where}: empty; this column is required")
        return None
    if column.kind == "text":
        return text
    if column.kind == "bool":
        if text.lower() not in _TRUE | _FALSE:
            raise UserError(f"{where}: {text!r} is not yes or no")
        return text.lower() in _TRUE
    if column.kind == "id":
        ident = slug(text)
        if not ident:
            raise UserError(f"{where}: {text!r} has no letters or digits to make a name from")
        return ident if ident[0].isalpha() else f"{column.name}_{ident}"
    if column.kind == "policy":
        if text.lower() not in POLICIES:
            raise UserError(f"{where}: unknown handover model {text!r}; allowed: {', '.join(POLICIES)}")
        return text.lower()
    if column.kind == "modifiers":
        chosen = [m for m in re.split(r"[\s,;+]+", text.lower()) if m]
        bad = [m for m in chosen if m not in MODIFIERS]
        if bad:
            raise UserError(f"{where}: unknown modifier {bad[0]!r}; allowed: {', '.join(MODIFIERS)}")
        return chosen
    number = text.replace(",", ".") if sep != "," and "." not in text else text
    kind = "prob" if column.kind == "share" else column.kind
    description, ok = RANGES[kind]
    try:
        value = int(number) if kind in _INTEGER else float(number)
    except ValueError:
        raise UserError(f"{where}: {text!r} is not {description}") from None
    if not ok(value):
        raise UserError(f"{where}: {text!r} is out of range: expected {description}")
    return value


def _set_once(owner: dict, key: str, value: Any, row: Row, column: str, seen: dict, what: str) -> None:
    """Set a club-level value; a second, different value for the same club is an error."""
    if value is None:
        return
    if key in owner and owner[key] != value:
        raise UserError(f"{row.where(column)}: {value!r} contradicts row {seen[key]} for {what} "
                        "(a club-level column: give it once or the same on every row of the club)")
    owner[key], seen[key] = value, row.number


@dataclass
class Imported:
    """The city being built, and the row each entity came from (to point schema errors at it)."""

    name: str
    centres: dict[str, dict] = field(default_factory=dict)
    associations: dict[str, dict] = field(default_factory=dict)
    teams: dict[str, dict] = field(default_factory=dict)
    origin: dict[tuple[str, str], Row] = field(default_factory=dict)  # (section, id) -> its (first) row

    def city(self) -> dict[str, Any]:
        """The content of `conf/city/NAME.yaml`."""
        return {"name": self.name, "centres": self.centres, "associations": self.associations, "teams": self.teams}


def _teams(rows: list[Row], sep: str, city: Imported) -> tuple[dict[str, list[tuple[str, Row, bool]]], dict[str, str]]:
    """Fill the city's clubs and teams from the club rows; return each centre's teams (with their
    partner flag) and each centre's name as written."""
    seen: dict[str, dict] = {}
    by_centre: dict[str, list[tuple[str, Row, bool]]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        values = {c.name: parse_cell(row, c, sep) for c in CLUB_COLUMNS}
        club, centre = values["club"], values["centre"]
        labels.setdefault(centre, row.cells["centre"])
        city.origin.setdefault(("associations", club), row)
        entry = city.associations.setdefault(club, {"label": row.cells["club"], "kind": "sport"})
        for c in CLUB_COLUMNS:
            if c.entity == "club":
                _set_once(entry, c.key, values[c.name], row, c.name, seen.setdefault(club, {}),
                          f"club {row.cells['club']!r}")
        name = values["team"] or f"{club}_{slug(values['activity']) or 'team'}"
        if values["team"] is None and name in city.teams:
            name = f"{name}_{centre}"  # the same club and activity at two centres
        if name in city.teams:
            raise UserError(f"{row.where('team')}: team {name!r} is already row {city.origin['teams', name].number}; "
                            "give the rows distinct names in a 'team' column")
        city.origin["teams", name] = row
        city.teams[name] = {c.key: values[c.name] for c in CLUB_COLUMNS
                            if c.entity == "team" and c.key and values[c.name] is not None}
        by_centre.setdefault(centre, []).append((name, row, bool(values["partner"])))
    for entry in city.associations.values():
        entry.setdefault("has_cafe", False)
        entry.setdefault("has_admin_staff", False)
    return by_centre, labels


def _partner(centre: str, listed: list[tuple[str, Row, bool]]) -> str:
    """The centre's partner team: the row marked `partner`, or its only team."""
    marked = [(name, row) for name, row, partner in listed if partner]
    if len(marked) > 1:
        raise UserError(f"{marked[1][1].where('partner')}: centre {centre!r} already has partner team "
                        f"{marked[0][0]!r} (row {marked[0][1].number}); a centre has one partner team")
    if marked:
        return marked[0][0]
    if len(listed) == 1:
        return listed[0][0]
    rows = ", ".join(str(row.number) for _, row, _ in listed)
    raise UserError(f"{listed[0][1].file}, column partner: centre {centre!r} has {len(listed)} teams (rows {rows}) "
                    "and none is marked partner=yes; mark the team where its citizens meet the club")


def _centres(path: Path | None, by_centre: dict, labels: dict[str, str], city: Imported) -> None:
    """Fill the city's centres: from the centres file, or derived from the club rows (baseline model)."""
    if path is None:
        for centre, listed in by_centre.items():
            city.origin["centres", centre] = listed[0][1]
            city.centres[centre] = {"label": labels[centre], "policy": "baseline",
                                    "partner_team": _partner(centre, listed)}
        return
    rows, sep = read_rows(path, CENTRE_COLUMNS)
    for row in rows:
        values = {c.name: parse_cell(row, c, sep) for c in CENTRE_COLUMNS}
        centre = values["centre"]
        if centre in city.centres:
            raise UserError(f"{row.where('centre')}: centre {centre!r} is already row "
                            f"{city.origin['centres', centre].number}")
        if centre not in by_centre:
            raise UserError(f"{row.where('centre')}: centre {centre!r} has no team in the clubs file; "
                            "every centre needs at least its partner team")
        mix = {d: values[d] for d in DIAGNOSES}
        given = [d for d, v in mix.items() if v is not None]
        if given and len(given) < len(DIAGNOSES):
            absent = next(d for d in DIAGNOSES if mix[d] is None)
            raise UserError(f"{row.where(absent)}: empty; give the diagnosis mix in all of "
                            f"{', '.join(DIAGNOSES)} or in none (none = citizen.diagnosis_mix)")
        entry = {"label": values["label"] or labels[centre], "policy": values["policy"] or "baseline",
                 "partner_team": _partner(centre, by_centre[centre])}
        for c in CENTRE_COLUMNS:
            if c.key and c.key not in entry and c.kind != "share" and values[c.name] is not None:
                entry[c.key] = values[c.name]
        if given:
            entry["diagnosis_mix"] = mix
        city.origin["centres", centre] = row
        city.centres[centre] = entry
    missing = [c for c in by_centre if c not in city.centres]
    if missing:
        raise UserError(f"{path}: no row for centre {missing[0]!r}, which the clubs file names; "
                        f"centres listed: {', '.join(city.centres)}")


def build(clubs: Path, name: str, centres: Path | None = None) -> Imported:
    """The city from the CSV files, every cell checked (`check` then validates it as a whole)."""
    city = Imported(name)
    rows, sep = read_rows(clubs, CLUB_COLUMNS)
    by_centre, labels = _teams(rows, sep, city)
    _centres(centres, by_centre, labels, city)
    return city


_SECTION_COLUMNS = {"centres": CENTRE_COLUMNS, "associations": CLUB_COLUMNS, "teams": CLUB_COLUMNS}


def _locate(message: str, city: Imported) -> str:
    """A schema error about `city.<section>.<id>[.<field>]`, pointed at the row (and column) it came from."""
    found = re.search(r"city\.(centres|associations|teams)\.(\w+)(?:\.(\w+))?", message)
    row = city.origin.get(found.group(1, 2)) if found else None
    if row is None:
        return message
    entity = {"centres": "centre", "associations": "club", "teams": "team"}[found.group(1)]
    columns = [c.name for c in _SECTION_COLUMNS[found.group(1)] if c.entity == entity and c.key == found.group(3)]
    where = f"{row.file}, row {row.number}" + (f", column{'s' * (len(columns) > 1)} {', '.join(columns)}"
                                                 if columns else "")
    return f"{where}: {message}"


def check(city: Imported) -> CityCfg:
    """Validate the built city with the schema, as `city=NAME` will; errors point at a CSV row."""
    try:
        typed = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(CityCfg), city.city()))
        return validate(dataclasses.replace(compose([]), city=typed)).city
    except (OmegaConfBaseException, ValueError) as exc:
        raise UserError(_locate(str(exc).splitlines()[0], city)) from None
    except UserError as exc:
        raise UserError(_locate(str(exc), city)) from None


def packaged_cities() -> dict[str, Path]:
    """The cities shipped in the package's conf/city."""
    folder = files("conf") / "city"
    return {p.name[:-5]: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml")}


def to_yaml(city: Imported, sources: Sequence[Path]) -> str:
    """The city file: a header saying where it came from, then the data."""
    header = "".join([
        f"# City {city.name}, written by `python -m sim.city_import` on {date.today().isoformat()} from\n",
        *(f"#   {path}\n" for path in sources),
        "# Every field is explained in conf/city/template.yaml; a field left out uses the global default\n"
        "# of the same meaning. Edit this file, or the spreadsheet and import again (--force).\n"
        "# Not city data but worth setting for your city (scenario file or command line): intake.*,\n"
        "# instructor.pool and trial_cohorts.\n",
    ])
    return header + yaml.safe_dump(city.city(), sort_keys=False, allow_unicode=True, width=110)
