// The changes from one SDL to another, by graphql-inspector (pinned in package.json), as JSON lines
// for tests/test_schema_changes.py: [{criticality, type, path, message, reason}], criticality being
// BREAKING, DANGEROUS or NON_BREAKING. The federation definitions file is read with both, so that
// `@link` and `@key` build. By hand:
//   node tests/peers/schema-diff.mjs schema/releases/0.1.0.graphql schema.graphql tests/peers/federation-definitions.graphql
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { diff } from '@graphql-inspector/core';

const [oldPath, newPath, ...shared] = process.argv.slice(2);
if (!oldPath || !newPath) {
  console.error('usage: node schema-diff.mjs OLD.graphql NEW.graphql [DEFINITIONS.graphql ...]');
  process.exit(2);
}
const definitions = shared.map((path) => readFileSync(path, 'utf8')).join('\n');
const schemaOf = (path) => buildSchema(`${readFileSync(path, 'utf8')}\n${definitions}`);
const changes = await diff(schemaOf(oldPath), schemaOf(newPath));
console.log(JSON.stringify(changes.map((change) => ({
  criticality: change.criticality.level,
  type: change.type,
  path: change.path ?? null,
  message: change.message,
  reason: change.criticality.reason ?? null,
})), null, 1));
