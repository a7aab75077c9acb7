"""`POST /datasets/{kind}`: an import (CSV, JSON or Parquet) validated whole before anything is
stored, kept as a versioned, hashed dataset; `GET /datasets`, `GET /datasets/{id}`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as FPath
from starlette.concurrency import run_in_threadpool

from incentives.errors import DataError, Problem
from incentives.sales.inputs import text_id
from incentives.sales.records import load_deals, load_people
from incentives.sales.tables import load_mapping, read_rows
from incentives.time.data import load_holidays
from incentives.time.rates import Rates

from ..auth import Admin
from ..schemas import MAX_ID, DatasetKind, DatasetPublic, ErrorPublic

router = APIRouter(tags=["datasets"])
MAX_BYTES = 200 * 1024 * 1024
COLUMNS = {"assignments": ("person", "plan", "start"), "quotas": ("person", "start"),
           "splits": ("deal", "person", "share"), "activities": ("id", "owner", "date", "type")}


class _Anyone(dict):
    """Every owner is known: a deals file is checked against the people of a run, not on import."""

    def __contains__(self, key: object) -> bool:
        return True


def renamed(p: Problem, path: str, shown: str) -> Problem:
    """The problem with the upload's name where the temporary file's path was."""
    fields = {k: v for k, v in p.to_dict().items() if k != "message"}
    fields["file"] = shown if fields.get("file") in (path, None) else fields["file"]
    return Problem(str(p).replace(path, shown), **{**fields, "message": (p.message or "").replace(path, shown)})


def validate(kind: str, path: Path, mapping: Path | None = None) -> int:
    """Check the file as the kind it is, through a CRM column mapping when given (DataError naming the
    row and column); the number of rows (of a mapping: the tables it maps)."""
    if kind == "mapping":
        return len(load_mapping(path))
    maps = load_mapping(mapping).get(kind) if mapping is not None else None
    if kind == "people":
        return len(load_people(path, {}, maps))
    if kind == "deals":
        return len(load_deals(path, {}, _Anyone(), None, maps))
    if kind == "rates":
        return len(Rates.load(path, maps))
    if kind == "holidays":
        return len(load_holidays(path, maps))
    columns, rows = read_rows(path, maps)
    rows = list(rows)
    if columns is None and rows:
        columns = list(rows[0][1])
    missing = [c for c in COLUMNS[kind] if c not in (columns or [])]
    if missing:
        raise DataError([Problem(f"{path.name}: header: missing column `{c}`", code="data", field=c)
                         for c in missing])
    if kind == "quotas" and not any(text_id(r.get("person")) for _, r in rows) and rows:
        raise DataError([Problem(f"{path.name}: no row names a person", code="data", field="person")])
    return len(rows)


@router.post("/datasets/{kind}", status_code=201, response_model=DatasetPublic,
             responses={422: {"model": ErrorPublic, "description": "The file has problems (row and column named)"},
                        413: {"model": ErrorPublic}},
             openapi_extra={"requestBody": {"required": True, "description": "The file itself.", "content": {
                 "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {}},
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def import_dataset(kind: DatasetKind, request: Request, who: Admin,
                         format: Annotated[str, Query(pattern="^(csv|json|parquet|toml)$")] = "csv",
                         name: Annotated[str, Query(max_length=200)] = "",
                         mapping: Annotated[int | None, Query(ge=1, le=MAX_ID, description=(
                             "A mapping dataset to read this file through (a CRM export's columns)"))] = None
                         ) -> DatasetPublic:
    """The request body is the file.  Nothing is stored unless all of it is valid.  A `mapping` dataset
    (format toml) maps a CRM export's columns and values to ours; give its id to read an export."""
    if (kind == "mapping") != (format == "toml"):
        raise HTTPException(422, "a mapping is a TOML file (format=toml), and only a mapping is")
    mapped = request.app.state.store.dataset(mapping) if mapping is not None else None
    if mapping is not None and (mapped is None or mapped.kind != "mapping"):
        raise HTTPException(422, f"no mapping dataset {mapping}")
    content = await request.body()
    if len(content) > MAX_BYTES:
        raise HTTPException(413, f"a dataset is at most {MAX_BYTES:,} bytes")
    if "\x00" in name:
        raise HTTPException(422, "a dataset's name may not hold a NUL character")
    shown = name or f"{kind}.{format}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.{format}"  # never the given name: it is not a path on this server
        path.write_bytes(content)
        mapping_path = None
        if mapped is not None:
            mapping_path = Path(tmp) / "mapping.toml"
            mapping_path.write_bytes(mapped.content)
        try:
            rows = await run_in_threadpool(validate, kind, path, mapping_path)
        except DataError as e:  # the problems name the upload, not the server's temporary file
            raise DataError([renamed(p, str(path), shown) for p in e.problems]) from None
    row = await run_in_threadpool(request.app.state.store.add_dataset, kind, name, format, content, rows, who.name)
    return DatasetPublic.model_validate(row)


@router.get("/datasets", response_model=list[DatasetPublic])
def list_datasets(request: Request, who: Admin) -> list[DatasetPublic]:
    return [DatasetPublic.model_validate(r) for r in request.app.state.store.datasets()]


@router.get("/datasets/{dataset_id}", response_model=DatasetPublic, responses={404: {"model": ErrorPublic}})
def get_dataset(dataset_id: Annotated[int, FPath(ge=1, le=MAX_ID)], request: Request, who: Admin) -> DatasetPublic:
    row = request.app.state.store.dataset(dataset_id)
    if row is None:
        raise HTTPException(404, f"no dataset {dataset_id}")
    return DatasetPublic.model_validate(row)
