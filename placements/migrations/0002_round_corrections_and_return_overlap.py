"""Negotiation rounds can be corrected (``version``; a ``round_corrected`` event) and list in
date order; on PostgreSQL, no two attendance returns of a contract may share a day.

The overlap rule is an exclusion constraint over the inclusive date range of each return,
per contract, which needs the ``btree_gist`` extension (for ``contract_id WITH =`` in a GiST
index). ``btree_gist`` is a trusted extension (PostgreSQL 13+): the database owner can create
it. Where that is refused the migration carries on without the constraint and says so; the
service still refuses overlaps under the contract's row lock. SQLite has neither: the service
is the only guard there.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import migrations, models, transaction

logger = logging.getLogger(__name__)

CONSTRAINT = "attendance_returns_do_not_overlap"


def add_overlap_constraint(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        # A savepoint, so a refusal does not abort the migration's transaction.
        with transaction.atomic(using=schema_editor.connection.alias), schema_editor.connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    except Exception as exc:  # noqa: BLE001 - any refusal: report and rely on the service's check
        logger.warning("btree_gist not installed (%s): overlapping returns are refused by the service only", exc)
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias), schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f'ALTER TABLE "placements_attendancereturn" ADD CONSTRAINT "{CONSTRAINT}" '
                "EXCLUDE USING gist (contract_id WITH =, daterange(period_start, period_end, '[]') WITH &&)"
            )
    except Exception as exc:  # noqa: BLE001 - returns already on file overlap: report, do not block
        logger.warning("%s not added (%s): find and correct the overlapping returns, then add it", CONSTRAINT, exc)


def drop_overlap_constraint(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "placements_attendancereturn" DROP CONSTRAINT IF EXISTS "{CONSTRAINT}"')


class Migration(migrations.Migration):

    dependencies = [
        ('placements', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='negotiationround',
            options={'ordering': ['contract', 'on', 'round_no']},
        ),
        migrations.RemoveConstraint(
            model_name='placementevent',
            name='placement_event_action_valid',
        ),
        migrations.AddField(
            model_name='negotiationround',
            name='version',
            field=models.PositiveSmallIntegerField(default=1, help_text='1, then one more for each correction'),
        ),
        migrations.AlterField(
            model_name='placementevent',
            name='action',
            field=models.CharField(choices=[('provider_created', 'Provider added'), ('provider_updated', 'Provider updated'), ('contract_created', 'Contract drafted'), ('start_negotiation', 'Negotiation started'), ('agree', 'Fees agreed; placement active'), ('end', 'Placement ended'), ('reopen_negotiation', 'Negotiation reopened for the annual fee review'), ('cost_line_added', 'Cost line added'), ('cost_line_updated', 'Cost line updated'), ('round_recorded', 'Negotiation round recorded'), ('round_corrected', 'Negotiation round corrected'), ('penalty_clause_set', 'Attendance penalty clause set'), ('return_submitted', 'Attendance return submitted'), ('return_corrected', 'Corrected attendance return submitted'), ('deduction_reset', 'Decided deduction recomputed and reset to pending'), ('deduction_confirmed', 'Deduction confirmed'), ('deduction_waived', 'Deduction waived')], max_length=30),
        ),
        migrations.AddConstraint(
            model_name='placementevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['provider_created', 'provider_updated', 'contract_created', 'start_negotiation', 'agree', 'end', 'reopen_negotiation', 'cost_line_added', 'cost_line_updated', 'round_recorded', 'round_corrected', 'penalty_clause_set', 'return_submitted', 'return_corrected', 'deduction_reset', 'deduction_confirmed', 'deduction_waived'])), name='placement_event_action_valid'),
        ),
        migrations.RunPython(add_overlap_constraint, drop_overlap_constraint),
    ]
