"""The benchmark behind ``make bench`` (``manage.py benchmark``): timings at national size.

Each operation is run a few times to warm up, then timed over repeated runs (median and 95th
percentile, in milliseconds, server time: pages and API calls go through Django's test client
in this process, signed in, so there is no network or browser in the figure). One more run is
captured with ``CaptureQueriesContext``: the number of queries, and the floor: every captured
statement run again under ``EXPLAIN (ANALYZE, FORMAT JSON)`` and its "Execution Time" summed —
what the database itself needs, with no Python around it. The ratio of the two says how much
of the time is Django's. Writes made by an operation (the access log, snapshots) are explained
inside a transaction that is rolled back.

Results go to ``bench/out/results-<requests>.json`` (one file per data size, so runs at 150,000
and at 1.5 million requests can be compared) and into the generated part of
``docs/benchmarks.md``, between its ``bench:begin``/``bench:end`` markers.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from placements import reports as placement_reports
from reporting import services as dashboard_services
from reporting.figures import add_months
from requests_app.models import AssessmentRequest, Child

BASE_DIR = Path(settings.BASE_DIR)
OUT_DIR = BASE_DIR / "bench" / "out"
DOC = BASE_DIR / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
NATIONAL = 1_500_000
IMPORT_ROWS = 100_000
SECTIONS = frozenset({"pages", "reports", "import", "memory"})


# --- Results -------------------------------------------------------------------------------------


@dataclass
class OpResult:
    key: str
    label: str
    runs: int
    median_ms: float
    p95_ms: float
    queries: int
    sql_ms: float
    slowest_sql_ms: float = 0.0
    slowest_sql: str = ""
    slowest_plan: str = ""
    note: str = ""
    # The target is for a larger job than was run (the 120-month run shortened): median × this.
    extrapolate: float = 1.0

    @property
    def ratio(self) -> float | None:
        return self.median_ms / self.sql_ms if self.sql_ms > 0 else None


@dataclass
class BenchResults:
    requests: int
    taken_at: str
    machine: dict[str, Any]
    sizes: dict[str, int]
    ops: dict[str, OpResult] = field(default_factory=dict)
    import_rows: int = 0
    import_seconds: float = 0.0
    import_rows_per_second: float = 0.0
    import_note: str = ""
    memory_kb: int = 0
    memory_months: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ops"] = {key: asdict(op) for key, op in self.ops.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchResults:
        ops = {key: OpResult(**op) for key, op in data.pop("ops", {}).items()}
        return cls(**data, ops=ops)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the 95th of 30 runs is the 29th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# --- The floor: EXPLAIN ANALYZE of the captured statements ---------------------------------------

_EXPLAINABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


def _plan_summary(plan: dict[str, Any], limit: int = 10) -> str:
    """The plan's nodes in order, with the relation or index each reads and its actual rows."""
    parts: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if len(parts) >= limit:
            return
        name = node.get("Node Type", "?")
        if node.get("Index Name"):
            name += f" using {node['Index Name']}"
        elif node.get("Relation Name"):
            name += f" on {node['Relation Name']}"
        rows = node.get("Actual Rows")
        loops = node.get("Actual Loops", 1)
        if rows is not None:
            times = f" ×{loops}" if loops and loops > 1 else ""
            name += f" (rows={rows}{times}, {node.get('Actual Total Time', 0):.1f} ms)"
        parts.append(name)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return " → ".join(parts)


def _redact(sql: str) -> str:
    """A session's signed data is no evidence of anything: leave it out of the results."""
    return re.sub(r"\"session_data\" = '[^']*'", "\"session_data\" = '…'", sql)


def explain_floor(statements: list[str]) -> tuple[float, float, str, str]:
    """Sum of "Execution Time" over ``statements``; and the slowest one with its plan summary.

    Run inside a transaction that is rolled back, so an explained INSERT or UPDATE leaves no row.
    """
    total = 0.0
    slowest = (0.0, "", "")
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            if not _EXPLAINABLE.match(sql):
                continue
            try:
                with transaction.atomic():  # a savepoint: one failing statement does not end the rest
                    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                    raw = cursor.fetchone()[0]
            except DatabaseError:
                # An INSERT replayed after the run wrote its row (a unique key now taken): it
                # cannot run again; such statements are a fraction of a millisecond each.
                continue
            result = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            ms = float(result["Execution Time"])
            total += ms
            if ms > slowest[0]:
                slowest = (ms, sql, _plan_summary(result["Plan"]))
        transaction.set_rollback(True)
    return total, slowest[0], slowest[1], slowest[2]


