"""``python manage.py benchmark``: time the queue, the record, the reports and the import at
national size and write docs/benchmarks.md (``make bench`` runs it; see demo.bench).

Against the database in DATABASE_URL, which must be PostgreSQL (``make bench`` points it at
BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/senportal_bench). With
``--prepare`` it first creates that database if missing, migrates it and, if it holds no
national data, loads it with ``seed_national --scale <scale>``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings

from demo import bench, national


class Command(BaseCommand):
    help = "Benchmark the queue, record, reports and import on PostgreSQL; write docs/benchmarks.md."
    requires_system_checks: list[str] = []  # the database may not exist yet (--prepare creates it)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=30, help="timed runs per page or API call (default 30)")
        parser.add_argument("--warmup", type=int, default=3, help="warm-up runs before timing (default 3)")
        parser.add_argument(
            "--prepare",
            action="store_true",
            help="create and migrate the database if needed, and load it with seed_national if it is empty",
        )
        parser.add_argument("--scale", choices=sorted(national.SCALES), default="national")
        parser.add_argument("--requests", type=int, help="with --prepare: load this many requests instead")
        parser.add_argument(
            "--heavy-runs", type=int, default=5, help="timed runs of each report job (default 5, after 1 warm-up)"
        )
        parser.add_argument(
            "--only",
            help="comma-separated parts to run again (pages, reports, import, memory); the rest of this size's "
            "saved results are kept",
        )
        parser.add_argument("--skip-import", action="store_true", help="skip the import throughput run")
        parser.add_argument("--skip-memory", action="store_true", help="skip the metrics job's memory probe")
        parser.add_argument("--skip-all-months", action="store_true", help="skip the 120-month metrics job")
        parser.add_argument("--all-months", type=int, default=120, help="months in the long metrics run (120)")
        parser.add_argument(
            "--memory-months", type=int, default=12, help="months the memory probe computes (default 12)"
        )
        parser.add_argument(
            "--no-tune", action="store_true", help="leave the database's settings (default: jit off, SSD costs)"
        )
        parser.add_argument("--no-doc", action="store_true", help="save the results but leave docs/benchmarks.md")
        parser.add_argument("--memory-probe", nargs=2, metavar=("FROM", "TO"), help=("internal: see bench.py"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["memory_probe"]:
            first, last = (date.fromisoformat(f"{value}-01") for value in options["memory_probe"])
            self.stdout.write(f"maxrss_kb={bench.memory_probe(first, last)}")
            return
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL. Set DATABASE_URL (make bench uses BENCH_DATABASE_URL, default "
                "postgres://postgres@127.0.0.1:5432/senportal_bench)."
            )
        if options["prepare"]:
            self._prepare(options)
        if not national.data_present()["national_requests"]:
            raise CommandError(
                "This database holds no national data. Load it first: python manage.py seed_national --scale national "
                "(or run the benchmark with --prepare)."
            )
        self.stdout.write(f"Benchmarking {connection.settings_dict['NAME']} ({options['runs']} runs per call)")
        # The test client signs in and renders like a browser would; static files unhashed, as in tests.
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(STORAGES=storages, ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
            results = bench.run(
                runs=options["runs"],
                warmup=options["warmup"],
                skip_import=options["skip_import"],
                skip_memory=options["skip_memory"],
                skip_all_months=options["skip_all_months"],
                all_months=options["all_months"],
                memory_months=options["memory_months"],
                tune=not options["no_tune"],
                heavy_runs=options["heavy_runs"],
                sections=self._sections(options["only"]),
                log=self.stdout.write,
            )
        path = bench.save(results)
        self.stdout.write(f"Results saved to {path.relative_to(bench.BASE_DIR)}")
        if not options["no_doc"]:
            bench.write_doc(bench.load_all())
            self.stdout.write(f"Updated {bench.DOC.relative_to(bench.BASE_DIR)}")

    def _sections(self, only: str | None) -> frozenset[str]:
        if not only:
            return bench.SECTIONS
        sections = frozenset(part.strip() for part in only.split(",") if part.strip())
        unknown = sections - bench.SECTIONS
        if unknown:
            raise CommandError(f"--only takes {', '.join(sorted(bench.SECTIONS))}, not {', '.join(sorted(unknown))}")
        return sections

    def _prepare(self, options: dict[str, Any]) -> None:
        url = bench._database_url()
        if bench.ensure_database(url):
            self.stdout.write(f"Created the database {connection.settings_dict['NAME']}")
        call_command("migrate", "--noinput", verbosity=0)
        if national.data_present()["national_requests"]:
            return
        seed_args = ["--requests", str(options["requests"])] if options["requests"] else ["--scale", options["scale"]]
        call_command("seed_national", *seed_args, stdout=self.stdout)
