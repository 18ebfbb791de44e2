# Prometheus of the compose stack (deploy/docker-compose.yml), from Debian's
# prometheus package: no registry image needed. Built by compose, or offline
# by deploy/build-images.sh stack (BASE_IMAGE = the debootstrap base).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; \
    rm -rf /var/lib/apt/lists/*; \
    # 212 MB of time-zone sources the web UI never loads (it loads
    # moment-timezone-with-data.min.js, next to them)
    rm -rf /usr/share/javascript/moment-timezone/data; \
    install -d -o prometheus -g prometheus -m 0750 /prometheus
USER prometheus
WORKDIR /prometheus
VOLUME ["/prometheus"]
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
