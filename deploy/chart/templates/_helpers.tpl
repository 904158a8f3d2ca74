{{- define "specmerge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "specmerge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "specmerge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "specmerge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "specmerge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "specmerge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "specmerge.serviceAccountName" -}}
{{- default (include "specmerge.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "specmerge.tokenSecret" -}}
{{- default (printf "%s-token" (include "specmerge.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "specmerge.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The namespaces a namespaced install manages: the release's first, then rbac.namespaces. */}}
{{- define "specmerge.namespaces" -}}
{{- $all := list .Release.Namespace -}}
{{- range .Values.rbac.namespaces -}}
{{- if not (has . $all) -}}{{- $all = append $all . -}}{{- end -}}
{{- end -}}
{{- toJson $all -}}
{{- end -}}

{{/*
The operator's rules (and the service's: it reads CRs and writes <name>-spec-user Secrets).
One list for each namespaced Role and for the cluster-wide ClusterRole. Why each is needed:
- the CR and its status: watch CRs, report status, keep the uninstall finalizer;
- events.k8s.io events: Installed/Upgraded/Failed events on the CR;
- (specmerge.leaseRules, the release namespace only) coordination.k8s.io leases: leader
  election, one writer among the replicas;
- secrets: the instance layout (<name>-spec-user, -spec-active, -latest-cached-release) AND
  Helm's release storage (sh.helm.release.v1.<release>.v<N>, found by listing with the
  label selector owner=helm,name=<release>). Helm creates, lists and deletes revisions whose
  names are not known in advance, and RBAC cannot limit list/watch/create by name, so Secrets
  are granted per managed namespace (namespaced mode confines that to those namespaces);
- the kinds the managed platform chart renders (tests/deploy checks this list against
  charts/platform/templates): Helm creates, patches and deletes them on install, upgrade,
  rollback and uninstall.
*/}}
{{- define "specmerge.rules" -}}
- apiGroups: [apps.wandb.com]
  resources: [weightsandbiases]
  verbs: [get, list, watch, patch, update]
- apiGroups: [apps.wandb.com]
  resources: [weightsandbiases/status]
  verbs: [get, patch, update]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create]
- apiGroups: [""]
  resources: [secrets, configmaps, services, serviceaccounts]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, update, patch, delete]
{{- end -}}

{{- define "specmerge.env" -}}
- name: HOME
  value: /tmp
- name: SPECMERGE_CACHE
  value: /var/cache/specmerge
- name: SPECMERGE_CACHE_DIR
  value: /var/cache/specmerge/channels
{{- end -}}

{{- define "specmerge.mounts" -}}
- name: cache
  mountPath: /var/cache/specmerge
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "specmerge.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
Cluster-scoped reads (rbac.clusterReads), bound in both modes: the facts preflight checks a
channel release's requirements against (Nodes: count, Ready, cordoned, allocatable CPU and
memory; IngressClasses and StorageClasses: the one named or the default; discovery: API
groups, CRDs, the Kubernetes version, and the kinds drift checks resolve). List only.
*/}}
{{- define "specmerge.clusterReadRules" -}}
- apiGroups: [""]
  resources: [nodes]
  verbs: [list]
- apiGroups: [networking.k8s.io]
  resources: [ingressclasses]
  verbs: [list]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [list]
- nonResourceURLs: [/version, /api, /api/*, /apis, /apis/*]
  verbs: [get]
{{- end -}}

{{/* Leader election: the Lease lives in the release namespace (--lease-namespace), in both modes. */}}
{{- define "specmerge.leaseRules" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
{{- end -}}
