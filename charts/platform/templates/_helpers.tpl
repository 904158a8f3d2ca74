{{/*
Naming, labels and the per-component object builders.

The app, console and worker share one shape (see values.yaml), so their
Deployment, Service, ServiceAccount, HPA and PDB are built here from a
(root, component) pair; the files under templates/<component>/ only choose
which builders a component uses. Builders take a dict:
  root:      the top-level context ($)
  component: "app" | "console" | "worker"
*/}}

{{- define "platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "platform.fullname" -}}
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

{{- define "platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. Takes the root context. */}}
{{- define "platform.labels" -}}
helm.sh/chart: {{ include "platform.chart" . }}
{{ include "platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "platform.name" . | quote }}
{{- with .Values.global.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component's objects. Takes (root, component). */}}
{{- define "platform.componentLabels" -}}
{{ include "platform.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "platform.componentSelectorLabels" -}}
{{ include "platform.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* "<fullname>-<component>", the name of a component's objects. */}}
{{- define "platform.componentName" -}}
{{- printf "%s-%s" (include "platform.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The ServiceAccount a component's pods run as. Takes (root, component). */}}
{{- define "platform.serviceAccountName" -}}
{{- $sa := (index .root.Values .component).serviceAccount }}
{{- if $sa.create }}
{{- default (include "platform.componentName" .) $sa.name }}
{{- else }}
{{- default "default" $sa.name }}
{{- end }}
{{- end }}

{{/* Full image reference. Takes (root, image). */}}
{{- define "platform.image" -}}
{{- $registry := .root.Values.global.imageRegistry }}
{{- $tag := default .root.Chart.AppVersion .image.tag }}
{{- if $registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/* Secret names: the user's existing Secret, else the one this chart renders. */}}
{{- define "platform.licenseSecretName" -}}
{{- default (printf "%s-license" (include "platform.fullname" .)) .Values.license.existingSecret }}
{{- end }}

{{- define "platform.mysqlSecretName" -}}
{{- default (printf "%s-mysql" (include "platform.fullname" .)) .Values.mysql.existingSecret }}
{{- end }}

{{- define "platform.bucketSecretName" -}}
{{- default (printf "%s-bucket" (include "platform.fullname" .)) .Values.bucket.existingSecret }}
{{- end }}

{{/* Host names the ingress routes: ingress.hosts, else the host of global.host. */}}
{{- define "platform.ingressHosts" -}}
{{- $hosts := .Values.ingress.hosts }}
{{- if not $hosts }}
{{- $hostname := (urlParse .Values.global.host).hostname }}
{{- if not $hostname }}
{{- fail (printf "ingress: global.host %q has no host name; set global.host to a URL such as https://platform.example.com or list ingress.hosts" .Values.global.host) }}
{{- end }}
{{- $hosts = list $hostname }}
{{- end }}
{{- toJson $hosts }}
{{- end }}

{{/* Environment shared by every component: config, credentials, extraEnv. */}}
{{- define "platform.env" -}}
{{- $root := .root }}
{{- $c := index $root.Values .component -}}
- name: PLATFORM_COMPONENT
  value: {{ .component | quote }}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: LICENSE
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.licenseSecretName" $root | quote }}
      key: license
- name: MYSQL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.mysqlSecretName" $root | quote }}
      key: password
- name: MYSQL_DSN
  value: "mysql://$(MYSQL_USER):$(MYSQL_PASSWORD)@$(MYSQL_HOST):$(MYSQL_PORT)/$(MYSQL_DATABASE)?$(MYSQL_PARAMS)"
- name: BUCKET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.bucketSecretName" $root | quote }}
      key: accessKey
- name: BUCKET_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.bucketSecretName" $root | quote }}
      key: secretKey
{{- with $c.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Checksums that roll the pods when config or chart-managed secrets change. */}}
{{- define "platform.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ print (include (print .Template.BasePath "/secret-license.yaml") .) (include (print .Template.BasePath "/secret-mysql.yaml") .) (include (print .Template.BasePath "/secret-bucket.yaml") .) | sha256sum }}
{{- end }}

{{/* Deployment of one component. Takes (root, component). */}}
{{- define "platform.deployment" -}}
{{- $root := .root }}
{{- $c := index $root.Values .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "platform.componentName" . | quote }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "platform.componentLabels" . | nindent 4 }}
spec:
  {{- if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "platform.componentSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      annotations:
        {{- include "platform.checksums" $root | nindent 8 }}
        {{- with $c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "platform.componentSelectorLabels" . | nindent 8 }}
        {{- with $c.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "platform.serviceAccountName" . | quote }}
      automountServiceAccountToken: {{ $c.serviceAccount.automountServiceAccountToken }}
      {{- with $root.Values.global.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "platform.image" (dict "root" $root "image" $c.image) | quote }}
          imagePullPolicy: {{ $c.image.pullPolicy | quote }}
          {{- if eq .component "worker" }}
          args:
            - worker
            - {{ printf "--queues=%s" (join "," $c.queues) | quote }}
            - --concurrency={{ $c.concurrency }}
          {{- end }}
          {{- with $c.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- if hasKey $c "containerPort" }}
          ports:
            - name: http
              containerPort: {{ $c.containerPort }}
              protocol: TCP
          {{- end }}
          envFrom:
            - configMapRef:
                name: {{ printf "%s-config" (include "platform.fullname" $root) | quote }}
          env:
            {{- include "platform.env" . | nindent 12 }}
          {{- with $c.livenessProbe }}
          livenessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $c.readinessProbe }}
          readinessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $c.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 1Gi
      {{- with $c.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/* ClusterIP (or other type) Service in front of a component. */}}
{{- define "platform.service" -}}
{{- $c := index .root.Values .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "platform.componentName" . | quote }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "platform.componentLabels" . | nindent 4 }}
  {{- with $c.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $c.service.type | quote }}
  selector:
    {{- include "platform.componentSelectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $c.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}

{{- define "platform.serviceAccount" -}}
{{- $sa := (index .root.Values .component).serviceAccount }}
{{- if $sa.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "platform.serviceAccountName" . | quote }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "platform.componentLabels" . | nindent 4 }}
  {{- with $sa.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ $sa.automountServiceAccountToken }}
{{- end }}
{{- end }}

{{- define "platform.hpa" -}}
{{- $as := (index .root.Values .component).autoscaling }}
{{- if $as.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "platform.componentName" . | quote }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "platform.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "platform.componentName" . | quote }}
  minReplicas: {{ $as.minReplicas }}
  maxReplicas: {{ $as.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $as.targetCPUUtilizationPercentage }}
    {{- with $as.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
{{- end }}
{{- end }}

{{/* An int-or-percent field: a number, or a string of digits, as a number; anything else quoted. */}}
{{- define "platform.intOrPercent" -}}
{{- if and (kindIs "string" .) (not (regexMatch "^[0-9]+$" .)) }}
{{- quote . }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{- define "platform.pdb" -}}
{{- $pdb := (index .root.Values .component).pdb }}
{{- if $pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "platform.componentName" . | quote }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "platform.componentLabels" . | nindent 4 }}
spec:
  {{- if $pdb.maxUnavailable }}
  maxUnavailable: {{ include "platform.intOrPercent" $pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ include "platform.intOrPercent" $pdb.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "platform.componentSelectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
