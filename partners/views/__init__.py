"""Staff pages for partners, split by sub-domain: the directory and export, one partner's page
and its edits, contacts and certifications, and CSV imports."""
