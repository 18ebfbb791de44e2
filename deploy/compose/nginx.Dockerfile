# nginx of the compose stack (deploy/docker-compose.yml), from Debian's
# nginx package: no registry image needed. Runs as www-data (it listens on
# 8080, no privilege needed) with a read-only root: every temporary file is
# under /tmp (deploy/nginx.conf). Built by compose, or offline by
# deploy/build-images.sh stack (BASE_IMAGE = the debootstrap base).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx; \
    rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/*
USER www-data
EXPOSE 8080
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/usr/sbin/nginx", "-e", "stderr", "-g", "daemon off;"]
