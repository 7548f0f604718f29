"""API tokens move to django-rest-knox (expiring, stored as a digest; issue 14).

DRF's own tokens (``rest_framework.authtoken``) never expired and were stored in plain text; the
app is no longer installed, so they stop working at once. This migration deletes their table
where it exists, so no live credential is left behind. Integrations make a new token on their
account page (or ``POST /api/tokens/``) and send it as ``Authorization: Bearer <token>``.
"""

from django.db import migrations

DROP_DRF_TOKENS = "DROP TABLE IF EXISTS authtoken_token"


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_access_log_append_only"),
    ]

    operations = [migrations.RunSQL(DROP_DRF_TOKENS, reverse_sql=migrations.RunSQL.noop)]
