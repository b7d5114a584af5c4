// Validates an OpenAPI 3.1 document (docs/openapi.json):
//  1. against the official OpenAPI 3.1 schema (@seriousme/openapi-schema-validator);
//  2. every schema compiles with ajv (JSON Schema 2020-12) in strict mode and is a valid
//     2020-12 schema, every local $ref resolves;
//  3. every path template parameter is declared, operationIds are unique, every operation that
//     needs the token lists 401, every response body has a schema;
//  4. every example in the document (media types, parameters, schema `examples`, defaults)
//     validates against its schema.
// Usage: node openapi_validate.mjs <openapi.json>; exit 0 valid, 1 invalid, 2 usage.
import { Validator } from "@seriousme/openapi-schema-validator";
import {
    BASE, compilerFor, deref, formatErrors, HTTP_METHODS, loadDocument, makeAjv, resolvePointer,
} from "./openapi_lib.mjs";

const file = process.argv[2];
if (!file) {
    console.error("usage: node openapi_validate.mjs <openapi.json>");
    process.exit(2);
}

const problems = [];
const fail = (msg) => {
    problems.push(msg);
    console.log(`FAIL ${msg}`);
};

let doc;
try {
    doc = loadDocument(file);
} catch (e) {
    console.log(`FAIL ${file}: cannot read or parse: ${e.message}`);
    process.exit(1);
}

// 1. The official schema of the OpenAPI version.
if (typeof doc.openapi !== "string" || !/^3\.1\.[0-9]+$/.test(doc.openapi)) {
    fail(`openapi: expected a 3.1.x version, found ${JSON.stringify(doc.openapi)}`);
}
const official = new Validator();
const res = await official.validate(structuredClone(doc));
if (!res.valid) {
    // ajv errors (schema mismatch) or one string (e.g. an unresolvable $ref).
    const errs = Array.isArray(res.errors) ? res.errors : [res.errors];
    const lines = errs.every((e) => e && typeof e === "object" && "instancePath" in e)
        ? formatErrors(errs, 20)
        : errs.map((e) => (typeof e === "string" ? e : JSON.stringify(e)));
    for (const line of lines) {
        fail(`official OpenAPI schema: ${line}`);
    }
} else if (official.version !== "3.1") {
    fail(`official OpenAPI schema: validated as version ${official.version}, not 3.1`);
} else {
    console.log(`ok   ${file} matches the official OpenAPI ${official.version} schema`);
}

// 2. References and schemas.
let refs = 0;
(function walk(node, where) {
    if (Array.isArray(node)) {
        node.forEach((v, i) => walk(v, `${where}/${i}`));
        return;
    }
    if (node === null || typeof node !== "object") {
        return;
    }
    for (const [k, v] of Object.entries(node)) {
        if (k === "$ref" && typeof v === "string") {
            ++refs;
            if (!v.startsWith("#/")) {
                fail(`${where}: external reference ${v} (the document must be self-contained)`);
            } else {
                try {
                    resolvePointer(doc, v);
                } catch (e) {
                    fail(`${where}: ${e.message}`);
                }
            }
        } else {
            walk(v, `${where}/${k}`);
        }
    }
})(doc, "#");

let ajv;
try {
    ajv = makeAjv(doc);
} catch (e) {
    console.log(`FAIL ajv cannot load the document: ${e.message}`);
    process.exit(1);
}
const compile = compilerFor(ajv);
const schemas = doc.components?.schemas ?? {};
let compiled = 0;
for (const [name, schema] of Object.entries(schemas)) {
    if (!ajv.validateSchema(schema)) {
        for (const line of formatErrors(ajv.errors)) {
            fail(`components/schemas/${name} is not a valid JSON Schema 2020-12: ${line}`);
        }
        continue;
    }
    try {
        if (!ajv.getSchema(`${BASE}#/components/schemas/${name}`)) {
            fail(`components/schemas/${name}: ajv cannot find it`);
        } else {
            ++compiled;
        }
    } catch (e) {
        fail(`components/schemas/${name}: ${e.message}`);
    }
}
console.log(`ok   ${compiled} of ${Object.keys(schemas).length} component schemas compile (ajv ` +
    `2020-12, strict), ${refs} $refs resolve`);

