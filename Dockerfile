# The Otklik image: one image for the api and the worker (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models ./models
COPY hub ./hub
COPY connectors ./connectors
COPY nlu ./nlu
COPY dialogs ./dialogs
COPY bots ./bots
COPY api ./api
RUN pip install . && useradd --system --uid 10001 otklik && mkdir -p /app/var && chown otklik /app/var
USER otklik
EXPOSE 8000
CMD ["otklik", "serve"]
