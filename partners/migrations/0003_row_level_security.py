from django.db import migrations

from prm.db import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_initial")]

    operations = [EnableRowLevelSecurity("Partner")]
