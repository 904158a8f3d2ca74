# specmerge CLI + HTTP service, installed from the same wheel `pip wheel .` builds anywhere: the wheel
# carries the bundled charts/, channels/, schemas/ and deploy/crds/ (setup.py), so no SPECMERGE_ROOT is needed.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md constraints.txt ./
COPY specmerge ./specmerge
COPY charts ./charts
COPY channels ./channels
COPY schemas ./schemas
COPY deploy/crds ./deploy/crds
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
COPY --from=build /dist /dist
COPY --from=build /src/constraints.txt /dist/constraints.txt
# the versions CI tested (constraints.txt, refreshed by scripts/lock)
RUN pip install --no-cache-dir -c /dist/constraints.txt /dist/specmerge-*.whl && rm -rf /dist \
    && useradd --uid 10001 --no-create-home specmerge
ENV SPECMERGE_CACHE=/tmp/specmerge-cache
# A command run in the container (kubectl exec ... specmerge render) runs alone: no resident
# daemon left behind in a pod (README "A resident daemon").
ENV SPECMERGE_DAEMON=off
USER 10001
EXPOSE 8080
ENTRYPOINT ["specmerge"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
