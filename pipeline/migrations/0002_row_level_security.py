from django.db import migrations

from prm.db import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("Account"),
        EnableRowLevelSecurity("DealRegistration"),
        EnableRowLevelSecurity("DealStatusChange"),
        EnableRowLevelSecurity("VendorOpportunity"),
        EnableRowLevelSecurity("RevenueRecord"),
        EnableRowLevelSecurity("DealConflict"),
    ]
