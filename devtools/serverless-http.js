'use strict';
// Resolvers for serverless.yml (`${file(./devtools/serverless-http.js):NAME}`): the HTTP API settings that
// depend on whether a stage param is set at all, which Serverless variables alone cannot express. Read at
// `serverless package`/`deploy`/`print` time, offline; nothing here is deployed.

async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}`);
  return value == null ? '' : String(value).trim();
}

function list(value) {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

module.exports = {
  // provider.httpApi.authorizers: the JWT authorizer exists only when its issuer is configured (jwtIssuer);
  // no placeholder issuer is ever deployed.
  async authorizers({ resolveVariable }) {
    const issuerUrl = await param(resolveVariable, 'jwtIssuer');
    if (!issuerUrl) return {};
    if (!issuerUrl.startsWith('https://')) {
      throw new Error(`jwtIssuer must be an https:// URL (API Gateway fetches its keys), not ${issuerUrl}`);
    }
    const audience = list(await param(resolveVariable, 'jwtAudience'));
    if (!audience.length) throw new Error('jwtAudience is empty: the JWT authorizer needs an audience');
    return {
      jwt: { type: 'jwt', identitySource: '$request.header.Authorization', issuerUrl, audience },
    };
  },

  // The authorizer the recordings routes name: 'jwt' when it exists, '' (none: the functions check their
  // bearer tokens, LIVEREC_API_TOKENS) otherwise. Never on the webhooks routes: they verify signatures.
  async routeAuthorizer({ resolveVariable }) {
    return (await param(resolveVariable, 'jwtIssuer')) ? 'jwt' : '';
  },

  // provider.httpApi.cors: off unless corsOrigins lists the browser origins allowed to call the API
  // (comma-separated, e.g. https://console.example.com; `*` for any).
  async cors({ resolveVariable }) {
    const origins = list(await param(resolveVariable, 'corsOrigins'));
    if (!origins.length) return false;
    return {
      allowedOrigins: origins,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Liverec-Signature'],
      allowedMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      exposedResponseHeaders: ['Idempotent-Replayed'],
      maxAge: 600,
    };
  },
};
