# syntax=docker/dockerfile:1
# The nsaas image: one image, three processes (`nsaas api`, `nsaas worker`, `nsaas ui`).
# Builder: uv installs the locked dependencies and the project (its wheel: no simulator, no dev kit) into /opt/venv.
# Final: the venv on a slim Python, no compilers, no uv, non-root (uid 10001), and nothing written
# outside /tmp, so it runs with readOnlyRootFilesystem and an emptyDir at /tmp.
#
# Base images are pinned by tag here; pin them by digest too before a release:
#   docker buildx imagetools inspect python:3.11.10-slim-bookworm --format '{{json .Manifest.Digest}}'
# and write FROM python:3.11.10-slim-bookworm@sha256:<digest> in both stages.
ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir "uv==0.13.8"
WORKDIR /src
# Dependencies first (cached layer while only the source changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="nsaas" \
      org.opencontainers.image.description="Self-service Namespace-as-a-Service for Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 nsaas \
 && useradd --system --uid 10001 --gid nsaas --no-create-home --home-dir /tmp --shell /usr/sbin/nologin nsaas
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NSAAS_DATA_DIR=/tmp/nsaas
USER 10001:10001
WORKDIR /tmp
EXPOSE 3000 8080 9090
ENTRYPOINT ["nsaas"]
CMD ["api", "--host", "0.0.0.0", "--port", "3000"]
