# One image for web, worker, beat and the sandbox (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal ./portal
COPY orgs ./orgs
COPY idp_selfservice ./idp_selfservice
COPY sandbox ./sandbox
RUN pip install .
COPY . .
RUN PORTAL_ENV=development python manage.py collectstatic --noinput
RUN useradd --create-home portal && mkdir -p var && chown -R portal var
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
