{{/* Every string leaf under .v, at dotted path .p, in every transform a chart applies to a secret. */}}
{{- define "leakyapp.walk" -}}
{{- $v := .v -}}
{{- if kindIs "map" $v -}}
{{- range $k, $x := $v }}{{ include "leakyapp.walk" (dict "v" $x "p" (printf "%s.%s" $.p $k)) }}{{ end -}}
{{- else if kindIs "slice" $v -}}
{{- range $i, $x := $v }}{{ include "leakyapp.walk" (dict "v" $x "p" (printf "%s[%d]" $.p $i)) }}{{ end -}}
{{- else if kindIs "string" $v }}
  {{ $.p | sha1sum | trunc 12 }}-b64: {{ $v | b64enc | quote }}
  {{ $.p | sha1sum | trunc 12 }}-json: {{ $v | toJson | quote }}
  {{ $.p | sha1sum | trunc 12 }}-url: {{ $v | urlquery | quote }}
  {{ $.p | sha1sum | trunc 12 }}-sha: {{ $v | sha256sum | quote }}
  {{ $.p | sha1sum | trunc 12 }}-basic: {{ printf "%s:%s" "user" $v | b64enc | quote }}
  {{ $.p | sha1sum | trunc 12 }}-quote: {{ $v | quote }}
  {{ $.p | sha1sum | trunc 12 }}-squote: {{ $v | squote }}
  {{ $.p | sha1sum | trunc 12 }}-yaml: |
    {{- toYaml (dict "folded" (printf "%s %s %s" $v $v $v)) | nindent 4 }}
{{- end -}}
{{- end -}}
