// Checks a running gateway against its OpenAPI document: fetches every GET endpoint of the
// document (the operational ones, then /v1/instruments and, for every instrument it lists,
// every data endpoint with parameter variants), and for each response checks that
//  - its status is the one the case expects and one the document lists for the operation;
//  - its content type is one the document lists for that status;
//  - its body validates against that response's schema (ajv, JSON Schema 2020-12, $refs
//    resolved into the document's components);
//  - for some cases, what docs/api.md says beyond the schema: error codes, limits, order,
//    the book checksum, /v1/openapi.json equal to the document.
// Bad parameters must give 400 (bad_parameter / bad_category), an unknown symbol 404
// (unknown_instrument), and, when a token is given, a request without it 401.
// Usage: node openapi_responses.mjs <openapi.json> <base_url> [token]
// Prints one line per checked response; exit 0 all good, 1 any mismatch, 2 usage.
import { isDeepStrictEqual } from "node:util";
import {
    compilerFor, deref, formatErrors, HTTP_METHODS, loadDocument, makeAjv, mediaEssence,
} from "./openapi_lib.mjs";

const [docPath, baseArg, token] = process.argv.slice(2);
if (!docPath || !baseArg) {
    console.error("usage: node openapi_responses.mjs <openapi.json> <base_url> [token]");
    process.exit(2);
}
const base = baseArg.replace(/\/+$/, "");
const doc = loadDocument(docPath);
const compile = compilerFor(makeAjv(doc));

const INTERVALS = ["1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"];
const CATEGORIES = ["spot", "linear", "inverse", "option"];

// The document's path templates as regular expressions, most literal first.
const templates = Object.keys(doc.paths)
    .map((t) => ({
        template: t,
        re: new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
        literal: t.replace(/\{[^}]+\}/g, "").length,
    }))
    .sort((a, b) => b.literal - a.literal);
const templateOf = (path) => templates.find((t) => t.re.test(path))?.template;

let checked = 0;
let failed = 0;

