"""Score snapshots name the fiscal quarter they measure; proposals can be withdrawn when their
reason no longer holds.

Existing snapshots take the period of their run (the quarter runs measured until now, the one
containing the run day: what those scores really covered). Row-level security binds the migrating
role too, so on PostgreSQL each tenant's rows are updated with that tenant set (as in 0002)."""

from django.db import migrations, models


def _backfill(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    snapshots = quote(apps.get_model("tiering", "ScoreSnapshot")._meta.db_table)
    runs = quote(apps.get_model("tiering", "ScoreRun")._meta.db_table)
    tenants = quote(apps.get_model("prm", "Tenant")._meta.db_table)
    sql = (
        f"UPDATE {snapshots} SET period_label = "  # noqa: S608 (names from the models)
        f"(SELECT r.period_label FROM {runs} r WHERE r.id = {snapshots}.run_id) WHERE period_label = ''"
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql)
            return
        cursor.execute(f"SELECT id FROM {tenants}")  # noqa: S608 (name from the model)
        for (tenant_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            cursor.execute(sql)
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("tiering", "0002_audit_events_name_tiering"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="period_label",
            field=models.CharField(
                blank=True,
                help_text="The fiscal quarter the score measures (FY2027-Q2): the last one finished before the run.",
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="tierchangeproposal",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("superseded", "Superseded"),
                    ("withdrawn", "Withdrawn (its reason no longer holds)"),
                ],
                default="pending",
                max_length=12,
            ),
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
    ]
