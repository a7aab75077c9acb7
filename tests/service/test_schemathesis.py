"""Schemathesis over the live server's /openapi.json: every operation, a bounded number of generated
requests (valid and invalid ones) with the admin token, and no answer may be a server error (5xx).

Inputs that hit a KNOWN bug are rewritten before they are sent (`avoid_known_bugs`) so that the fuzz
keeps finding new ones; each such bug is pinned by an exact reproduction below, marked
`xfail(strict=True, reason="BUG: ...")`.  When a bug is fixed its test passes, strict xfail fails
the suite, and then both the mark and the rewrite in `avoid_known_bugs` go."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet

from incentives.service.app import create_app
from incentives.service.demo import load_demo

from .server import running_on
# The operations, read from the application's contract when the tests are collected (no server needed).
OPERATIONS = sorted((method.upper(), path) for path, ops in create_app("unused.db").openapi()["paths"].items()
                    for method in ops)
EXAMPLES = {"sqlite": {GenerationMode.POSITIVE: 16, GenerationMode.NEGATIVE: 8},
            "postgresql": {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}}
INT32 = 2**31 - 1
HOOK_URL = "http://127.0.0.1:9/fuzz"  # loopback, nothing listens: a fuzzed webhook can never reach anywhere else


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory) -> Iterator[tuple[str, Any, Any]]:
    """(backend, the running server, its schema as served): one server per backend for the module,
    with the demo plan and datasets stored."""
    with running_on(request.param, tmp_path_factory.mktemp("fuzz") / "service.db") as server:
        yield request.param, server, _load(server)

def _load(server) -> Any:
    store = server.store()
    try:
        load_demo(store)
    finally:
        store.close()
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json", timeout=30)


def _strings(value: Any, fix) -> Any:
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_strings(v, fix) for v in value]
    if isinstance(value, dict):
        return {_strings(k, fix): _strings(v, fix) for k, v in value.items()}
    return value


def _int32(value: Any) -> Any:
    return value % INT32 if isinstance(value, int) and not isinstance(value, bool) else value


def avoid_known_bugs(case: Any, backend: str) -> None:
    """Rewrite, in place, the parts of a generated request that hit a bug pinned below."""
    method, path = case.operation.method.upper(), case.operation.path
    # test_an_id_beyond_the_database_integer_is_not_a_server_error
    for name in ("dataset_id", "webhook_id"):
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = _int32(case.path_parameters[name])
    if (method, path) == ("POST", "/runs") and isinstance(case.body, dict) and isinstance(case.body.get("datasets"),
                                                                                          dict):
        case.body["datasets"] = {k: _int32(v) for k, v in case.body["datasets"].items()}
    # test_empty_periods_is_not_a_server_error
    if (method, path) == ("POST", "/runs") and isinstance(case.body, dict) and case.body.get("periods") == "":
        case.body["periods"] = " "
    # test_a_dataset_name_with_a_slash_is_not_a_server_error (the name becomes a file name)
    if (method, path) == ("POST", "/datasets/{kind}") and isinstance((case.query or {}).get("name"), str):
        name = case.query["name"].replace("/", "_").replace("\x00", "")
        case.query["name"] = name if len(name.encode("utf-8")) <= 200 else name.encode()[:200].decode("utf-8", "ignore")
    # test_a_nul_character_is_not_a_server_error_on_postgresql
    if backend == "postgresql":
        def strip(s: str) -> str:
            return s.replace("\x00", "")
        case.path_parameters = _strings(case.path_parameters, strip)
        case.query = _strings(case.query, strip)
        if not isinstance(case.body, NotSet):
            case.body = _strings(case.body, strip)
    # never a webhook to anywhere but an unused loopback port (no run ends during the fuzz, but still)
    if (method, path) == ("POST", "/webhooks") and isinstance(case.body, dict) and isinstance(case.body.get("url"),
                                                                                              str):
        case.body["url"] = HOOK_URL


@pytest.mark.parametrize("operation", [f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error(live, operation):
    backend, server, schema = live
    method, path = operation.split(" ", 1)
    op = schema[path][method]
    auth = {"authorization": f"Bearer {server.token}"}
    sent = 0
    for mode, examples in EXAMPLES[backend].items():
        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(generation_mode=mode, headers=auth))
        def fuzz(case: Any) -> None:
            nonlocal sent
            avoid_known_bugs(case, backend)
            response = case.call(base_url=server.url, headers=auth, timeout=30)
            sent += 1
            case.validate_response(response, checks=[not_a_server_error])

        try:
            fuzz()
        except Unsatisfiable:  # nothing of this operation can be made invalid (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE
    assert sent > 0
    with server.client() as c:  # the server is still up and answering
        assert c.get("/health").json() == {"status": "ok"}


def test_every_operation_is_fuzzed():
    listed = set(OPERATIONS)
    for route in [("POST", "/plans"), ("POST", "/datasets/{kind}"), ("POST", "/runs"), ("GET", "/runs/{run_id}"),
                  ("GET", "/runs/{run_id}/payouts"), ("GET", "/runs/{run_id}/statements/{person}"),
                  ("POST", "/calculate"), ("POST", "/periods/{period}/finalize"), ("POST", "/adjustments"),
                  ("GET", "/audit")]:
        assert route in listed


# ---- the server errors the fuzz finds (exact reproductions) ----

def status(server, method: str, url: str, **kw: Any) -> int:
    """One request on its own connection (after a 500 the server closes the connection it came on)."""
    with server.client() as c:
        return c.request(method, url, **kw).status_code


def test_an_id_beyond_the_database_integer_is_not_a_server_error(backend_server):
    store = backend_server.store()
    try:
        ids = load_demo(store)
    finally:
        store.close()
    big, s = 2**63, backend_server
    answers = {
        "GET /datasets/{id}": status(s, "GET", f"/datasets/{big}"),
        "POST /runs": status(s, "POST", "/runs", json={"plans": [{"name": "Account Executive FY2027"}],
                                                       "period": "2027-01", "datasets": {**ids, "deals": big}},
                             headers={"Idempotency-Key": "big"}),
        "DELETE /webhooks/{id}": status(s, "DELETE", f"/webhooks/{big}"),
        "GET /webhooks/{id}/deliveries": status(s, "GET", f"/webhooks/{big}/deliveries"),
    }
    assert all(code < 500 for code in answers.values()), answers


def test_a_nul_character_is_not_a_server_error_on_postgresql(pg_server):
    s = pg_server
    answers = {
        "GET /plans/%00/versions": status(s, "GET", "/plans/%00/versions"),
        "GET /runs/%00": status(s, "GET", "/runs/%00"),
        "GET /runs/%00/statements/x": status(s, "GET", "/runs/%00/statements/x"),
        "POST /calculate": status(s, "POST", "/calculate", json={"plan": "\x00"}),
        "POST /runs": status(s, "POST", "/runs", json={"plans": [{"name": "\x00"}], "period": "2027-01",
                                                       "datasets": {"people": 1}}, headers={"Idempotency-Key": "nul"}),
    }
    assert all(code < 500 for code in answers.values()), answers


def test_a_dataset_name_with_a_slash_is_not_a_server_error(server):
    holidays = b"date,name\n2027-01-01,New Year\n"
    answers = {name: status(server, "POST", "/datasets/holidays", params={"name": name}, content=holidays)
               for name in ("2027/us", "a\x00b", "\u00e9" * 200)}
    assert all(code < 500 for code in answers.values()), answers


def test_empty_periods_is_not_a_server_error(server):
    store = server.store()
    try:
        ids = load_demo(store)
    finally:
        store.close()
    code = status(server, "POST", "/runs", json={"plans": [{"name": "Account Executive FY2027"}], "periods": "",
                                                 "datasets": ids}, headers={"Idempotency-Key": "empty"})
    assert code == 422, code
