"""Audit events about tiering's rows were recorded as ``partners.<model>`` while tiering lived in
partners; new ones say ``tiering.<model>``. Rename the old ones, so the audit log and its API filter
on ``target_type`` know one name per kind of row.

Row-level security binds the migrating role too (the tables FORCE it), so on PostgreSQL each
tenant's events are renamed with that tenant set, as the app itself would write them."""

from django.db import migrations

MOVED = [
    "balancealert",
    "criterion",
    "manualrating",
    "portfolioreview",
    "reviewdecision",
    "scorecard",
    "scorerun",
    "scoresnapshot",
    "tierchange",
    "tierchangeproposal",
    "tieringsettings",
]


def _rename(apps, schema_editor, old_app: str, new_app: str) -> None:
    connection = schema_editor.connection
    events = connection.ops.quote_name(apps.get_model("prm", "AuditEvent")._meta.db_table)
    tenants = connection.ops.quote_name(apps.get_model("prm", "Tenant")._meta.db_table)
    pairs = [(f"{new_app}.{model}", f"{old_app}.{model}") for model in MOVED]
    sql = f"UPDATE {events} SET target_type = %s WHERE target_type = %s"  # noqa: S608 (names from the models)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, pairs)
            return
        cursor.execute(f"SELECT id FROM {tenants}")  # noqa: S608 (name from the model)
        for (tenant_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            cursor.executemany(sql, pairs)
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, "partners", "tiering")


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, "tiering", "partners")


class Migration(migrations.Migration):
    dependencies = [
        ("tiering", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
