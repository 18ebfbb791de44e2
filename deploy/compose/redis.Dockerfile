# Redis of the compose stack (deploy/docker-compose.yml), from Debian's
# redis-server: no registry image needed. Built by compose, or offline by
# deploy/build-images.sh stack (BASE_IMAGE = the debootstrap base).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server; \
    rm -rf /var/lib/apt/lists/*; \
    install -d -o redis -g redis -m 0750 /data
COPY redis-entrypoint.sh /usr/local/bin/redis-entrypoint
USER redis
WORKDIR /data
# The append-only file: the ledger when the backend is redis.
VOLUME ["/data"]
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]
