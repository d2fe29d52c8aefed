{{/* Names, labels and the small pieces several templates share. */}}

{{- define "todo.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "todo.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "todo.fullname" . }}
{{- end -}}

{{/* Selector labels of one role: (dict "root" $ "role" "api") */}}
{{- define "todo.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{/*
The app's image: by digest when image.digest is set (what the deploy pipeline does: what was built and checked
is what runs), else by tag (image.tag, default the chart's appVersion).
*/}}
{{- define "todo.image" -}}
{{- $repo := required "image.repository is empty: set it to the app image's repository, e.g. --set image.repository=ghcr.io/<owner>/todo" .Values.image.repository -}}
{{- with .Values.image.digest -}}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" .) -}}
{{- fail (printf "image.digest %q is not a digest: give sha256:<64 hex> (the image step's digest output), or leave it empty to deploy image.tag" .) -}}
{{- end -}}
{{- printf "%s@%s" $repo . -}}
{{- else -}}
{{- printf "%s:%s" $repo (default $.Chart.AppVersion $.Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "todo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "todo.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "todo.daprConfigName" -}}
{{- printf "%s-dapr" (include "todo.fullname" .) -}}
{{- end -}}

{{/* The app ids every component is scoped to. */}}
{{/* The bindings.postgresql component the API creates the state index through. */}}
{{- define "todo.stateSqlBinding" -}}
{{ .Values.stateStore.name }}-sql
{{- end -}}

{{- define "todo.scopes" -}}
scopes:
  - {{ .Values.api.appId }}
  - {{ .Values.worker.appId }}
{{- end -}}

{{/*
Which secret store resolves a component's secretKeyRefs. In Kubernetes the operator resolves them from
Kubernetes Secrets (no auth block); elsewhere the named secret store does.
*/}}
{{- define "todo.componentAuth" -}}
{{- if ne .Values.secretStore.type "kubernetes" }}
auth:
  secretStore: {{ .Values.secretStore.name }}
{{- end }}
{{- end -}}

{{/* A secretKeyRef to one key of the app's Secret: (dict "root" $ "key" "...") */}}
{{- define "todo.secretRef" -}}
secretKeyRef:
  name: {{ .root.Values.secrets.name }}
  key: {{ .key }}
{{- end -}}

{{/*
One of shutdown.*, in whole seconds, checked: (dict "root" $ "key" "graceSeconds" "max" 120). The app takes
SHUTDOWN_*_MS up to the same limits (app/src/config.ts).
*/}}
{{- define "todo.shutdownSeconds" -}}
{{- $v := index .root.Values.shutdown .key -}}
{{- if not (regexMatch "^[0-9]+$" (toString $v)) -}}
{{- fail (printf "shutdown.%s is %q: give a whole number of seconds from 0 to %d" .key (toString $v) (int .max)) -}}
{{- end -}}
{{- if gt (int $v) (int .max) -}}
{{- fail (printf "shutdown.%s is %d: give a whole number of seconds from 0 to %d" .key (int $v) (int .max)) -}}
{{- end -}}
{{- int $v -}}
{{- end -}}

{{/*
A digest of every Dapr resource this chart renders (each templates/dapr-*.yaml, named here: Helm gives templates no
.Files; test/integration/app/chart.test.ts fails when a dapr-*.yaml is missing from the list): the pods' annotation,
so that a changed component, subscription, resiliency policy or configuration rolls them.
*/}}
{{- define "todo.daprResourcesChecksum" -}}
{{- $out := list -}}
{{- range $name := list "dapr-configuration.yaml" "dapr-pubsub.yaml" "dapr-resiliency.yaml" "dapr-secretstore.yaml" "dapr-state-sql.yaml" "dapr-statestore.yaml" "dapr-subscriptions.yaml" -}}
{{- $out = append $out (include (print $.Template.BasePath "/" $name) $) -}}
{{- end -}}
{{- $out | join "\n---\n" | sha256sum | trunc 16 -}}
{{- end -}}