# --- Running one operation -----------------------------------------------------------------------


def measure(
    key: str,
    label: str,
    op: Callable[[], Any],
    *,
    runs: int,
    warmup: int,
    capture_separately: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> OpResult:
    for _ in range(warmup):
        op()
    times: list[float] = []
    captured: list[str] = []
    for index in range(runs):
        if not capture_separately and index == 0:
            with CaptureQueriesContext(connection) as context:
                started = time.perf_counter()
                op()
                times.append((time.perf_counter() - started) * 1000)
            captured = [q["sql"] for q in context.captured_queries]
            continue
        started = time.perf_counter()
        op()
        times.append((time.perf_counter() - started) * 1000)
    if capture_separately:
        with CaptureQueriesContext(connection) as context:
            op()
        captured = [q["sql"] for q in context.captured_queries]
    floor, slowest_ms, slowest_sql, plan = explain_floor(captured)
    result = OpResult(
        key=key,
        label=label,
        runs=runs,
        median_ms=statistics.median(times),
        p95_ms=percentile(times, 95),
        queries=len(captured),
        sql_ms=floor,
        slowest_sql_ms=slowest_ms,
        slowest_sql=_redact(slowest_sql)[:1500],
        slowest_plan=plan,
    )
    ratio = f"{result.ratio:.1f}×" if result.ratio else "–"
    log(
        f"  {label}: median {result.median_ms:.1f} ms, p95 {result.p95_ms:.1f} ms, {result.queries} queries, "
        f"SQL {floor:.1f} ms ({ratio})"
    )
    return result


def signed_in_with_second_step(user: User) -> Client:
    """A test client signed in as ``user`` the way production signs people in: the password step
    (``force_login``) and the second step, a confirmed authenticator recorded on the session as
    ``django_otp.login`` records it. With DEBUG off MFA applies, and a password-only session
    gets 403 from the API and a redirect from pages: the benchmark would time those instead."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, name="Benchmark", confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Benchmark", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


class _Page:
    """A GET through the test client that must answer 200."""

    def __init__(self, client: Client, url: str):
        self.client, self.url = client, url

    def __call__(self) -> None:
        response = self.client.get(self.url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {self.url} answered {response.status_code}")
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        _ = response.content


# --- Machine and data ----------------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        settings_rows = {}
        for name in ("shared_buffers", "work_mem", "random_page_cost", "jit", "max_parallel_workers_per_gather"):
            cursor.execute(f"SHOW {name}")
            settings_rows[name] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg_version,
        "postgresql_settings": settings_rows,
        "database_size": db_size,
        "debug": settings.DEBUG,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def data_sizes() -> dict[str, int]:
    from django.apps import apps

    labels = [
        "requests_app.Child",
        "requests_app.AssessmentRequest",
        "requests_app.AssessmentDecision",
        "requests_app.AdviceRequest",
        "requests_app.ClockException",
        "requests_app.RequestEvent",
        "panels.PanelDecision",
        "placements.PlacementContract",
        "core.AccessLog",
    ]
    sizes: dict[str, int] = {}
    with connection.cursor() as cursor:
        for label in labels:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            # The planner's estimate (exact after the load's ANALYZE) for the big tables; counting
            # 15 million events would take longer than the benchmark's own queries.
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [model._meta.db_table])
            row = cursor.fetchone()
            sizes[label.split(".")[1]] = int(row[0]) if row and row[0] >= 0 else model.objects.count()
    sizes["AssessmentRequest"] = AssessmentRequest.objects.count()
    sizes["open requests"] = AssessmentRequest.objects.open().count()
    sizes["plans issued"] = AssessmentRequest.objects.filter(status="plan_issued").count()
    return sizes


# --- PostgreSQL settings for the benchmark database ------------------------------------------------

# What docs/scaling.md recommends for this workload on SSD storage, set on the benchmark
# database only (ALTER DATABASE): index scans priced as on SSD, so the report aggregates join
# through primary keys instead of scanning whole tables; no JIT, whose compile time (100-300 ms
# per query) dwarfs these queries' run time.
DATABASE_SETTINGS = {"random_page_cost": "1.1", "jit": "off"}


def apply_database_settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
        for key, value in DATABASE_SETTINGS.items():
            cursor.execute(f'ALTER DATABASE "{name}" SET {key} = {value}')
    connection.close()  # the next connection starts with them
    return DATABASE_SETTINGS


# --- Import throughput and memory (subprocesses) -------------------------------------------------


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{name}").geturl()


def maintenance_connection(url: str) -> Any:
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    conn.autocommit = True
    return conn


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True if it was created."""
    name = urlsplit(url).path.lstrip("/")
    conn = maintenance_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        conn.close()


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = maintenance_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def _manage(args: list[str], *, database_url: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REPORTING_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=capture,
        text=True,
        check=True,
    )


def import_throughput(rows: int, *, log: Callable[[str], None]) -> tuple[float, float, str]:
    """``import_requests`` on a ``rows``-row file into an empty scratch database (created,
    migrated, dropped). Returns (seconds, rows per second as the importer reports it, note)."""
    scratch = _with_database(_database_url(), f"{settings.DATABASES['default']['NAME']}_import")
    drop_database(scratch)
    ensure_database(scratch)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "requests.csv"
            sample = BASE_DIR / "demo" / "management" / "commands" / "make_import_sample.py"
            if not sample.exists():
                raise RuntimeError("make_import_sample is missing: the importer's sample generator is needed")
            _manage(
                ["make_import_sample", "--rows", str(rows), "--out", str(path), "--seed", "1"], database_url=scratch
            )
            log(f"  migrating the scratch database {urlsplit(scratch).path.lstrip('/')}")
            _manage(["migrate", "--noinput"], database_url=scratch)
            # The reference data a council has before it imports: its districts.
            seed = "from demo.core_demo import seed_districts; seed_districts()"
            _manage(["shell", "-c", seed], database_url=scratch)
            log(f"  importing {rows:,} rows")
            started = time.perf_counter()
            done = _manage(["import_requests", str(path)], database_url=scratch)
            seconds = time.perf_counter() - started
        match = re.search(r"Took ([\d.]+) s \(([\d,]+) rows/second\)", done.stdout)
        reported = float(match.group(2).replace(",", "")) if match else rows / seconds
        note = f"importer's own timing; the command took {seconds:.1f} s wall including Django start-up"
        return seconds, reported, note
    finally:
        drop_database(scratch)


def memory_probe(from_month: date, to_month: date) -> int:
    """Run in a subprocess: compute the months, report this process's peak RSS (kB)."""
    from django.core.management import call_command

    call_command("compute_metrics", "--from", f"{from_month:%Y-%m}", "--to", f"{to_month:%Y-%m}", "--backlog")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def metrics_memory(from_month: date, to_month: date) -> int:
    done = _manage(
        ["benchmark", "--memory-probe", f"{from_month:%Y-%m}", f"{to_month:%Y-%m}"], database_url=_database_url()
    )
    match = re.search(r"maxrss_kb=(\d+)", done.stdout)
    if not match:
        raise RuntimeError(f"The memory probe printed no figure: {done.stdout[-500:]} {done.stderr[-500:]}")
    return int(match.group(1))


# --- The whole benchmark -------------------------------------------------------------------------


def run(
    *,
    runs: int = 30,
    warmup: int = 3,
    skip_import: bool = False,
    skip_memory: bool = False,
    skip_all_months: bool = False,
    all_months: int = 120,
    memory_months: int = 12,
    tune: bool = True,
    heavy_runs: int = 5,
    sections: frozenset[str] = SECTIONS,
    log: Callable[[str], None] = lambda message: None,
) -> BenchResults:
    if tune:
        log(f"Database settings: {apply_database_settings()}")
    today = timezone.localdate()
    last_month = dashboard_services.previous_month(today)
    first_month = add_months(last_month, 1 - all_months)
    sizes = data_sizes()
    results = BenchResults(
        requests=sizes["AssessmentRequest"],
        taken_at=timezone.now().isoformat(timespec="seconds"),
        machine=machine_facts(),
        sizes=sizes,
    )
    previous = OUT_DIR / f"results-{results.requests}.json"
    if sections != SECTIONS and previous.exists():
        # A partial run (--only) updates the saved results of this size.
        kept = BenchResults.from_json(json.loads(previous.read_text(encoding="utf-8")))
        results.ops, results.machine = kept.ops, {**kept.machine, "rerun": results.machine}
        results.import_rows, results.import_seconds = kept.import_rows, kept.import_seconds
        results.import_rows_per_second, results.import_note = kept.import_rows_per_second, kept.import_note
        results.memory_kb, results.memory_months = kept.memory_kb, kept.memory_months
    officer_client = signed_in_with_second_step(User.objects.get(username="officer"))
    manager_client = signed_in_with_second_step(User.objects.get(username="manager"))
    district = Child.objects.order_by("district_id").values_list("district_id", flat=True).first()
    detail = (
        AssessmentRequest.objects.filter(status="draft_issued").order_by("pk").values_list("pk", flat=True).first()
        or AssessmentRequest.objects.order_by("pk").values_list("pk", flat=True).first()
    )
    filters = f"district={district}&overdue=true"

    def add(op: OpResult) -> None:
        results.ops[op.key] = op
        save(results)  # as it goes: a long run that stops keeps what it measured

    fast = {"runs": runs, "warmup": warmup, "log": log}
    if "pages" in sections:
        _pages(add, fast, officer_client, filters, detail, log)
    if "reports" in sections:
        _reports(add, results, runs, heavy_runs, skip_all_months, all_months, today, last_month, first_month, log)
        add(measure("dashboard_page", "Dashboard page (manager)", _Page(manager_client, "/dashboard/"), **fast))
    results.machine["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    if "import" in sections and not skip_import:
        log(f"Import throughput ({IMPORT_ROWS:,} rows):")
        seconds, per_second, note = import_throughput(IMPORT_ROWS, log=log)
        results.import_rows, results.import_seconds = IMPORT_ROWS, seconds
        results.import_rows_per_second, results.import_note = per_second, note
        log(f"  {per_second:,.0f} rows/second ({note})")
        save(results)
    if "memory" in sections and not skip_memory:
        log(f"Peak memory of the metrics job (subprocess, {memory_months} months and the backlog):")
        results.memory_kb = metrics_memory(add_months(last_month, 1 - memory_months), last_month)
        results.memory_months = memory_months
        log(f"  {results.memory_kb / 1024:.0f} MiB")
    return results


def _pages(add: Any, fast: dict[str, Any], officer_client: Client, filters: str, detail: Any, log: Any) -> None:
    log("Queue and record (server time through the test client):")
    add(measure("queue_api", "Queue API, first page, default sort", _Page(officer_client, "/api/requests/"), **fast))
    add(
        measure(
            "queue_api_filtered",
            "Queue API, district + overdue",
            _Page(officer_client, f"/api/requests/?{filters}"),
            **fast,
        )
    )
    add(measure("queue_page", "Queue page, first page, default sort", _Page(officer_client, "/requests/"), **fast))
    add(
        measure(
            "queue_page_filtered",
            "Queue page, district + overdue",
            _Page(officer_client, f"/requests/?{filters}"),
            **fast,
        )
    )
    add(measure("detail_page", "Request page", _Page(officer_client, f"/requests/{detail}/"), **fast))
    add(measure("detail_api", "Request API record", _Page(officer_client, f"/api/requests/{detail}/"), **fast))


def _reports(
    add: Any,
    results: BenchResults,
    runs: int,
    heavy_runs: int,
    skip_all_months: bool,
    all_months: int,
    today: date,
    last_month: date,
    first_month: date,
    log: Any,
) -> None:
    log("Reports:")
    add(
        measure(
            "metrics_month",
            f"Monthly metrics job, one month ({last_month:%Y-%m})",
            lambda: dashboard_services.metrics_compute_month(month_start=last_month),
            runs=heavy_runs,
            warmup=1,
            log=log,
        )
    )
    if not skip_all_months:
        add(
            measure(
                "metrics_all",
                f"Monthly metrics job, {all_months} months ({first_month:%Y-%m} to {last_month:%Y-%m}) and their years",
                lambda: dashboard_services.metrics_compute_range(from_month=first_month, to_month=last_month),
                runs=1,
                warmup=0,
                capture_separately=False,
                log=log,
            )
        )
        results.ops["metrics_all"].extrapolate = 120 / all_months
        save(results)
    add(
        measure(
            "backlog",
            "Backlog snapshot (all districts and each)",
            lambda: dashboard_services.backlog_snapshot_take(on=today),
            runs=heavy_runs,
            warmup=1,
            log=log,
        )
    )
    add(
        measure(
            "purchasing_power",
            "Purchasing-power report (per provider)",
            lambda: placement_reports.purchasing_power(on=today),
            runs=heavy_runs,
            warmup=1,
            log=log,
        )
    )


# --- Writing the results -------------------------------------------------------------------------


def save(results: BenchResults) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"results-{results.requests}.json"
    path.write_text(json.dumps(results.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    return path


def load_all() -> list[BenchResults]:
    found = []
    for path in sorted(OUT_DIR.glob("results-*.json")):
        found.append(BenchResults.from_json(json.loads(path.read_text(encoding="utf-8"))))
    return sorted(found, key=lambda r: r.requests)


@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[BenchResults], tuple[bool, str] | None]


def _op_target(
    key: str, *, p95: float | None = None, median: float | None = None, ratio: float | None = None
) -> Target:
    parts = []
    if p95 is not None:
        parts.append(f"p95 < {p95:g} ms")
    if median is not None:
        parts.append(f"< {median / 1000:g} s" if median >= 1000 else f"median < {median:g} ms")
    if ratio is not None:
        parts.append(f"≤ {ratio:g}× SQL")

    def check(results: BenchResults) -> tuple[bool, str] | None:
        op = results.ops.get(key)
        if op is None:
            return None
        problems = []
        if p95 is not None and op.p95_ms >= p95:
            problems.append(f"p95 {op.p95_ms:.0f} ms")
        if median is not None and op.median_ms * op.extrapolate >= median:
            scaled = f" extrapolated ×{op.extrapolate:g}" if op.extrapolate != 1 else ""
            problems.append(f"{op.median_ms * op.extrapolate / 1000:.1f} s{scaled}")
        if ratio is not None and (op.ratio or 0) > ratio:
            problems.append(f"{op.ratio:.1f}× SQL")
        return (not problems, ", ".join(problems))

    return Target(", ".join(parts), check)


def _import_check(results: BenchResults) -> tuple[bool, str] | None:
    if not results.import_rows:
        return None
    ok = results.import_rows_per_second >= 2000
    return ok, "" if ok else f"{results.import_rows_per_second:,.0f} rows/s"


TARGETS: dict[str, Target] = {
    "queue_api": _op_target("queue_api", p95=150, ratio=3),
    "queue_api_filtered": _op_target("queue_api_filtered", p95=150, ratio=3),
    "queue_page": _op_target("queue_page", p95=150, ratio=3),
    "queue_page_filtered": _op_target("queue_page_filtered", p95=150, ratio=3),
    "detail_page": _op_target("detail_page", p95=150, ratio=3),
    "detail_api": _op_target("detail_api", p95=150, ratio=3),
    "metrics_month": _op_target("metrics_month", median=2000),
    "metrics_all": _op_target("metrics_all", median=120_000),  # for 120 months
    "backlog": _op_target("backlog", median=5000),
    "dashboard_page": _op_target("dashboard_page", p95=200),
    "purchasing_power": Target("(no target)", lambda r: None),
    "import": Target("≥ 2,000 rows/s", _import_check),
}


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def _verdict(target: Target, results: BenchResults) -> str:
    outcome = target.check(results)
    if outcome is None:
        return "–"
    ok, why = outcome
    return "PASS" if ok else f"**MISS** ({why})"


def render(all_results: list[BenchResults]) -> str:
    """The generated part of docs/benchmarks.md."""
    if not all_results:
        return "No benchmark results yet: run `make bench`."
    largest = all_results[-1]
    m = largest.machine
    pg = ", ".join(f"{k} {v}" for k, v in m["postgresql_settings"].items())
    lines = [
        f"Generated by `make bench` (`python manage.py benchmark`); last run {largest.taken_at}.",
        "",
        "### Machine",
        "",
        f"- {m['cpu'] or 'CPU not reported'}, {m['cores']} cores, {m['memory_gib']} GiB memory",
        f"- PostgreSQL {m['postgresql']} on the same machine ({pg}); Python {m['python']}, Django {m['django']}, "
        f"DEBUG={'on' if m['debug'] else 'off'}",
        f"- Load average (1, 5, 15 min) when the run started: {m.get('load_average')}, when the timings ended: "
        f"{m.get('load_average_end')}. The machine is shared: above 2 means other work competed for the two cores "
        "and the timings are inflated by it.",
        "",
        "### Data sizes",
        "",
        "| table | " + " | ".join(f"{r.requests:,} requests" for r in all_results) + " |",
        "|---|" + "---:|" * len(all_results),
    ]
    keys = list(largest.sizes)
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(f"{r.sizes.get(key, 0):,}" for r in all_results) + " |")
    lines.append("| database size | " + " | ".join(r.machine.get("database_size", "") for r in all_results) + " |")
    lines += [
        "",
        "### Timings",
        "",
        "Server time in milliseconds (pages and API through Django's test client, in process); "
        "*SQL* is the floor: the summed `EXPLAIN (ANALYZE)` execution time of the operation's own queries; "
        "*×SQL* is median ÷ floor. Targets apply at 1.5 million requests "
        f"({'this is the largest run' if largest.requests >= NATIONAL else 'not reached in the largest run'}).",
        "",
    ]
    header = "| operation | target |"
    rule = "|---|---|"
    for r in all_results:
        header += f" {r.requests:,}: median / p95 | queries | SQL | ×SQL |"
        rule += "---:|---:|---:|---:|"
    header += " verdict (largest run) |"
    rule += "---|"
    lines += [header, rule]
    for key, op in largest.ops.items():
        target = TARGETS.get(key, Target("", lambda r: None))
        row = f"| {op.label} | {target.text} |"
        for r in all_results:
            other = r.ops.get(key)
            if other is None:
                row += " – | – | – | – |"
                continue
            ratio = f"{other.ratio:.1f}×" if other.ratio else "–"
            runs = f" (n={other.runs})" if other.runs < 10 else ""
            row += f" {_ms(other.median_ms)} / {_ms(other.p95_ms)}{runs} | {other.queries} |"
            row += f" {_ms(other.sql_ms)} | {ratio} |"
        row += f" {_verdict(target, largest)} |"
        lines.append(row)
    imports = [r for r in all_results if r.import_rows]
    if imports:
        r = imports[-1]
        lines.append(
            f"| `import_requests`, {r.import_rows:,}-row file into an empty database | ≥ 2,000 rows/s |"
            + " – | – | – | – |" * (len(all_results) - 1)
            + f" {r.import_rows_per_second:,.0f} rows/s | | | |"
            + f" {_verdict(TARGETS['import'], r)} |"
        )
    lines += ["", "### Peak memory of the metrics job", ""]
    with_memory = [r for r in all_results if r.memory_kb]
    if with_memory:
        for r in with_memory:
            lines.append(
                f"- {r.requests:,} requests: {r.memory_kb / 1024:.0f} MiB peak RSS "
                f"(`compute_metrics` over {r.memory_months} months and the backlog, in a subprocess)"
            )
        small = next((r for r in with_memory if r.requests <= 200_000), None)
        big = next((r for r in reversed(with_memory) if r.requests >= NATIONAL), None)
        if small and big:
            ratio = big.memory_kb / small.memory_kb
            verdict = "PASS" if ratio <= 1.2 else "**MISS**"
            lines.append(f"- ratio at 1.5 million to 150,000: {ratio:.2f} (target ≤ 1.2): {verdict}")
    else:
        lines.append("- not measured")
    lines += ["", "### Slowest query of each operation (largest run)", ""]
    for op in largest.ops.values():
        if not op.slowest_sql:
            continue
        sql = re.sub(r"\s+", " ", op.slowest_sql)
        sql = sql if len(sql) <= 300 else sql[:297] + "..."
        lines += [
            f"- **{op.label}**: {_ms(op.slowest_sql_ms)} of {_ms(op.sql_ms)} SQL. Plan: {op.slowest_plan}",
            f"  <br>`{sql.replace('`', '')}`",
        ]
    return "\n".join(lines)


def write_doc(all_results: list[BenchResults], path: Path = DOC) -> None:
    generated = f"{BEGIN}\n{render(all_results)}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        text = before + generated + after
    else:
        text = text.rstrip() + "\n\n" + generated + "\n"
    path.write_text(text, encoding="utf-8")
