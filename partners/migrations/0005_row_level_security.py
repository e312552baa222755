from django.db import migrations

from prm.db import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_partner_profile")]

    operations = [
        EnableRowLevelSecurity("Tier"),
        EnableRowLevelSecurity("PartnerAttribute"),
        EnableRowLevelSecurity("PartnerStatusChange"),
        EnableRowLevelSecurity("Contact"),
        EnableRowLevelSecurity("Certification"),
        EnableRowLevelSecurity("PartnerNote"),
    ]
