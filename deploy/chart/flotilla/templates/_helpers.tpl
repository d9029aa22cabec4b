{{/*
Labels of a component's objects, as the Kustomize manifests set them (no
Helm labels, so the chart renders exactly what they build). The argument
is the component: "hub" or "spoke".
*/}}
{{- define "flotilla.labels" -}}
app.kubernetes.io/name: flotilla-{{ . }}
app.kubernetes.io/component: {{ . }}
app.kubernetes.io/part-of: flotilla
{{- end }}

{{/* The selector of a component's pods. */}}
{{- define "flotilla.selector" -}}
app.kubernetes.io/name: flotilla-{{ . }}
{{- end }}

{{/* image (and imagePullPolicy when set) of a container; the argument is hub.image or spoke.image. */}}
{{- define "flotilla.image" -}}
image: {{ printf "%s:%s" .repository .tag | quote }}
{{- with .pullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- end }}

{{/* nodeSelector and tolerations of a pod, each only when set; the argument is hub or spoke. */}}
{{- define "flotilla.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
