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
  // (comma-separated, e.g. https://console.example.com; `*` for any). The methods a preflight allows are
  // those the functions' routes serve (and OPTIONS), read from this file's functions: a new route's method
  // is allowed with it, never from a list kept apart.
  async cors({ resolveVariable, resolveConfigurationProperty }) {
    const origins = list(await param(resolveVariable, 'corsOrigins'));
    if (!origins.length) return false;
    return {
      allowedOrigins: origins,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Liverec-Signature'],
      allowedMethods: routeMethods(await resolveConfigurationProperty(['functions'])),
      exposedResponseHeaders: ['Idempotent-Replayed'],
      maxAge: 600,
    };
  },

  routeMethods,
};

// The methods of every httpApi event ({method, path}, or the short form "GET /path"), upper-cased and
// sorted, with OPTIONS (the preflight's own); any method ("*" or ANY) allows them all.
function routeMethods(functions) {
  const methods = new Set(['OPTIONS']);
  for (const fn of Object.values(functions || {})) {
    for (const event of (fn && fn.events) || []) {
      const spec = event && event.httpApi;
      if (!spec) continue;
      const method = typeof spec === 'string' ? (spec === '*' ? '*' : spec.split(' ')[0]) : spec.method || '*';
      methods.add(String(method).toUpperCase());
    }
  }
  return methods.has('*') || methods.has('ANY') ? ['*'] : [...methods].sort();
}
