"""CSV import of partners and of contacts: read the file, preview every row, apply all or some.

Upload → ``import_start`` checks the file (size, encoding, header, row count) and queues
``validate_import``; the task runs every row through the same services that apply it
(``partner_create``/``partner_update``/``partner_change_status``, ``contact_create``/
``contact_update``), each row in its own savepoint, and rolls the whole pass back: the preview
is what applying would do, row by row, by construction. ``import_apply`` then queues
``apply_import``, which makes the same pass for real in one transaction: in all-or-nothing mode
any refused row rolls everything back; in valid-rows-only mode refused rows are skipped.

Partners are matched on their primary domain; contacts on their partner's domain plus their
e-mail address. Columns missing from the file leave existing values alone; an empty cell
clears the value (multi-valued columns take ``;``-separated vocabulary keys).

Why Python's ``csv`` module and not django-import-export: that library's ``Resource`` loads
and saves model instances itself (``import_instance``/``save_instance``) and is built around
the admin. Here every write must go through our services (permission check, ``full_clean``,
the domain and people rules, attribute rows, audit events), multi-valued attributes live in
``PartnerAttribute`` rows, contacts are keyed through another table (partner domain), and the
job needs Celery progress and an all-or-nothing/valid-rows-only choice. Overriding the
resource until it only calls our services would leave the library doing little more than
``csv.reader`` does, while adding a dependency.
"""

from .csvfile import (
    COLUMNS,
    CONTACT_COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    PARTNER_COLUMNS,
    Column,
    ImportFileError,
    ParsedFile,
    column_docs,
    read_csv,
    template_csv,
)
from .jobs import (
    IMPORT_TIME_LIMIT,
    JobFailed,
    access_import_job,
    import_apply,
    import_jobs,
    import_run_apply,
    import_start,
    import_validate,
    is_stalled,
    progress_of,
    publish_progress,
)

__all__ = [
    "COLUMNS",
    "CONTACT_COLUMNS",
    "IMPORT_TIME_LIMIT",
    "MAX_BYTES",
    "MAX_ROWS",
    "PARTNER_COLUMNS",
    "Column",
    "ImportFileError",
    "JobFailed",
    "ParsedFile",
    "access_import_job",
    "column_docs",
    "import_apply",
    "import_jobs",
    "import_run_apply",
    "import_start",
    "import_validate",
    "is_stalled",
    "progress_of",
    "publish_progress",
    "read_csv",
    "template_csv",
]