// 4 (helper). Validates `value` against `schema`, reporting under `where`.
let examples = 0;
function checkExample(schema, value, where) {
    ++examples;
    let fn;
    try {
        fn = compile(schema);
    } catch (e) {
        fail(`${where}: its schema does not compile: ${e.message}`);
        return;
    }
    if (!fn(value)) {
        for (const line of formatErrors(fn.errors)) {
            fail(`${where}: example does not match its schema: ${line}`);
        }
    }
}

function checkParameterList(list, where, declared) {
    for (const [i, p0] of (list ?? []).entries()) {
        let p;
        try {
            p = deref(doc, p0);
        } catch (e) {
            fail(`${where}/parameters/${i}: ${e.message}`);
            continue;
        }
        declared.set(`${p.in}:${p.name}`, p);
        const at = `${where} parameter ${p.in}:${p.name}`;
        if (!p.schema) {
            fail(`${at}: has no schema`);
            continue;
        }
        try {
            compile(p.schema);
        } catch (e) {
            fail(`${at}: schema does not compile: ${e.message}`);
            continue;
        }
        if (p.in === "path" && p.required !== true) {
            fail(`${at}: a path parameter must be required`);
        }
        const target = p.schema.$ref ? resolvePointer(doc, p.schema.$ref) : p.schema;
        if ("default" in target) {
            checkExample(p.schema, target.default, `${at} default`);
        }
        if ("example" in p) {
            checkExample(p.schema, p.example, `${at} example`);
        }
    }
}

// 3. Operations.
const operationIds = new Map();
let operations = 0;
const globalSecurity = doc.security ?? [];
for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const pathLevel = new Map();
    checkParameterList(item.parameters, path, pathLevel);
    for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) {
            continue;
        }
        ++operations;
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.operationId) {
            fail(`${where}: no operationId`);
        } else if (operationIds.has(op.operationId)) {
            fail(`${where}: operationId ${op.operationId} is also used by ` +
                `${operationIds.get(op.operationId)}`);
        } else {
            operationIds.set(op.operationId, where);
        }
        const declared = new Map(pathLevel);
        checkParameterList(op.parameters, where, declared);
        for (const name of templated) {
            if (!declared.has(`path:${name}`)) {
                fail(`${where}: path parameter {${name}} is not declared`);
            }
        }
        for (const key of declared.keys()) {
            if (key.startsWith("path:") && !templated.includes(key.slice(5))) {
                fail(`${where}: declares path parameter ${key.slice(5)} that is not in the path`);
            }
        }
        const security = op.security ?? globalSecurity;
        const responses = op.responses ?? {};
        if (!responses["200"]) {
            fail(`${where}: no 200 response`);
        }
        if (security.length > 0 && !responses["401"]) {
            fail(`${where}: needs the bearer token but does not list 401`);
        }
        for (const [status, r0] of Object.entries(responses)) {
            let r;
            try {
                r = deref(doc, r0);
            } catch (e) {
                fail(`${where} ${status}: ${e.message}`);
                continue;
            }
            const content = r.content ?? {};
            if (Object.keys(content).length === 0) {
                fail(`${where} ${status}: no content (every answer of the API has a body)`);
            }
            for (const [media, m] of Object.entries(content)) {
                const at = `${where} ${status} ${media}`;
                if (!m.schema) {
                    fail(`${at}: no schema`);
                    continue;
                }
                try {
                    compile(m.schema);
                } catch (e) {
                    fail(`${at}: schema does not compile: ${e.message}`);
                    continue;
                }
                if ("example" in m) {
                    checkExample(m.schema, m.example, `${at} example`);
                }
                for (const [name, ex0] of Object.entries(m.examples ?? {})) {
                    const ex = deref(doc, ex0);
                    if ("value" in ex) {
                        checkExample(m.schema, ex.value, `${at} examples/${name}`);
                    }
                }
            }
        }
    }
}
for (const [name, schema] of Object.entries(schemas)) {
    for (const [i, value] of (schema.examples ?? []).entries()) {
        checkExample({ $ref: `#/components/schemas/${name}` }, value,
            `components/schemas/${name} examples/${i}`);
    }
}
console.log(`ok   ${operations} operations on ${Object.keys(doc.paths ?? {}).length} paths ` +
    `checked, ${examples} examples validated`);

if (problems.length > 0) {
    console.log(`FAIL ${file}: ${problems.length} problem(s)`);
    process.exit(1);
}
console.log(`PASS ${file} is a valid OpenAPI ${doc.openapi} document`);
