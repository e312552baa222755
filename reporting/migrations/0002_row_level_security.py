from django.db import migrations

from prm.db import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [EnableRowLevelSecurity("ReportExport")]
