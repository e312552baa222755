import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
application = get_wsgi_application()

# Several gunicorn workers with a per-process cache would serve stale figures: refuse to start.
from prm.checks import refuse_unshared_cache  # noqa: E402 (needs the settings loaded above)

refuse_unshared_cache()
