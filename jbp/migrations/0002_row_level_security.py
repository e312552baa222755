from django.db import migrations

from prm.db import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("jbp", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("Plan"),
        EnableRowLevelSecurity("Target"),
        EnableRowLevelSecurity("Investment"),
        EnableRowLevelSecurity("Activity"),
        EnableRowLevelSecurity("Comment"),
        EnableRowLevelSecurity("PlanVersion"),
        EnableRowLevelSecurity("Review"),
        EnableRowLevelSecurity("ActionItem"),
        EnableRowLevelSecurity("PlanExport"),
    ]
