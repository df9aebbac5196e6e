// A tiny peer subgraph for tests/test_federation_router.py: another department's inspections.
//
// It extends the credit gateway's `Subject` (joined on its opaque `id`, the key that is never
// masked) with `inspections`, and has an entity of its own, `Inspection`, that references a
// `Subject`, so a router resolves it through the credit gateway's `_entities`.
//
// PORT: where to listen (127.0.0.1). PEER_INSPECTIONS: JSON [{number, subjectId, finding}].
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

const inspections = JSON.parse(process.env.PEER_INSPECTIONS || '[]');

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Subject @key(fields: "id") {
    id: ID!
    inspections: [Inspection!]!
  }

  type Inspection @key(fields: "number") {
    number: ID!
    finding: String!
    subject: Subject!
  }

  type Query {
    inspections: [Inspection!]!
  }
`);

const byNumber = (number) => inspections.find((i) => i.number === number) ?? null;

const resolvers = {
  Query: { inspections: () => inspections },
  Subject: {
    __resolveReference: ({ id }) => ({ id }),
    inspections: ({ id }) => inspections.filter((i) => i.subjectId === id),
  },
  Inspection: {
    __resolveReference: ({ number }) => byNumber(number),
    subject: (inspection) => ({ __typename: 'Subject', id: inspection.subjectId }),
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(process.env.PORT) },
});
console.log(`inspections subgraph ready at ${url}`);
