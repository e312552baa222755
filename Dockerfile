# PRM production image: gunicorn serves the web app; the same image runs the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango and fonts to render PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
    libfontconfig1 libfreetype6 libglib2.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 prm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY prm prm
COPY partners partners
COPY pipeline pipeline
COPY jbp jbp
COPY incentives incentives
COPY reporting reporting
RUN pip install .
COPY manage.py ./
COPY templates templates
COPY static static

# collectstatic needs settings that start with DEBUG off; the key here only builds the manifest.
RUN DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
 && mkdir -p /app/var /app/media && chown -R prm /app/var /app/media

USER prm
EXPOSE 8000
CMD ["gunicorn", "prm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
