from django.db import migrations

from prm.db import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("incentives", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("Fund"),
        EnableRowLevelSecurity("FundTier"),
        EnableRowLevelSecurity("Allocation"),
        EnableRowLevelSecurity("FundRequest"),
        EnableRowLevelSecurity("Claim"),
        EnableRowLevelSecurity("ClaimRegistration"),
        EnableRowLevelSecurity("ProofDocument"),
        EnableRowLevelSecurity("Payout"),
        EnableRowLevelSecurity("RebateProgram"),
        EnableRowLevelSecurity("RebateProgramTier"),
        EnableRowLevelSecurity("RebateBand"),
        EnableRowLevelSecurity("RebateAccrual"),
        EnableRowLevelSecurity("RebateStatement"),
    ]
