// An independent OpenID provider for Casetrail's tests (panva/oidc-provider 9.x).
// Casetrail must accept its JWT access tokens by configuration alone: the issuer,
// JWKS URL, audience and claim names; nothing Casetrail-specific lives here.
//
// Usage: PORT=1234 AUDIENCE=https://casetrail.example/api node server.js
// Prints "ready <issuer>" on stdout once listening.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT || 0);
const audience = process.env.AUDIENCE || 'https://casetrail.example/api'; // must be an absolute URI
const otherAudience = 'https://other-api.example';
const issuer = `http://127.0.0.1:${port}`;

function signingKey(type, options, alg) {
  const jwk = generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomUUID(), alg, use: 'sig' };
}

// Organisation and roles of each client, as a Keycloak-like provider would put
// them: org at the top level, roles under realm_access.roles.
const clientClaims = {
  'partner-app': { org: 'unhcr', realm_access: { roles: ['caseworker', 'offline_access'] } },
  'no-roles-app': { org: 'unhcr', realm_access: { roles: ['offline_access'] } },
};

const configuration = {
  clients: Object.keys(clientClaims).map((id) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
    ],
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== audience && resourceIndicator !== otherAudience) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'cases',
          audience: resourceIndicator,
          accessTokenTTL: 300, // JWT access tokens cannot be introspected: keep them short
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: process.env.TOKEN_ALG || 'ES256' } },
        };
      },
    },
  },
  extraTokenClaims(ctx, token) {
    return clientClaims[token.clientId] || {};
  },
};

const provider = new Provider(issuer, configuration);
const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
