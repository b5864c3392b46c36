'use strict';
// An osls (Serverless v3/v4) local plugin (listed after serverless-python-requirements, so it runs after the
// dependencies are in the zip): precompile what a cold start imports, as hash-checked bytecode
// (devtools/precompile.py). Runs with the runtime's Python (provider.runtime, python3.13, as the requirements plugin does);
// LIVEREC_PYTHON overrides it. A failure fails the packaging: the artifact could not serve its samples.
// An artifact for another CPU than this machine's (arm64 here on x86_64) is compiled whole instead: its
// samples cannot be served here (devtools/precompile.py says so). The zip is always built in .serverless/
// first (with `--package DIR` the framework moves it there afterwards).
const { execFileSync } = require('child_process');
const path = require('path');

class Precompile {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:createDeploymentArtifacts': () => this.run() };
  }

  run() {
    const dir = this.serverless.serviceDir || this.serverless.config.servicePath;
    const artifact = path.join(dir, '.serverless', `${this.serverless.service.service}.zip`);
    const python = process.env.LIVEREC_PYTHON || this.serverless.service.provider.runtime;
    execFileSync(python, ['-m', 'devtools.precompile', artifact], { cwd: dir, stdio: 'inherit' });
  }
}

module.exports = Precompile;
