{{/*
Names and labels (the `helm create` scaffold).
*/}}
{{- define "antirelou.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "antirelou.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "antirelou.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "antirelou.labels" -}}
helm.sh/chart: {{ include "antirelou.chart" . }}
{{ include "antirelou.selectorLabels" . }}
app.kubernetes.io/version: {{ (.Values.image.tag | default .Chart.AppVersion) | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: antirelou
{{- end }}

{{- define "antirelou.selectorLabels" -}}
app.kubernetes.io/name: {{ include "antirelou.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/* The `helm test` pod (networkPolicy.allowHelmTest lets it in). */}}
{{- define "antirelou.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "antirelou.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
{{- end }}

{{- define "antirelou.testLabels" -}}
helm.sh/chart: {{ include "antirelou.chart" . }}
{{ include "antirelou.testSelectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: antirelou
{{- end }}

{{- define "antirelou.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "antirelou.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "antirelou.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The Secret whose keys become the pod's environment (envFrom). */}}
{{- define "antirelou.secretName" -}}
{{- .Values.existingSecret | default (include "antirelou.fullname" .) }}
{{- end }}

{{/*
The chart's own Redis (redis.enabled).
*/}}
{{- define "antirelou.redis.fullname" -}}
{{- printf "%s-redis" (include "antirelou.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "antirelou.redis.labels" -}}
helm.sh/chart: {{ include "antirelou.chart" . }}
{{ include "antirelou.redis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.redis.image.tag | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: antirelou
{{- end }}

{{- define "antirelou.redis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "antirelou.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end }}

{{- define "antirelou.redis.secretName" -}}
{{- .Values.redis.auth.existingSecret | default (include "antirelou.redis.fullname" .) }}
{{- end }}

{{/*
The Redis password of the chart's own Redis (without existingSecret): the
value, else the one already stored in the cluster's Secret (so every later
render, upgrade or rollback keeps it), else a new random one, generated only
when the cluster is reachable: `helm template` and Argo CD render without a
cluster, where a new password at each render would lock antirelou out of its
Redis, so there the chart refuses to render.
*/}}
{{- define "antirelou.redis.password" -}}
{{- /* Contradictory values first: their message is the one to read. */}}
{{- include "antirelou.validate" . }}
{{- if .Values.redis.auth.password }}
{{- .Values.redis.auth.password }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "antirelou.redis.fullname" .) }}
{{- if and $existing $existing.data (index $existing.data "redis-password") }}
{{- index $existing.data "redis-password" | b64dec }}
{{- else if lookup "v1" "Namespace" "" "kube-system" }}
{{- randAlphaNum 32 }}
{{- else }}
{{- fail "redis.auth: no cluster to keep a generated Redis password in (helm template, Argo CD, --dry-run): each render would make a new one and lock antirelou out of its Redis. Set redis.auth.existingSecret to a Secret with the key redis-password (kubectl create secret generic NAME --from-literal=redis-password=\"$(openssl rand -hex 24)\"), or redis.auth.password." }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Rolls antirelou's and Redis's pods together when the Redis credentials
change: both carry it as an annotation.
*/}}
{{- define "antirelou.redis.checksum" -}}
{{- if .Values.redis.enabled }}
{{- $auth := "" }}
{{- if and .Values.redis.auth.enabled .Values.redis.auth.existingSecret }}
{{- $auth = printf "existingSecret:%s" .Values.redis.auth.existingSecret }}
{{- else if .Values.redis.auth.enabled }}
{{- $auth = include "antirelou.redis.password" . }}
{{- end }}
{{- printf "%s|%d|%s" $auth (int .Values.redis.port) (include "antirelou.redis.maxmemoryBytes" .) | sha256sum }}
{{- end }}
{{- end }}

{{/* redis.resources.limits.memory in bytes. */}}
{{- define "antirelou.redis.limitBytes" -}}
{{- $q := toString .Values.redis.resources.limits.memory }}
{{- $unit := regexFind "[A-Za-z]+$" $q }}
{{- $scale := dict "" 1 "K" 1000 "M" 1000000 "G" 1000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 }}
{{- if not (hasKey $scale $unit) }}
{{- fail (printf "redis.resources.limits.memory=%q: write it in Ki, Mi, Gi, K, M or G" $q) }}
{{- end }}
{{- mul (trimSuffix $unit $q | int64) (index $scale $unit) }}
{{- end }}

{{/* Redis's maxmemory: redis.maxmemoryPercent of the container limit. */}}
{{- define "antirelou.redis.maxmemoryBytes" -}}
{{- div (mul (include "antirelou.redis.limitBytes" . | int64) (int64 .Values.redis.maxmemoryPercent)) 100 }}
{{- end }}

{{/*
How Prometheus labels this release's series (monitoring.job,
monitoring.namespace), for the alert rules and the dashboards.
*/}}
{{- define "antirelou.monitoring.job" -}}
{{- .Values.monitoring.job | default (include "antirelou.fullname" .) }}
{{- end }}

{{- define "antirelou.monitoring.namespace" -}}
{{- .Values.monitoring.namespace | default .Release.Namespace }}
{{- end }}

{{/* The pods of this release, as kube-state-metrics names them. */}}
{{- define "antirelou.monitoring.podRegex" -}}
{{- $name := include "antirelou.fullname" . }}
{{- printf "%s-[a-z0-9]+-[a-z0-9]+|%s-redis-[0-9]+" $name $name }}
{{- end }}

{{- define "antirelou.runbookUrl" -}}
{{- .Values.prometheusRule.runbookUrl | default (printf "%s/blob/v%s/docs/operations.md" .Chart.Home .Chart.AppVersion) }}
{{- end }}

{{/* The Redis URL written in the TOML (never holds a password). */}}
{{- define "antirelou.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s:%d/0" (include "antirelou.redis.fullname" .) (int .Values.redis.port) }}
{{- else }}
{{- .Values.ledger.redisUrl }}
{{- end }}
{{- end }}

{{/*
Refuse values that would deploy something broken. Every message says what to
change.
*/}}
{{- define "antirelou.validate" -}}
{{- $backend := .Values.ledger.backend }}
{{- if not (has $backend (list "embedded" "redis")) }}
{{- fail (printf "ledger.backend must be \"embedded\" or \"redis\", not %q" $backend) }}
{{- end }}
{{- if eq $backend "embedded" }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "ledger.backend=embedded keeps the ledger in one SQLite file on one volume: it runs exactly one replica, but replicaCount=%d. Set replicaCount=1, or use ledger.backend=redis (with redis.enabled=true or ledger.redisUrl) to run several replicas." (int .Values.replicaCount)) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- fail "ledger.backend=embedded keeps the ledger in one SQLite file on one volume: it runs exactly one replica, so autoscaling.enabled must be false. Use ledger.backend=redis to autoscale." }}
{{- end }}
{{- if not .Values.persistence.enabled }}
{{- fail "ledger.backend=embedded needs persistence.enabled=true: the SQLite file is the record of every reply paid for and of every cap; on an emptyDir it would vanish with the pod and the caps would start again from zero." }}
{{- end }}
{{- if .Values.redis.enabled }}
{{- fail "redis.enabled=true deploys a Redis that ledger.backend=embedded would not use: set ledger.backend=redis, or redis.enabled=false." }}
{{- end }}
{{- end }}
{{- if eq $backend "redis" }}
{{- $sentinels := .Values.ledger.redisSentinels | default list }}
{{- if and (not .Values.redis.enabled) (not .Values.ledger.redisUrl) (not .Values.ledger.redisUrlSecret.name) (not $sentinels) }}
{{- fail "ledger.backend=redis needs a Redis: set redis.enabled=true to deploy the chart's own, or ledger.redisUrl (or ledger.redisUrlSecret, or ledger.redisSentinels) for an external one." }}
{{- end }}
{{- if and $sentinels (or .Values.redis.enabled .Values.ledger.redisUrl .Values.ledger.redisUrlSecret.name) }}
{{- fail "ledger.redisSentinels finds an external Redis master through Sentinel: set it alone, without redis.enabled, ledger.redisUrl or ledger.redisUrlSecret." }}
{{- end }}
{{- if and $sentinels (not .Values.ledger.redisMasterName) }}
{{- fail "ledger.redisSentinels needs ledger.redisMasterName: the master's name in the Sentinels' configuration (sentinel monitor NAME ...)." }}
{{- end }}
{{- if and .Values.redis.enabled (or .Values.ledger.redisUrl .Values.ledger.redisUrlSecret.name) }}
{{- fail "set either redis.enabled=true (the chart's own Redis) or ledger.redisUrl/ledger.redisUrlSecret (an external Redis), not both." }}
{{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "autoscaling.maxReplicas must be >= autoscaling.minReplicas." }}
{{- end }}
{{- $shutdown := 30 }}
{{- with .Values.config.server }}{{ with .shutdown_timeout_seconds }}{{ $shutdown = int . }}{{ end }}{{ end }}
{{- /* antirelou waits up to 10 s for the ledger flush after the server stopped. */}}
{{- $flush := 10 }}
{{- $needed := add (int .Values.preStopSleepSeconds) $shutdown $flush }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds=%d is too short: a pod sleeps preStopSleepSeconds=%d, then finishes in-flight webhooks for up to config.server.shutdown_timeout_seconds=%d, then flushes the ledger for up to %d s; set it above %d (e.g. %d)." (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSleepSeconds) $shutdown $flush (int $needed) (add $needed 5)) }}
{{- end }}
{{- $ports := list (int .Values.ports.http) (int .Values.ports.admin) (int .Values.ports.metrics) }}
{{- if ne (len ($ports | uniq)) 3 }}
{{- fail (printf "ports.http, ports.admin and ports.metrics must differ (%v): each has its own NetworkPolicy rule." $ports) }}
{{- end }}
{{- if .Values.redis.enabled }}
{{- $limit := include "antirelou.redis.limitBytes" . | int64 }}
{{- if lt $limit 67108864 }}
{{- fail (printf "redis.resources.limits.memory=%s is below 64Mi: too small for the ledger's Redis and its AOF rewrite." (toString .Values.redis.resources.limits.memory)) }}
{{- end }}
{{- end }}
{{- include "antirelou.validateKeys" . }}
{{- if not (kindIs "map" .Values.config) }}
{{- fail "config must be a map shaped like antirelou.toml (server, ledger, privacy, log, tenants)." }}
{{- end }}
{{- end }}

{{/*
The privacy keys (sender_key, sealing_key) must be at least 32 bytes with 8
distinct characters; the binary refuses shorter ones at start. Where the
chart holds the value (`secrets`, or a literal in config), check it here so
that a weak key fails the render, not the pod.
*/}}
{{- define "antirelou.validateKeys" -}}
{{- $privacy := dig "privacy" dict (.Values.config | default dict) }}
{{- range $key := list "sender_key" "sealing_key" }}
{{- $node := index $privacy $key }}
{{- if not $node }}
{{- fail (printf "config.privacy.%s is required: a secret of at least 32 bytes, e.g. {env: ANTIRELOU_%s} with the value in secrets or existingSecret." $key (upper $key)) }}
{{- end }}
{{- $value := "" }}
{{- $where := printf "config.privacy.%s" $key }}
{{- if kindIs "string" $node }}
{{- $value = $node }}
{{- else if and (kindIs "map" $node) $node.env (not $.Values.existingSecret) (hasKey ($.Values.secrets | default dict) $node.env) }}
{{- $value = toString (index $.Values.secrets $node.env) }}
{{- $where = printf "secrets.%s (config.privacy.%s)" $node.env $key }}
{{- else }}
{{- $value = "" }}
{{- $where = "" }}
{{- end }}
{{- if $where }}
{{- if lt (len $value) 32 }}
{{- fail (printf "%s is %d bytes: it must be at least 32 (e.g. openssl rand -hex 32)." $where (len $value)) }}
{{- end }}
{{- if lt (len (splitList "" $value | uniq)) 8 }}
{{- fail (printf "%s has fewer than 8 distinct characters: use a random value (openssl rand -hex 32)." $where) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The settings the chart owns because they follow from how it deploys the
pods: the listen addresses (the container ports; console_listen with the
console ingress), the ledger backend, where the
SQLite file lives, which Redis to use. They override the same keys in
.Values.config.
*/}}
{{- define "antirelou.settings" -}}
{{- $cfg := deepCopy (.Values.config | default dict) }}
{{- $server := dict "listen" (printf "0.0.0.0:%d" (int .Values.ports.http)) "admin_listen" (printf "0.0.0.0:%d" (int .Values.ports.admin)) "metrics_listen" (printf "0.0.0.0:%d" (int .Values.ports.metrics)) }}
{{- if .Values.consoleIngress.enabled }}
{{- $_ := set $server "console_listen" (printf "0.0.0.0:%d" (int .Values.ports.console)) }}
{{- end }}
{{- if and .Values.ingress.enabled (not (dig "server" "public_url" "" $cfg)) }}
{{- with (first .Values.ingress.hosts) }}
{{- $_ := set $server "public_url" (printf "https://%s" .host) }}
{{- end }}
{{- end }}
{{- $ledger := dict "backend" .Values.ledger.backend }}
{{- if eq .Values.ledger.backend "embedded" }}
{{- $_ := set $ledger "path" (printf "%s/ledger.sqlite3" .Values.dataDir) }}
{{- else }}
{{- $url := include "antirelou.redisUrl" . }}
{{- if $url }}{{ $_ := set $ledger "redis_url" $url }}{{ end }}
{{- with .Values.ledger.redisSentinels }}
{{- $_ := set $ledger "redis_sentinels" . }}
{{- $_ := set $ledger "redis_master_name" $.Values.ledger.redisMasterName }}
{{- end }}
{{- end }}
{{- $_ := mergeOverwrite $cfg (dict "server" $server "ledger" $ledger) }}
{{- toJson $cfg }}
{{- end }}

{{/*
TOML rendering. Helm's own toToml writes every number of values.yaml as a
float (`30.0`) and every nested map as a sub-table; these helpers write
integers as integers, nested maps as inline tables (`shield = { ... }`,
`auth_token = { env = "X" }`), lists of maps as arrays of tables
(`[[tenants]]`, `[[tenants.numbers]]`) and strings with JSON escapes, which
TOML basic strings share. Keys are sorted, so the output is stable.
*/}}
{{/* Keys sorted, with the identifying ones first (id, number, kind). */}}
{{- define "antirelou.toml.sortedKeys" -}}
{{- $all := keys . | sortAlpha }}
{{- $first := list }}
{{- range (list "id" "number" "kind" "backend") }}{{ if has . $all }}{{ $first = append $first . }}{{ end }}{{ end }}
{{- concat $first (without $all "id" "number" "kind" "backend") | toJson }}
{{- end }}

{{- define "antirelou.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . }}{{ . }}{{ else }}{{ toJson . }}{{ end }}
{{- end }}

{{- define "antirelou.toml.isTableArray" -}}
{{- if and (kindIs "slice" .) (gt (len .) 0) }}
{{- $all := true }}
{{- range . }}{{ if not (kindIs "map" .) }}{{ $all = false }}{{ end }}{{ end }}
{{- if $all }}true{{ end }}
{{- end }}
{{- end }}

{{- define "antirelou.toml.value" -}}
{{- $v := . }}
{{- if kindIs "string" $v }}{{ toJson $v }}
{{- else if kindIs "bool" $v }}{{ ternary "true" "false" $v }}
{{- else if or (kindIs "float64" $v) (kindIs "float32" $v) }}
{{- if eq (float64 (int64 $v)) (float64 $v) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end }}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) (kindIs "int32" $v) (kindIs "uint64" $v) (kindIs "uint32" $v) (kindIs "uint" $v) }}{{ $v }}
{{- else if kindIs "slice" $v }}[{{ range $i, $e := $v }}{{ if $i }}, {{ end }}{{ include "antirelou.toml.value" $e }}{{ end }}]
{{- else if kindIs "map" $v }}
{{- $kept := dict }}{{ range $k, $e := $v }}{{ if not (kindIs "invalid" $e) }}{{ $_ := set $kept $k $e }}{{ end }}{{ end }}
{{- if $kept }}{ {{ range $i, $k := include "antirelou.toml.sortedKeys" $kept | fromJsonArray }}{{ if $i }}, {{ end }}{{ include "antirelou.toml.key" $k }} = {{ include "antirelou.toml.value" (index $v $k) }}{{ end }} }{{ else }}{}{{ end }}
{{- else }}{{ fail (printf "config: cannot write a %s as TOML" (kindOf $v)) }}
{{- end }}
{{- end }}

{{/* The key = value lines of one table, then its arrays of tables. */}}
{{- define "antirelou.toml.table" -}}
{{- $path := .path }}
{{- $table := .table }}
{{- $arrays := list }}
{{- range $k := include "antirelou.toml.sortedKeys" $table | fromJsonArray }}
{{- $v := index $table $k }}
{{- if kindIs "invalid" $v }}
{{- else if include "antirelou.toml.isTableArray" $v }}{{ $arrays = append $arrays $k }}
{{- else }}
{{ include "antirelou.toml.key" $k }} = {{ include "antirelou.toml.value" $v }}
{{- end }}
{{- end }}
{{- range $k := $arrays }}
{{- $sub := ternary (include "antirelou.toml.key" $k) (printf "%s.%s" $path (include "antirelou.toml.key" $k)) (eq $path "") }}
{{- range $e := index $table $k }}

[[{{ $sub }}]]
{{- include "antirelou.toml.table" (dict "path" $sub "table" $e) }}
{{- end }}
{{- end }}
{{- end }}

{{/* A whole document: top-level keys, then [sections], then [[arrays]]. */}}
{{- define "antirelou.toml" -}}
{{- $doc := . }}
{{- $plain := dict }}
{{- $sections := list }}
{{- range $k := keys $doc | sortAlpha }}
{{- $v := index $doc $k }}
{{- if and (kindIs "map" $v) }}{{ $sections = append $sections $k }}
{{- else }}{{ $_ := set $plain $k $v }}
{{- end }}
{{- end }}
{{- $arrays := dict }}
{{- range $k, $v := $plain }}{{ if include "antirelou.toml.isTableArray" $v }}{{ $_ := set $arrays $k $v }}{{ end }}{{ end }}
{{- range $k := keys $arrays }}{{ $_ := unset $plain $k }}{{ end }}
{{- include "antirelou.toml.table" (dict "path" "" "table" $plain) }}
{{- range $k := $sections }}

[{{ include "antirelou.toml.key" $k }}]
{{- include "antirelou.toml.table" (dict "path" (include "antirelou.toml.key" $k) "table" (index $doc $k)) }}
{{- end }}
{{- include "antirelou.toml.table" (dict "path" "" "table" $arrays) }}
{{- end }}