/// One request and its checks. `c`: path, query, method (GET), auth ("token", "none",
/// "wrong"), expect (status or statuses), code (expected error.code), semantic (body =>
/// problems, run on a valid 200 body), fallback (schema $ref for a path the document does not
/// have). Returns {status, body, valid}.
async function check(c) {
    const method = c.method ?? "GET";
    const url = `${base}${c.path}${c.query ? `?${c.query}` : ""}`;
    const shown = `${method} ${c.path}${c.query ? `?${c.query}` : ""}` +
        (c.auth === "none" ? " (no token)" : c.auth === "wrong" ? " (wrong token)" : "");
    const headers = {};
    const auth = c.auth ?? "token";
    if (token && auth === "token") {
        headers.authorization = `Bearer ${token}`;
    } else if (token && auth === "wrong") {
        headers.authorization = `Bearer ${token}-wrong`;
    }
    ++checked;
    const problems = [];
    let resp;
    let text;
    try {
        resp = await fetch(url, { method, headers, redirect: "manual",
                                  signal: AbortSignal.timeout(10000) });
        text = await resp.text();
    } catch (e) {
        ++failed;
        console.log(`FAIL ${shown}: request failed: ${e.cause?.message ?? e.message}`);
        return { status: 0, body: undefined, valid: false };
    }
    const status = resp.status;
    const expect = [].concat(c.expect ?? 200);
    if (!expect.includes(status)) {
        problems.push(`status ${status}, expected ${expect.join(" or ")}` +
            (text.length > 0 ? ` (body: ${text.slice(0, 200).trim()})` : ""));
    }

    // The response object the document gives for this status.
    let responseObj;
    let where;
    const template = templateOf(c.path);
    if (template) {
        const item = doc.paths[template];
        const op = item[method.toLowerCase()] ?? (method === "HEAD" ? item.get : undefined);
        where = `${method} ${template}`;
        if (!op) {
            problems.push(`the document has no ${method} for ${template}`);
        } else {
            const s = String(status);
            const r = op.responses?.[s] ?? op.responses?.[`${s[0]}XX`] ?? op.responses?.default;
            if (!r) {
                problems.push(`status ${status} is not listed by the document for ${where} ` +
                    `(it lists ${Object.keys(op.responses ?? {}).join(", ")})`);
            } else {
                responseObj = deref(doc, r);
            }
        }
    } else if (c.fallback) {
        where = c.fallback;
        responseObj = { content: { "application/json": { schema: { $ref: c.fallback } } } };
    } else {
        problems.push("no path of the document matches");
    }

    let body;
    let valid = false;
    let schemaName = "";
    if (responseObj) {
        for (const [name, h] of Object.entries(responseObj.headers ?? {})) {
            if (deref(doc, h).required && !resp.headers.has(name)) {
                problems.push(`header ${name} missing`);
            }
        }
        const ctype = resp.headers.get("content-type");
        const essence = mediaEssence(ctype);
        const content = responseObj.content ?? {};
        const media = content[essence] ?? content[`${essence.split("/")[0]}/*`] ?? content["*/*"];
        if (method === "HEAD") {
            if (text.length !== 0) {
                problems.push(`HEAD answered with a body of ${text.length} bytes`);
            }
            if (Object.keys(content).length > 0 && !media) {
                problems.push(`content type ${ctype} is not one the document lists ` +
                    `(${Object.keys(content).join(", ")})`);
            }
            valid = problems.length === 0;
        } else if (Object.keys(content).length === 0) {
            valid = text.length === 0;
            if (!valid) {
                problems.push("the document lists no content but the answer has a body");
            }
        } else if (!media) {
            problems.push(`content type ${ctype} is not one the document lists ` +
                `(${Object.keys(content).join(", ")})`);
        } else {
            schemaName = media.schema?.$ref ?? essence;
            body = text;
            let parsed = true;
            if (essence === "application/json" || essence.endsWith("+json")) {
                try {
                    body = JSON.parse(text);
                } catch (e) {
                    parsed = false;
                    problems.push(`body is not JSON (${e.message}): ${text.slice(0, 200)}`);
                }
            }
            if (parsed) {
                const fn = compile(media.schema ?? {});
                valid = fn(body);
                if (!valid) {
                    for (const line of formatErrors(fn.errors)) {
                        problems.push(`schema ${schemaName}: ${line}`);
                    }
                }
            }
        }
    }
    if (c.code !== undefined && body?.error?.code !== c.code) {
        problems.push(`error code ${JSON.stringify(body?.error?.code)}, expected ${c.code}`);
    }
    if (c.semantic && valid && status === 200 && method !== "HEAD") {
        problems.push(...c.semantic(body));
    }
    const what = `${status}${schemaName ? ` ${schemaName.replace("#/components/schemas/", "")}` : ""}`;
    if (problems.length === 0) {
        console.log(`ok   ${shown} -> ${what}`);
    } else {
        ++failed;
        console.log(`FAIL ${shown} -> ${what}`);
        for (const p of problems) {
            console.log(`       ${p}`);
        }
    }
    return { status, body, valid };
}

// --- what docs/api.md says beyond the schema ------------------------------------------------

/// Compares two canonical decimal strings exactly (no floating point).
function cmpDecimal(a, b) {
    const split = (s) => {
        const neg = s.startsWith("-");
        const [i, f = ""] = (neg ? s.slice(1) : s).split(".");
        return { neg, i, f };
    };
    const x = split(a);
    const y = split(b);
    const scale = Math.max(x.f.length, y.f.length);
    const big = (d) => BigInt(`${d.neg ? "-" : ""}${d.i}${d.f.padEnd(scale, "0")}`);
    const d = big(x) - big(y);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
}

const CRC_TABLE = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; ++n) {
        let c = n;
        for (let k = 0; k < 8; ++k) {
            c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        }
        t[n] = c >>> 0;
    }
    return t;
})();
function crc32(s) {
    let c = 0xffffffff;
    for (const b of Buffer.from(s, "latin1")) {
        c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    }
    return (c ^ 0xffffffff) >>> 0;
}
/// docs/api.md "The book checksum": top 25 levels, bid then ask per rank, joined with ":".
function bookChecksum(bids, asks) {
    const parts = [];
    for (let i = 0; i < 25; ++i) {
        if (i < bids.length) {
            parts.push(bids[i][0], bids[i][1]);
        }
        if (i < asks.length) {
            parts.push(asks[i][0], asks[i][1]);
        }
    }
    return crc32(parts.join(":"));
}

function sameInstrument(body, inst) {
    const p = [];
    for (const k of ["venue", "category", "symbol"]) {
        if (body[k] !== inst[k]) {
            p.push(`${k} ${JSON.stringify(body[k])}, expected ${JSON.stringify(inst[k])}`);
        }
    }
    return p;
}

