from django.db import migrations

from prm.db import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("prm", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("AuditEvent"),
        EnableRowLevelSecurity("ApiKey"),
        EnableRowLevelSecurity("Invitation"),
    ]
