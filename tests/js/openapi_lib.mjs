// Shared by openapi_validate.mjs and openapi_responses.mjs: loads an OpenAPI 3.1 document and
// compiles its schemas with ajv (JSON Schema 2020-12, strict mode), so that a response body
// can be validated against the schema the document gives for it, $refs resolved by ajv.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const addFormats = addFormatsModule.default ?? addFormatsModule;

// The id under which the whole document is registered with ajv; a local "#/..." $ref of the
// document resolves to BASE + "#/...".
export const BASE = "urn:mdgate:openapi";

// Top-level OpenAPI fields: not JSON Schema keywords, declared to ajv so that strict mode
// accepts the document as the container of the schemas.
const OPENAPI_ROOT_FIELDS = [
    "openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components",
    "security", "tags", "externalDocs",
];

export function loadDocument(path) {
    const text = readFileSync(path, "utf8");
    return JSON.parse(text);
}

/// Resolves a local reference ("#/components/responses/NotFound") in `doc`.
export function resolvePointer(doc, ref) {
    if (!ref.startsWith("#/")) {
        throw new Error(`not a local reference: ${ref}`);
    }
    let node = doc;
    for (const raw of ref.slice(2).split("/")) {
        const part = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
        if (node === null || typeof node !== "object" || !(part in node)) {
            throw new Error(`unresolvable reference: ${ref}`);
        }
        node = node[part];
    }
    return node;
}

/// Follows `$ref` until an object without one (response, parameter objects).
export function deref(doc, node) {
    const seen = new Set();
    while (node && typeof node === "object" && typeof node.$ref === "string") {
        if (seen.has(node.$ref)) {
            throw new Error(`reference cycle at ${node.$ref}`);
        }
        seen.add(node.$ref);
        node = resolvePointer(doc, node.$ref);
    }
    return node;
}

/// A copy of `schema` in which every local "#/..." $ref points into the registered document.
export function rebase(schema) {
    if (Array.isArray(schema)) {
        return schema.map(rebase);
    }
    if (schema === null || typeof schema !== "object") {
        return schema;
    }
    const out = {};
    for (const [k, v] of Object.entries(schema)) {
        out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#") ? BASE + v : rebase(v);
    }
    return out;
}

/// An ajv instance holding `doc`. Strict mode: an unknown keyword (a typo), a keyword that does
/// not apply to the declared type, an ill-formed tuple and similar mistakes are errors, not
/// silently ignored. Not strictRequired: `if`/`then` with a `required` of a property declared
/// by the enclosing schema is ordinary JSON Schema.
export function makeAjv(doc) {
    const ajv = new Ajv2020({
        strict: true, strictRequired: false, allErrors: true, validateFormats: true,
    });
    addFormats(ajv);
    ajv.addVocabulary(OPENAPI_ROOT_FIELDS);
    const { $id: _ignored, ...body } = doc;
    ajv.addSchema({ $id: BASE, ...body });
    return ajv;
}

/// A validation function for `schema`, a schema taken from the document (e.g. a media type's
/// `schema`). A bare {$ref} is compiled by reference; anything else is compiled as a copy whose
/// references are rebased. Cached per schema object.
export function compilerFor(ajv) {
    const cache = new Map();
    let n = 0;
    return (schema) => {
        if (cache.has(schema)) {
            return cache.get(schema);
        }
        let fn;
        if (schema && typeof schema === "object" && Object.keys(schema).length === 1 &&
            typeof schema.$ref === "string" && schema.$ref.startsWith("#/")) {
            fn = ajv.getSchema(BASE + schema.$ref);
            if (!fn) {
                throw new Error(`ajv cannot resolve ${schema.$ref}`);
            }
        } else {
            fn = ajv.compile({ $id: `${BASE}:inline:${n++}`, ...rebase(schema) });
        }
        cache.set(schema, fn);
        return fn;
    };
}

/// ajv errors as short lines: "/bids/0/1: must match pattern ...".
export function formatErrors(errors, max = 8) {
    const lines = (errors ?? []).slice(0, max).map((e) => {
        const where = e.instancePath === "" ? "(body)" : e.instancePath;
        const extra = e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : "";
        return `${where}: ${e.message}${extra} [${e.schemaPath}]`;
    });
    if ((errors ?? []).length > max) {
        lines.push(`... and ${errors.length - max} more`);
    }
    return lines;
}

/// "application/json; charset=utf-8" -> "application/json".
export function mediaEssence(contentType) {
    return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
