// Offline check of the manifests that `kubectl kustomize deploy/kubernetes/<overlay>` prints
// (scripts/container-test.sh runs it; no cluster needed):
//   1. every object against the Kubernetes OpenAPI schema of its kind (kubernetes-models: types,
//      required fields, enums, formats), and no field the schema does not know (a typo such as
//      `readinesProbe` would otherwise be dropped by the API server without a word);
//   2. what this deployment promises: probes on /_wr/health and /_wr/ready, a grace period above
//      WR_SHUTDOWN_TIMEOUT, the security context, requests and limits, and selectors and references
//      that point at objects that exist.
// Then it writes the room's settings (ConfigMap + Secret) as an env file and the rooms file into
// the folder given as the second argument, for the image's --check-config.
// Usage: node validate.mjs rendered.yaml out-dir, with kubernetes-models and yaml (package.json
// here) installed in a node_modules beside this file: container-test.sh copies it into its cache.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

const here = path.dirname(new URL(import.meta.url).pathname);
const modelsRoot = path.join(here, "node_modules", "kubernetes-models");

const [renderedFile, outDir] = process.argv.slice(2);
const docs = YAML.parseAllDocuments(fs.readFileSync(renderedFile, "utf8"))
  .map((d) => {
    if (d.errors.length) throw new Error(`${renderedFile}: ${d.errors[0].message}`);
    return d.toJSON();
  })
  .filter(Boolean);

const problems = [];
const problem = (obj, text) => problems.push(`${obj.kind}/${obj.metadata?.name}: ${text}`);

// ---- 1. schemas ----------------------------------------------------------------------------------
// kubernetes-models lays its classes out as <group>/<version>/<Kind> ("v1/Service" for the core group).
function groupVersion(obj) {
  return obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
}
async function modelOf(obj) {
  const [group, version] = groupVersion(obj);
  try {
    return (await import(path.posix.join("kubernetes-models", group, version, obj.kind)))[obj.kind];
  } catch (e) {
    return undefined;
  }
}

// Unknown fields: the schemas allow them (as the API server does, dropping them), so they are
// checked against the field lists of the generated type declarations (<Kind>.d.ts), which follow
// the same OpenAPI definitions: `"name"?: Type;` per field, Array<IType> for lists, `{` for maps,
// and an import line naming the file of every IType.
const declarations = new Map();
function declaration(file) {
  if (declarations.has(file)) return declarations.get(file);
  const text = fs.readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ ([^}]+) \} from "([^"]+)";$/gm)) {
    let target = m[2];
    if (target.startsWith(".")) target = path.join(path.dirname(file), target.replace(/\.js$/, ".d.ts"));
    else if (target.startsWith("@kubernetes-models/")) {
      const [scope, name, ...rest] = target.split("/");
      target = path.join(here, "node_modules", scope, name, ...rest) + ".d.ts";
    } else continue;
    for (const name of m[1].split(",")) imports.set(name.trim(), target);
  }
  const body = text.match(/^export interface \w+(?: extends \w+)? \{\n([\s\S]*?)^\}/m);
  const fields = body ? new Map([...body[1].matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)].map((m) => [m[1], m[2]])) : null;
  const result = { imports, fields };
  declarations.set(file, result);
  return result;
}
function unknownFields(obj, file, where, found) {
  const { imports, fields } = declaration(file);
  if (!fields || obj === null || typeof obj !== "object" || Array.isArray(obj)) return;
  for (const [key, value] of Object.entries(obj)) {
    const type = fields.get(key);
    if (type === undefined) {
      found.push(`${where}.${key}: no such field`);
      continue;
    }
    const element = type.match(/^Array<(\w+)>;$/);
    const named = element ? element[1] : type.match(/^(\w+);$/)?.[1];
    const target = named && imports.get(named);
    if (!target) continue; // a scalar, an enum, a map or an alias such as IntOrString
    if (element && Array.isArray(value)) value.forEach((item, i) => unknownFields(item, target, `${where}.${key}[${i}]`, found));
    else if (!element) unknownFields(value, target, `${where}.${key}`, found);
  }
}