function bookProblems(book, depth, allowStale) {
    const p = [];
    for (const side of ["bids", "asks"]) {
        if (book[side].length > depth) {
            p.push(`${side}: ${book[side].length} levels, more than depth=${depth}`);
        }
        const want = side === "bids" ? 1 : -1; // bids descending, asks ascending
        for (let i = 1; i < book[side].length; ++i) {
            if (cmpDecimal(book[side][i - 1][0], book[side][i][0]) !== want) {
                p.push(`${side}: not sorted best first at level ${i}`);
                break;
            }
        }
        if (book[side].some((l) => cmpDecimal(l[1], "0") <= 0)) {
            p.push(`${side}: a level with size <= 0`);
        }
    }
    if (book.bids.length > 0 && book.asks.length > 0 &&
        cmpDecimal(book.bids[0][0], book.asks[0][0]) >= 0) {
        p.push(`crossed: best bid ${book.bids[0][0]} >= best ask ${book.asks[0][0]}`);
    }
    const sum = bookChecksum(book.bids, book.asks);
    if (sum !== book.checksum) {
        p.push(`checksum ${book.checksum}, expected ${sum} (CRC-32 of the levels served)`);
    }
    if (!allowStale && book.state !== "live") {
        p.push(`state ${book.state} served without allow_stale=1 (expected 503 book_not_live)`);
    }
    return p;
}

function countAtMost(list, n, what) {
    return list.length > n ? [`${what}: ${list.length} items, more than ${n}`] : [];
}

function ordered(list, key, dir, what) {
    for (let i = 1; i < list.length; ++i) {
        const a = list[i - 1][key];
        const b = list[i][key];
        if (dir === "newest first" ? a < b : a >= b) {
            return [`${what}: not ${dir} at ${i} (${key} ${a} then ${b})`];
        }
    }
    return [];
}

function firstDifference(a, b, path = "") {
    if (isDeepStrictEqual(a, b)) {
        return undefined;
    }
    if (a && b && typeof a === "object" && typeof b === "object" &&
        Array.isArray(a) === Array.isArray(b)) {
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
            const d = firstDifference(a[k], b[k], `${path}/${k}`);
            if (d) {
                return d;
            }
        }
    }
    return path || "(root)";
}

// --- the cases --------------------------------------------------------------------------------

console.log(`checking ${base} against ${docPath}`);

await check({ path: "/healthz", auth: "none" });
await check({ path: "/readyz", expect: [200, 503] });
await check({ path: "/v1/status" });
await check({ path: "/metrics" });
await check({
    path: "/v1/openapi.json",
    semantic: (body) => {
        const d = firstDifference(body, doc);
        return d ? [`differs from ${docPath} (JSON-parsed) at ${d}`] : [];
    },
});
await check({ path: "/v1/nope", expect: 404, code: "not_found",
              fallback: "#/components/schemas/NotFoundError" });
await check({ path: "/v1/book/linear", expect: 404, code: "not_found",
              fallback: "#/components/schemas/NotFoundError" });

const list = await check({ path: "/v1/instruments" });
await check({ path: "/v1/instruments", method: "HEAD" });
const instruments = list.valid ? list.body.instruments : [];
if (instruments.length === 0) {
    ++checked;
    ++failed;
    console.log("FAIL no instruments to check (GET /v1/instruments gave none or an invalid " +
        "answer): the data endpoints are not checked");
}

const ENDPOINTS = ["market", "book", "ticker", "trades", "klines", "liquidations", "open-interest"];

