// The service's HTTP API as the page uses it. The bearer token lives in sessionStorage:
// this tab only, gone when it closes; it is never logged or put in the DOM.

const TOKEN_KEY = "specmerge.console.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body?.detail === "string" ? body.detail : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export const auth = {
  token() { return sessionStorage.getItem(TOKEN_KEY); },
  set(token) { sessionStorage.setItem(TOKEN_KEY, token); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

async function call(method, url, { body, headers = {}, signal } = {}) {
  const h = { Accept: "application/json", ...headers };
  const token = auth.token();
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = h["Content-Type"] || "application/json";
  const response = await fetch(url, {
    method, headers: h, signal, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text.slice(0, 200) }; }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, etag: response.headers.get("ETag") };
}

const valuesUrl = (ns, name) => `/v1/instances/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/user-values`;

export const api = {
  instances: () => call("GET", "/v1/instances"),
  releases: (channel) => call("GET", `/v1/channels/${encodeURIComponent(channel)}/releases`),
  getValues: (ns, name, reveal = false) => call("GET", valuesUrl(ns, name) + (reveal ? "?showSecrets=true" : "")),
  putValues: (ns, name, values, etag) => call("PUT", valuesUrl(ns, name), {
    body: values, headers: etag ? { "If-Match": etag } : { "If-None-Match": "*" },
  }),
  preview: (request, { reveal = false, signal } = {}) =>
    call("POST", "/v1/preview" + (reveal ? "?showSecrets=true" : ""), { body: request, signal }),
};
