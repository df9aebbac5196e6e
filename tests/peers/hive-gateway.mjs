// Hive Gateway (MIT, The Guild) composing the credit gateway's subgraph with a department source
// (demo/licensing_source), past one machine (README, "Running behind Hive Gateway"; tests/test_hive_gateway.py).
//
// Both subgraphs run unchanged: the router signs its calls in the gateway's own scheme
// (domain/source_signing.py): to the department source with the source's key, to the credit gateway
// with its router secret (CREDIT_GATEWAY_ROUTER_SECRET: `_entities` refuses unsigned calls then). It
// forwards the reader's `Authorization`, `X-Query-Purpose`, `X-Query-Basis` and `X-Request-Id` to the
// credit gateway only.
//
// PORT: where to listen (127.0.0.1). CREDIT_URL, LICENSING_URL: the subgraphs' GraphQL endpoints.
// LICENSING_KEY: the source's signing key; ROUTER_SECRET: the credit gateway's router secret.
import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

const FORWARDED_HEADERS = ['authorization', 'x-query-purpose', 'x-query-basis', 'x-request-id'];
const SIGNED_HEADERS = ['x-credit-gateway-department', 'x-credit-gateway-purpose', 'x-credit-gateway-basis',
  'x-credit-gateway-request-id'];
const SUBGRAPHS = [
  { name: 'credit', url: process.env.CREDIT_URL, key: process.env.ROUTER_SECRET },
  { name: 'licensing', url: process.env.LICENSING_URL, key: process.env.LICENSING_KEY },
];

/** The signature headers of a call (domain/source_signing.py: v1, timestamp, method, path, sha256(body), headers). */
function signed(key, url, body, headers = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const carried = SIGNED_HEADERS.map((name) => headers[name] ?? '').join('\n');
  const text = ['v1', timestamp, 'POST', new URL(url).pathname, createHash('sha256').update(body).digest('hex'),
    carried].join('\n');
  return {
    'x-credit-gateway-timestamp': timestamp,
    'x-credit-gateway-signature': `v1=${createHmac('sha256', key).update(text).digest('hex')}`,
  };
}

async function sdlOf({ url, key }) {
  const body = JSON.stringify({ query: '{ _service { sdl } }' });
  const headers = { 'content-type': 'application/json', ...(key ? signed(key, url, body) : {}) };
  const answer = await (await fetch(url, { method: 'POST', body, headers })).json();
  return answer.data._service.sdl;
}

// The composition library reads Federation links up to v2.9; strawberry links v2.11 by default, and both
// subgraphs import only @key (the same in every 2.x), so a later link is read as v2.9.
const readable = (sdl) => sdl.replace(/specs\.apollo\.dev\/federation\/v2\.(\d+)/g,
  (link, minor) => (Number(minor) > 9 ? 'specs.apollo.dev/federation/v2.9' : link));

const composed = composeServices(await Promise.all(SUBGRAPHS.map(async (subgraph) => ({
  name: subgraph.name, url: subgraph.url, typeDefs: parse(readable(await sdlOf(subgraph))),
}))));
if (composed.errors) {
  console.error(composed.errors.map(String).join('\n'));
  process.exit(2);
}

const keyOf = new Map(SUBGRAPHS.map(({ url, key }) => [new URL(url).href, key]));
const signing = {
  onFetch({ url, options, setOptions }) {
    const key = keyOf.get(new URL(url).href);
    if (!key || typeof options.body !== 'string') return;
    const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    setOptions({ ...options, headers: { ...headers, ...signed(key, url, options.body, headers) } });
  },
};

const gateway = createGatewayRuntime({
  supergraph: composed.supergraphSdl,
  graphqlEndpoint: '/',
  landingPage: false,
  logging: process.env.HIVE_LOGGING ?? 'error',
  maskedErrors: process.env.HIVE_MASKED_ERRORS !== 'false',
  plugins: () => [signing],
  propagateHeaders: {
    fromClientToSubgraphs: ({ request, subgraphName }) => subgraphName !== 'credit' ? {} : Object.fromEntries(
      FORWARDED_HEADERS.filter((name) => request.headers.has(name)).map((name) => [name, request.headers.get(name)])),
  },
});

createServer(gateway).listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`hive gateway ready at http://127.0.0.1:${process.env.PORT}/`);
});
