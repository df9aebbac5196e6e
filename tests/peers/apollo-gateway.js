// Apollo's own gateway composing the credit gateway's subgraph with a peer (tests/test_federation_router.py).
//
// The credit gateway decides what a reader sees from the reader's token and declared purpose
// and basis (SPEC 3.1, SPEC 4), so a router in front of it must forward `Authorization`,
// `X-Query-Purpose` and `X-Query-Basis` to it (and to no other subgraph: the token is the reader's).
//
// PORT: where to listen (127.0.0.1). CREDIT_URL, PEER_URL: the subgraphs' GraphQL endpoints.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';

export const FORWARDED_HEADERS = ['authorization', 'x-query-purpose', 'x-query-basis', 'x-request-id'];

class CreditGatewayDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    const headers = context?.headers ?? {}; // composition's own introspection has no client request
    for (const name of FORWARDED_HEADERS) {
      if (headers[name] !== undefined) request.http.headers.set(name, headers[name]);
    }
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({
    subgraphs: [
      { name: 'credit', url: process.env.CREDIT_URL },
      { name: 'inspections', url: process.env.PEER_URL },
    ],
  }),
  buildService: ({ name, url }) =>
    name === 'credit' ? new CreditGatewayDataSource({ url }) : new RemoteGraphQLDataSource({ url }),
});

const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(process.env.PORT) },
  context: async ({ req }) => ({ headers: req.headers }),
});
console.log(`apollo gateway ready at ${url}`);
