"""PostgreSQL only: ``fuzzystrmatch`` for phonetic matching of children's names, and a trigram
index so that search finds a request by any part of its reference ("036242" for REQ-036242,
Django's ``icontains``, which compares ``UPPER("reference"::text)``: the index is on that).

Both extensions are trusted (PostgreSQL 13+), so a user with CREATE on the database can install
them. Where that is refused, this carries on as migration 0005 does for ``pg_trgm``: duplicate
detection uses the matcher in ``requests_app.matching`` on every database anyway, and search
still works, unindexed (docs/deployment.md §5 says how the owner installs them by hand).
"""

import logging
from typing import Any

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

REFERENCE_TRIGRAM = (
    "request_reference_trgm",
    "requests_app_assessmentrequest",
    'USING gin (UPPER(("reference")::text) gin_trgm_ops)',
)


def _extension(schema_editor: Any, name: str) -> bool:
    """Install ``name`` if it is not there; True if it is there afterwards."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name])
        if cursor.fetchone() is not None:
            return True
    try:
        # A savepoint, so a refusal does not abort the migration's transaction.
        with transaction.atomic(using=schema_editor.connection.alias), schema_editor.connection.cursor() as cursor:
            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
    except Exception as exc:  # noqa: BLE001 - any refusal: report and carry on without it
        logger.warning("%s not installed (%s)", name, exc)
        return False
    return True


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    _extension(schema_editor, "fuzzystrmatch")
    if _extension(schema_editor, "pg_trgm"):
        name, table, definition = REFERENCE_TRIGRAM
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition}')


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{REFERENCE_TRIGRAM[0]}"')


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0008_issue12_rules")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
