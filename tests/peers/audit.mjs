// graphql-http's server audit (GraphQL over HTTP conformance), run `concurrency` times at once against a
// live gateway, so that one audit's malformed requests share group commits with another's good ones.
// Usage: node audit.mjs URL [concurrency]. Prints one summary line per run, then every non-ok audit.
import { auditServer } from 'graphql-http';

const [url, concurrency = '1'] = process.argv.slice(2);
const runs = await Promise.all(Array.from({ length: Number(concurrency) }, () => auditServer({ url })));
for (const results of runs) {
  const count = (status) => results.filter((r) => r.status === status).length;
  console.log(`${count('ok')} ok, ${count('warn')} warn, ${count('error')} error`);
  for (const r of results.filter((r) => r.status !== 'ok')) {
    console.log(`  ${r.status} ${r.id} ${r.name}: ${r.reason}`);
  }
}
