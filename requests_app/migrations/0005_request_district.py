"""The child's district on the request, and indexes for the queue's filters and search at national
size (docs/decisions/0007-district-on-request.md, docs/benchmarks.md findings 2 and 5).

1. ``AssessmentRequest.district``, filled from the child in one UPDATE (SQLite and PostgreSQL).
2. ``request_open_district_queue``: the open queue's order within one district (partial index).
3. PostgreSQL only: the search indexes. Trigram GIN indexes on the child's names (``pg_trgm``)
   serve ``UPPER(name) LIKE '%…%'`` (Django's ``icontains``); b-tree expression indexes serve the
   reference by prefix (``istartswith``) and the UPN exactly (``iexact``). Django's lookups
   compare ``UPPER("column"::text)``, so the indexes are on that very expression. SQLite has no
   such indexes and needs none at a county's size.
"""

import logging
from typing import Any

from django.db import migrations, models, transaction
from django.db.models import OuterRef, Subquery

logger = logging.getLogger(__name__)

OPEN = [
    "assessing",
    "awaiting_decision",
    "awaiting_issue_decision",
    "draft_issued",
    "drafting",
    "evaluating",
    "received",
]

# (name, table, definition). ``text_pattern_ops`` lets a b-tree answer LIKE 'prefix%' whatever
# the database's collation.
BTREE_INDEXES = [
    (
        "request_reference_upper",
        "requests_app_assessmentrequest",
        '(UPPER(("reference")::text) text_pattern_ops)',
    ),
    ("child_upn_upper", "requests_app_child", '(UPPER(("upn")::text))'),
]
TRIGRAM_INDEXES = [
    ("child_surname_trgm", "requests_app_child", 'USING gin (UPPER(("surname")::text) gin_trgm_ops)'),
    ("child_forename_trgm", "requests_app_child", 'USING gin (UPPER(("forename")::text) gin_trgm_ops)'),
]


def copy_district(apps: Any, schema_editor: Any) -> None:
    """One UPDATE: every request takes its child's district."""
    AssessmentRequest = apps.get_model("requests_app", "AssessmentRequest")
    Child = apps.get_model("requests_app", "Child")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # The new foreign key is DEFERRABLE INITIALLY DEFERRED: checked now, so no trigger events
        # are left pending for the CREATE INDEX that follows in this transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    AssessmentRequest.objects.using(schema_editor.connection.alias).update(
        district_id=Subquery(Child.objects.filter(pk=OuterRef("child_id")).values("district_id")[:1])
    )
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def create_search_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, definition in BTREE_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition}')
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        installed = cursor.fetchone() is not None
    if not installed:
        # pg_trgm is a trusted extension (PostgreSQL 13+): a user with CREATE on the database can
        # install it. Where that is not allowed, name search still works, unindexed; the
        # database owner can install it and create the two indexes by hand (docs/deployment.md
        # §5). Do not migrate back to re-run this: reversing 0005 drops the request's district.
        try:
            # A savepoint, so a refusal does not abort the migration's transaction.
            with transaction.atomic(using=schema_editor.connection.alias), schema_editor.connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # noqa: BLE001 - any refusal: report and carry on unindexed
            logger.warning("pg_trgm not installed (%s): name search will not be indexed", exc)
            return
    for name, table, definition in TRIGRAM_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition}')


def drop_search_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in BTREE_INDEXES + TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("requests_app", "0004_request_open_queue"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessmentrequest",
            name="district",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="requests",
                to="core.district",
            ),
        ),
        migrations.RunPython(copy_district, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="assessmentrequest",
            index=models.Index(
                condition=models.Q(("status__in", OPEN)),
                fields=["district", "next_deadline_on", "received_on", "id"],
                name="request_open_district_queue",
            ),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
