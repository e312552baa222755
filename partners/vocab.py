"""The words partners are described with: one list per dimension, shared by forms, filters,
imports and the API. Values are stable keys; labels are what people read."""

from django.db import models


class PartnerType(models.TextChoices):
    RESELLER = "reseller", "Reseller"
    REFERRAL = "referral", "Referral"
    SYSTEM_INTEGRATOR = "system_integrator", "System integrator"
    ISV = "isv", "ISV / technology"
    MSP = "msp", "Managed service provider"
    ADVISOR = "advisor", "Influencer / advisor"


class Motion(models.TextChoices):
    CO_SELL = "co_sell", "Co-sell"
    CO_MARKET = "co_market", "Co-market"
    IMPLEMENT = "implement", "Implement"
    INTEGRATE = "integrate", "Integrate"
    INFLUENCE = "influence", "Influence"


class Region(models.TextChoices):
    NORTH_AMERICA = "north_america", "North America"
    LATAM = "latam", "Latin America"
    UK_IRELAND = "uk_ireland", "UK & Ireland"
    DACH = "dach", "DACH"
    NORDICS = "nordics", "Nordics"
    SOUTHERN_EUROPE = "southern_europe", "Southern Europe"
    BENELUX_FRANCE = "benelux_france", "Benelux & France"
    CEE = "cee", "Central & Eastern Europe"
    MIDDLE_EAST_AFRICA = "mea", "Middle East & Africa"
    INDIA = "india", "India"
    APAC = "apac", "Asia Pacific"
    JAPAN = "japan", "Japan"
    ANZ = "anz", "Australia & New Zealand"


class Vertical(models.TextChoices):
    FINANCIAL_SERVICES = "financial_services", "Financial services"
    HEALTHCARE = "healthcare", "Healthcare & life sciences"
    MANUFACTURING = "manufacturing", "Manufacturing"
    RETAIL = "retail", "Retail & consumer goods"
    PUBLIC_SECTOR = "public_sector", "Public sector"
    EDUCATION = "education", "Education"
    TECHNOLOGY = "technology", "Technology & software"
    TELECOM = "telecom", "Telecommunications & media"
    ENERGY = "energy", "Energy & utilities"
    LOGISTICS = "logistics", "Transport & logistics"
    PROFESSIONAL_SERVICES = "professional_services", "Professional services"


class Segment(models.TextChoices):
    SMB = "smb", "SMB"
    MID_MARKET = "mid_market", "Mid-market"
    ENTERPRISE = "enterprise", "Enterprise"


class CompanySize(models.TextChoices):
    MICRO = "1-10", "1–10 employees"
    SMALL = "11-50", "11–50 employees"
    MEDIUM = "51-200", "51–200 employees"
    LARGE = "201-1000", "201–1,000 employees"
    XLARGE = "1001-5000", "1,001–5,000 employees"
    HUGE = "5001+", "5,001+ employees"


class AgreementType(models.TextChoices):
    STANDARD = "standard", "Standard program terms"
    CUSTOM = "custom", "Custom agreement / addendum"


class ContactRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"
    TECHNICAL = "technical", "Technical"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"


class Classification(models.TextChoices):
    STRATEGIC = "strategic", "Strategic"
    TACTICAL = "tactical", "Tactical"
