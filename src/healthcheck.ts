#!/usr/bin/env node
/**
 * The container's HEALTHCHECK: exit 0 when /_mock/health on the API door ($C8Y_MOCK_API_PORT;
 * the mTLS door's $C8Y_MOCK_PORT when the API door is off or its port not set and the mTLS door
 * serves every API)
 * answers UP, trusting the development CA in $C8Y_MOCK_CERTS_DIR; 1 otherwise. An entry file of
 * its own (not a `c8y-mtls-mock` subcommand) so that a check every few seconds loads node:https
 * only, not the whole server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILES } from './bootstrap/dev-certificate-files.js';
import { checkHealth } from './health/check.js';

const { C8Y_MOCK_API_PORT: apiPort, C8Y_MOCK_PORT: mtlsPort, C8Y_MOCK_MTLS_SERVES: serves } = process.env;
const port =
  apiPort !== undefined && apiPort !== '0'
    ? apiPort
    : serves === 'token' && apiPort === undefined
      ? '9443'
      : (mtlsPort ?? '8443');
const caFile = join(process.env.C8Y_MOCK_CERTS_DIR ?? 'certs', FILES.devCa);

let ca: string;
try {
  ca = readFileSync(caFile, 'utf8');
} catch (error) {
  process.stdout.write(`unhealthy: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code})\n`);
  process.exit(1);
}
const result = await checkHealth({ origin: `https://localhost:${port}`, ca, timeoutMs: 2500 });
process.stdout.write(`${result.healthy ? 'healthy' : 'unhealthy'}: ${result.detail}\n`);
process.exit(result.healthy ? 0 : 1);
