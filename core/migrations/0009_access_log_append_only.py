"""The access log is append-only in the database (issue 14): a PostgreSQL trigger refuses every
UPDATE, and every DELETE except the retention job's erasure of rows past their retention.

The retention job (``core.access.erase_access_log_before``) sets the transaction-local setting
``senportal.access_log_erase`` to ``on``; even then a row less than a year old cannot be deleted,
so a session that sets the flag cannot wipe recent evidence. TRUNCATE is not a row operation and
is left to the table's owner (the production application role should not own it:
docs/security.md). SQLite has no trigger: see docs/security.md.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION core_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('senportal.access_log_erase', true), '') = 'on'
       AND OLD.at < now() - interval '1 year' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER core_accesslog_append_only
    BEFORE UPDATE OR DELETE ON core_accesslog
    FOR EACH ROW EXECUTE FUNCTION core_accesslog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS core_accesslog_append_only ON core_accesslog;
DROP FUNCTION IF EXISTS core_accesslog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # the % in RAISE is not a placeholder
    schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_access_log_security_events")]

    operations = [migrations.RunPython(forwards, backwards)]
