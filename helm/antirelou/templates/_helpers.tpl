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
The Redis password of the chart's own Redis: the value, else the one already
stored in the cluster (so upgrades keep it), else a new random one.
*/}}
{{- define "antirelou.redis.password" -}}
{{- if .Values.redis.auth.password }}
{{- .Values.redis.auth.password }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "antirelou.redis.fullname" .) }}
{{- if and $existing (index $existing.data "redis-password") }}
{{- index $existing.data "redis-password" | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}
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
{{- if and (not .Values.redis.enabled) (not .Values.ledger.redisUrl) (not .Values.ledger.redisUrlSecret.name) }}
{{- fail "ledger.backend=redis needs a Redis: set redis.enabled=true to deploy the chart's own, or ledger.redisUrl (or ledger.redisUrlSecret) for an external one." }}
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
{{- $needed := add (int .Values.preStopSleepSeconds) $shutdown 5 }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds=%d is too short: a pod must sleep preStopSleepSeconds=%d, then finish in-flight webhooks for up to config.server.shutdown_timeout_seconds=%d, plus 5s to flush the ledger; set it to at least %d." (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSleepSeconds) $shutdown (int $needed)) }}
{{- end }}
{{- if not (kindIs "map" .Values.config) }}
{{- fail "config must be a map shaped like antirelou.toml (server, ledger, privacy, log, tenants)." }}
{{- end }}
{{- end }}

{{/*
The settings the chart owns because they follow from how it deploys the
pods: the listen address (the container port), the ledger backend, where the
SQLite file lives, which Redis to use. They override the same keys in
.Values.config.
*/}}
{{- define "antirelou.settings" -}}
{{- $cfg := deepCopy (.Values.config | default dict) }}
{{- $server := dict "listen" (printf "0.0.0.0:%d" (int .Values.containerPort)) }}
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
