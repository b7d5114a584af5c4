// A client written by someone else: ccxt's Bybit adapter (ccxt.pro), unchanged except for its
// URLs, keeps an order book from `mdgate sim`; the book must equal the simulator's truth.
// Usage: node ccxt_orderbook_test.mjs PORT
import ccxt from 'ccxt';

const port = process.argv[2];
const rest = `http://127.0.0.1:${port}`;
let passed = 0;
let failed = 0;
const check = (name, ok, detail = '') => {
    if (ok) {
        passed++;
    } else {
        failed++;
        console.log(`FAIL: ${name} ${detail}`);
    }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ex = new ccxt.pro.bybit({ enableRateLimit: false });
for (const k of ['spot', 'futures', 'v2', 'public', 'private']) {
    ex.urls.api[k] = rest;
}
for (const k of ['spot', 'linear', 'inverse', 'option']) {
    ex.urls.api.ws.public[k] = `ws://127.0.0.1:${port}/v5/public/${k}`;
}
ex.options.fetchMarkets = { types: ['linear'] };
ex.options.adjustForTimeDifference = false;

async function control(body) {
    const r = await fetch(`${rest}/sim/control`, { method: 'POST', body: JSON.stringify(body) });
    return r.status;
}

async function compare(symbol, topic, limit) {
    // Pause the market and let ccxt apply what is in flight.
    check(`pause for ${topic}`, (await control({ action: 'pause' })) === 200);
    await sleep(500);
    const truth = await (await fetch(`${rest}/sim/truth/book?category=linear&topic=${topic}`)).json();
    const ob = ex.orderbooks[symbol];
    // ccxt's Bybit adapter does not keep the update id (nor check it), so only the levels
    // can be compared.
    const bids = ob.bids.slice(0, limit);
    const asks = ob.asks.slice(0, limit);
    check(`${topic} bid count`, bids.length === truth.bids.length, `${bids.length} vs ${truth.bids.length}`);
    check(`${topic} ask count`, asks.length === truth.asks.length, `${asks.length} vs ${truth.asks.length}`);
    let same = true;
    for (let i = 0; i < truth.bids.length; i++) {
        same &&= bids[i] && bids[i][0] === Number(truth.bids[i][0]) && bids[i][1] === Number(truth.bids[i][1]);
    }
    for (let i = 0; i < truth.asks.length; i++) {
        same &&= asks[i] && asks[i][0] === Number(truth.asks[i][0]) && asks[i][1] === Number(truth.asks[i][1]);
    }
    check(`${topic} levels equal the truth`, same);
    check(`resume after ${topic}`, (await control({ action: 'resume' })) === 200);
}

try {
    await ex.loadHttpProxyAgent(); // ccxt needs its agent for plain ws:// URLs
    await ex.loadMarkets();
    check('markets loaded', 'BTC/USDT:USDT' in ex.markets, Object.keys(ex.markets).join(','));
    for (const [symbol, limit] of [['BTC/USDT:USDT', 50], ['ETH/USDT:USDT', 200]]) {
        let updates = 0;
        const until = Date.now() + 3000;
        while (Date.now() < until) {
            await ex.watchOrderBook(symbol, limit);
            updates++;
        }
        check(`${symbol} updates received`, updates > 10, `${updates}`);
        await compare(symbol, `orderbook.${limit}.${symbol.split('/')[0]}USDT`, limit);
    }
} catch (e) {
    failed++;
    console.log(`FAIL: ${e.constructor.name}: ${e.message}`);
} finally {
    await ex.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
