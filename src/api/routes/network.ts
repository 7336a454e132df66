// The network a node belongs to, as its network file lists it: every domain with its node's API
// address, so a dashboard opened on one node finds the others.
import { toHex } from '../../crypto/index.js';
import * as S from '../schemas.js';
import { json, notEnabled, type Route, type RouteContext } from './route.js';

export function networkRoutes({ node }: RouteContext): Route[] {
  return [
    {
      method: 'GET',
      url: '/v1/network',
      operationId: 'getNetwork',
      summary: "The domains of this node's network and their API addresses",
      tags: ['remotes'],
      responses: { 200: json('the network', S.NetworkSchema) },
      handler: async () => {
        if (!node.members) notEnabled('network file');
        return {
          domains: node.members().map((m) => ({ name: m.name, domainId: toHex(m.domainId), api: m.api })),
        };
      },
    },
  ];
}
