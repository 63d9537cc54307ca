{{/* The objects' name: the release's. */}}
{{- define "herald.fullname" -}}
{{ .Release.Name }}
{{- end }}

{{/* Labels that select the pods; never change them on an installed release. */}}
{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "herald.labels" -}}
{{ include "herald.selectorLabels" . }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