for (const inst of instruments) {
    const { category, symbol, channels } = inst;
    const path = (ep, cat = category, sym = symbol) =>
        `/v1/${ep}/${encodeURIComponent(cat)}/${encodeURIComponent(sym)}`;
    console.log(`--- ${inst.venue} ${category} ${symbol}: ${channels.map((c) => c.topic).join(", ")}`);
    const books = channels.filter((c) => c.channel === "orderbook");
    const depths = [...new Set(books.map((c) => c.depth))].sort((a, b) => a - b);
    const maxDepth = depths.at(-1) ?? 0;
    const booksLive = books.length > 0 && books.every((c) => c.state === "live");
    const bookOk = booksLive ? 200 : [200, 503];
    const intervals = channels.filter((c) => c.channel === "kline").map((c) => c.interval);
    const ticker = channels.find((c) => c.channel === "tickers");
    const tickerOk = ticker && ticker.age_seconds >= 0 ? 200 : [200, 404];
    const hasTrades = channels.some((c) => c.channel === "publicTrade");
    const hasLiquidations = channels.some((c) => c.channel === "allLiquidation");
    const missing = { expect: 404, code: "not_found" };

    // /v1/book
    if (books.length === 0) {
        await check({ path: path("book"), ...missing });
    } else {
        const variants = [
            [undefined, 50, false], ["depth=1", 1, false], ["allow_stale=1", 50, true],
            ["depth=1&allow_stale=1", 1, true], ["depth=1000", 1000, false],
            ...depths.map((d) => [`depth=${d}`, d, false]),
        ];
        if (maxDepth < 1000) {
            variants.push([`depth=${maxDepth + 1}`, maxDepth + 1, false]);
        }
        for (const [query, depth, stale] of variants) {
            await check({
                path: path("book"), query, expect: stale ? 200 : bookOk,
                semantic: (b) => [...sameInstrument(b, inst), ...bookProblems(b, depth, stale)],
            });
        }
        await check({ path: path("book"), query: "allow_stale=1", method: "HEAD" });
    }

    // /v1/ticker
    await check({
        path: path("ticker"), ...(ticker ? { expect: tickerOk } : missing),
        semantic: (b) => sameInstrument(b, inst),
    });

    // /v1/trades
    for (const [query, limit] of [[undefined, 100], ["limit=1", 1], ["limit=1000", 1000]]) {
        await check({
            path: path("trades"), query, ...(hasTrades ? {} : missing),
            semantic: (b) => [...sameInstrument(b, inst), ...countAtMost(b.trades, limit, "trades"),
                              ...ordered(b.trades, "ts_exchange", "newest first", "trades")],
        });
    }

    // /v1/klines
    if (intervals.length === 0) {
        await check({ path: path("klines"), ...missing });
    } else {
        const variants = [[undefined, 200, undefined], ["limit=1", 1, undefined],
                          ["limit=1440", 1440, undefined],
                          ...intervals.map((i) => [`interval=${i}&limit=5`, 5, i])];
        for (const [query, limit, interval] of variants) {
            await check({
                path: path("klines"), query,
                semantic: (b) => [
                    ...sameInstrument(b, inst), ...countAtMost(b.candles, limit, "candles"),
                    ...ordered(b.candles, "start", "oldest first", "candles"),
                    ...(b.candles.some((k) => k.end <= k.start) ? ["a candle with end <= start"] : []),
                    ...((interval ?? intervals[0]) !== b.interval &&
                        !(interval === undefined && intervals.includes(b.interval))
                        ? [`interval ${b.interval}, expected ${interval ?? intervals.join(" or ")}`]
                        : []),
                ],
            });
        }
        const unsubscribed = INTERVALS.find((i) => !intervals.includes(i));
        if (unsubscribed) {
            await check({ path: path("klines"), query: `interval=${unsubscribed}`, ...missing });
        }
    }

    // /v1/liquidations
    const recent = (Date.now() - 3600 * 1000) * 1000;
    for (const [query, limit, since] of [[undefined, 100, 0], ["since=0", 100, 0],
                                         [`since=${recent}&limit=5`, 5, recent],
                                         ["limit=1", 1, 0], ["limit=10000", 10000, 0]]) {
        await check({
            path: path("liquidations"), query, ...(hasLiquidations ? {} : missing),
            semantic: (b) => [
                ...sameInstrument(b, inst), ...countAtMost(b.liquidations, limit, "liquidations"),
                ...ordered(b.liquidations, "ts_exchange", "newest first", "liquidations"),
                ...(b.liquidations.some((l) => l.ts_exchange < since)
                    ? [`a liquidation older than since=${since}`] : []),
            ],
        });
    }

    // /v1/open-interest
    await check({
        path: path("open-interest"), expect: tickerOk,
        semantic: (b) => [...sameInstrument(b, inst),
                          ...ordered(b.history, "ts", "oldest first", "history")],
    });

    // /v1/market
    const marketProblems = (b, q) => {
        const p = [...sameInstrument(b, inst)];
        if ((b.book === null) !== (books.length === 0)) {
            p.push(`book is ${b.book === null ? "null" : "present"} but the instrument has ` +
                `${books.length} book channel(s)`);
        }
        if (b.book) {
            p.push(...sameInstrument(b.book, inst).map((x) => `book: ${x}`),
                   ...bookProblems(b.book, Number(q.depth ?? 50), q.allow_stale === "1").map((x) => `book: ${x}`));
        }
        p.push(...countAtMost(b.trades, Number(q.trades ?? 100), "trades"),
               ...ordered(b.trades, "ts_exchange", "newest first", "trades"),
               ...countAtMost(b.liquidations, Number(q.liquidations ?? 100), "liquidations"),
               ...ordered(b.liquidations, "ts_exchange", "newest first", "liquidations"));
        if (b.klines) {
            p.push(...countAtMost(b.klines.candles, Number(q.limit ?? 200), "klines.candles"),
                   ...ordered(b.klines.candles, "start", "oldest first", "klines.candles"));
            if (q.interval && b.klines.interval !== q.interval) {
                p.push(`klines.interval ${b.klines.interval}, expected ${q.interval}`);
            }
        } else if (intervals.length > 0) {
            p.push("klines is null but the instrument has kline channels");
        }
        const topics = (l) => l.map((c) => c.topic).sort();
        if (!isDeepStrictEqual(topics(b.channels), topics(channels))) {
            p.push("channels differ from /v1/instruments");
        }
        return p;
    };
    const marketVariants = [
        {}, { allow_stale: "1" },
        { depth: "1", trades: "5", limit: "3", liquidations: "2" },
        { depth: String(Math.max(maxDepth, 1)), trades: "1000", limit: "1440", liquidations: "10000" },
        ...intervals.map((i) => ({ interval: i, limit: "2" })),
    ];
    for (const q of marketVariants) {
        const query = new URLSearchParams(q).toString() || undefined;
        await check({
            path: path("market"), query,
            expect: q.allow_stale === "1" || books.length === 0 ? 200 : bookOk,
            semantic: (b) => marketProblems(b, q),
        });
    }

    // Bad parameters: 400 bad_parameter.
    const bad = {
        market: ["depth=0", "depth=1001", "depth=abc", "trades=-1", "trades=1001", "limit=0",
                 "limit=1441", "liquidations=-1", "liquidations=10001", "interval=7",
                 "allow_stale=yes"],
        book: ["depth=0", "depth=1001", "depth=abc", "depth=1.5", "depth=-1", "allow_stale=yes"],
        trades: ["limit=0", "limit=1001", "limit=abc", "limit=-5"],
        klines: ["limit=0", "limit=1441", "limit=x", "interval=7", "interval=abc"],
        liquidations: ["limit=0", "limit=10001", "limit=abc", "since=abc", "since=1.5"],
    };
    for (const [ep, queries] of Object.entries(bad)) {
        for (const query of queries) {
            await check({ path: path(ep), query, expect: 400, code: "bad_parameter" });
        }
    }

    // Bad category: 400 bad_category; unknown symbol or category: 404 unknown_instrument.
    const otherCategory = CATEGORIES.find(
        (c) => !instruments.some((i) => i.category === c && i.symbol === symbol));
    for (const ep of ENDPOINTS) {
        await check({ path: path(ep, "futures"), expect: 400, code: "bad_category" });
        await check({ path: path(ep, category, "NOSUCHSYMBOL"), expect: 404,
                      code: "unknown_instrument" });
        if (otherCategory) {
            await check({ path: path(ep, otherCategory), expect: 404, code: "unknown_instrument" });
        }
    }
}

