# specmerge CLI + HTTP service. The bundled chart, channels and schemas ship in /app and
# SPECMERGE_ROOT points there (relative chart paths in channel specs resolve against it).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY specmerge ./specmerge
COPY charts ./charts
COPY channels ./channels
COPY schemas ./schemas
RUN pip install --no-cache-dir . && useradd --uid 10001 --no-create-home specmerge
ENV SPECMERGE_ROOT=/app SPECMERGE_CACHE=/tmp/specmerge-cache
USER 10001
EXPOSE 8080
ENTRYPOINT ["specmerge"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
