# Headwater in a container: `docker build -t headwater .` then
# `docker run --rm -p 4566:4566 -v headwater-data:/data headwater` (see README.md and docker-compose.yml).
FROM python:3.11-slim

# The files `pip install .` needs (tests/test_packaging.py builds the wheel from exactly these).
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY headwater ./headwater
RUN pip install --no-cache-dir . && rm -rf /src

# An unprivileged user owns the data volume (a bind mount must be writable by uid 10001).
RUN useradd --system --uid 10001 --home-dir /data headwater && mkdir /data && chown headwater /data
USER headwater
WORKDIR /data
VOLUME /data

# Every flag has a HEADWATER_* variable: `docker run -e HEADWATER_LOG_LEVEL=debug ...`.
ENV HEADWATER_HOST=0.0.0.0 \
    HEADWATER_PORT=4566 \
    HEADWATER_DATA_DIR=/data
EXPOSE 4566

# The slim image has no curl: Python asks the health route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4566/_headwater/health', timeout=2)"]

CMD ["headwater", "serve", "--host", "0.0.0.0", "--data-dir", "/data"]