// Authentication: without the token every operation but the public ones answers 401.
if (token) {
    console.log("--- authentication");
    // The token is checked before the path: any instrument will do when there is none.
    const inst = instruments[0] ?? { category: "linear", symbol: "BTCUSDT" };
    for (const [template, item] of Object.entries(doc.paths)) {
        for (const method of HTTP_METHODS) {
            const op = item[method];
            if (!op || method !== "get") {
                continue;
            }
            const security = op.security ?? doc.security ?? [];
            const isPublic = security.length === 0 || security.some((s) => Object.keys(s).length === 0);
            const concrete = template.replace("{category}", inst.category)
                .replace("{symbol}", encodeURIComponent(inst.symbol));
            await check({ path: concrete, auth: "none", expect: isPublic ? 200 : 401 });
        }
    }
    await check({ path: "/v1/instruments", auth: "wrong", expect: 401 });
    await check({ path: `/v1/book/${inst.category}/${encodeURIComponent(inst.symbol)}`,
                  auth: "wrong", expect: 401 });
} else {
    console.log("--- no token given: 401 answers not checked");
}

if (failed > 0) {
    console.log(`FAIL ${failed} of ${checked} responses do not match ${docPath}`);
    process.exit(1);
}
console.log(`PASS ${checked} responses match ${docPath}`);
