# Image of the Overdue API, worker and `overdue` command line. The default
# command starts the API; docker-compose.yml runs the worker and the schema
# one-shot from the same image with other commands.

# Bookworm pins the Debian release, so the package names below stay valid.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Shared libraries that WeasyPrint loads at run time to render letters to PDF:
# Pango and PangoFT2 for text layout, HarfBuzz and its subsetter for shaping
# and font embedding, fontconfig to find fonts. DejaVu and Liberation
# (metric-compatible with Arial, Times New Roman and Courier New) are the fonts.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libfontconfig1 \
        fonts-dejavu-core \
        fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Install the runtime dependencies from pyproject.toml in their own layer, so
# a change to the source alone does not download them again. The test extras
# are left out.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# An editable install keeps the code in /app, where the `templates` folder is
# read from the source tree.
COPY . .
RUN pip install --no-deps --editable .

RUN useradd --create-home --uid 10001 --user-group overdue
USER overdue

EXPOSE 8000
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]