for (const obj of docs) {
  const Model = await modelOf(obj);
  if (!Model) {
    problem(obj, `unknown kind ${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    problem(obj, e.message);
  }
  const [group, version] = groupVersion(obj);
  const found = [];
  unknownFields(obj, path.join(modelsRoot, group, version, `${obj.kind}.d.ts`), "", found);
  for (const f of found) problem(obj, f);
}

// ---- 2. this deployment's promises ---------------------------------------------------------------
const find = (kind, name) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const byKind = (kind) => docs.filter((d) => d.kind === kind);
const matches = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => labels && labels[k] === v) && Object.keys(selector || {}).length > 0;

const deployment = find("Deployment", "waitingroom");
const settings = {};
if (!deployment) {
  problems.push("no Deployment named waitingroom");
} else {
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === "waitingroom");
  for (const ref of container.envFrom || []) {
    const source = ref.configMapRef ? find("ConfigMap", ref.configMapRef.name) : find("Secret", ref.secretRef.name);
    if (!source) {
      problem(deployment, `envFrom names ${JSON.stringify(ref)}, which is not in the output`);
      continue;
    }
    Object.assign(settings, source.data && source.kind === "Secret"
      ? Object.fromEntries(Object.entries(source.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]))
      : source.data, source.stringData);
  }
  for (const volume of pod.volumes || []) {
    if (volume.configMap && !find("ConfigMap", volume.configMap.name)) problem(deployment, `volume ${volume.name} names a missing ConfigMap`);
  }
  if (container.livenessProbe?.httpGet?.path !== "/_wr/health") problem(deployment, "liveness probe is not GET /_wr/health");
  if (container.readinessProbe?.httpGet?.path !== "/_wr/ready") problem(deployment, "readiness probe is not GET /_wr/ready");
  const timeout = Number(settings.WR_SHUTDOWN_TIMEOUT ?? 25);
  const delay = Number(settings.WR_SHUTDOWN_DELAY ?? 0);
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (!(grace > timeout)) problem(deployment, `terminationGracePeriodSeconds ${grace} is not above WR_SHUTDOWN_TIMEOUT ${timeout}`);
  if (!(delay < timeout)) problem(deployment, `WR_SHUTDOWN_DELAY ${delay} is not below WR_SHUTDOWN_TIMEOUT ${timeout}`);
  const sc = container.securityContext || {};
  if (pod.securityContext?.runAsNonRoot !== true) problem(deployment, "pod securityContext.runAsNonRoot is not true");
  if (sc.readOnlyRootFilesystem !== true) problem(deployment, "readOnlyRootFilesystem is not true");
  if (sc.allowPrivilegeEscalation !== false) problem(deployment, "allowPrivilegeEscalation is not false");
  if (!(sc.capabilities?.drop || []).includes("ALL")) problem(deployment, "capabilities do not drop ALL");
  for (const what of ["requests", "limits"]) {
    if (!container.resources?.[what]?.cpu || !container.resources?.[what]?.memory) problem(deployment, `no cpu and memory ${what}`);
  }
  if (!(container.volumeMounts || []).some((m) => m.mountPath === "/tmp")) problem(deployment, "no writable /tmp next to the read-only root filesystem");
  const labels = deployment.spec.template.metadata.labels;
  if (!matches(deployment.spec.selector.matchLabels, labels)) problem(deployment, "selector does not match the pod labels");
  const service = find("Service", "waitingroom");
  if (!service || !matches(service.spec.selector, labels)) problems.push("Service waitingroom missing or not selecting the pods");
  const pdb = byKind("PodDisruptionBudget")[0];
  if (!pdb || !matches(pdb.spec.selector.matchLabels, labels)) problems.push("PodDisruptionBudget missing or not selecting the pods");
  const hpa = byKind("HorizontalPodAutoscaler")[0];
  if (!hpa || hpa.spec.scaleTargetRef.kind !== "Deployment" || hpa.spec.scaleTargetRef.name !== "waitingroom") {
    problems.push("HorizontalPodAutoscaler missing or not scaling Deployment waitingroom");
  }
  if (settings.WR_REDIS_HOST && !find("Service", settings.WR_REDIS_HOST)) problems.push(`WR_REDIS_HOST ${settings.WR_REDIS_HOST}: no Service of that name`);
}

if (problems.length) {
  for (const p of problems) console.log(p);
  process.exit(1);
}

// ---- 3. the settings, for --check-config ---------------------------------------------------------
fs.mkdirSync(path.join(outDir, "rooms"), { recursive: true });
fs.writeFileSync(path.join(outDir, "env"), Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(""));
const rooms = find("ConfigMap", "waitingroom-rooms");
for (const [name, text] of Object.entries(rooms?.data || {})) fs.writeFileSync(path.join(outDir, "rooms", name), text);

const kinds = [...new Set(docs.map((d) => d.kind))].join(", ");
console.log(`${docs.length} objects (${kinds}): schemas, no unknown fields, the deployment's rules`);
