FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    EENPLAN_ENVIRONMENT=production \
    EENPLAN_DATABASE_URL=sqlite:////data/eenplan.db

# Pango and fonts: WeasyPrint renders the PDF of the plan on the server.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 eenplan \
    && mkdir /data && chown eenplan /data

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir -e .

USER eenplan
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["sh", "-c", "eenplan migrate && eenplan serve --host 0.0.0.0 --port 8000"]
