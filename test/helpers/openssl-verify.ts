import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pemOf } from './chain-builder.js';

const run = promisify(execFile);

export interface OpensslError {
  /** X509_V_ERR_* number, as `openssl verify` prints it. */
  code: number;
  /** 0 is the leaf. */
  depth: number;
  text: string;
}

export interface OpensslVerdict {
  ok: boolean;
  /** Every error the verify callback reported (apps/verify.c goes on after most of them). */
  errors: OpensslError[];
  /** The command's own output, for a failure report. */
  output: string;
}

/**
 * `openssl verify` as a TLS server that asks for client certificates would
 * verify them: purpose sslclient, security level 2 (the level OpenSSL's TLS
 * applies to a peer's chain by default on Debian and from OpenSSL 3.2 on),
 * RFC 5280 strictness, any trusted certificate an anchor (-partial_chain, as
 * the platform trusts uploaded intermediates), the system's CAs left out, and
 * the time fixed at `at`.
 */
export async function opensslVerify(
  leaf: Buffer,
  untrusted: Buffer[],
  anchors: Buffer[],
  at: number,
): Promise<OpensslVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'c8y-differential-'));
  try {
    await writeFile(join(dir, 'leaf.pem'), pemOf(leaf));
    await writeFile(join(dir, 'anchors.pem'), pemOf(...anchors));
    const args = [
      'verify',
      '-x509_strict',
      '-purpose',
      'sslclient',
      '-auth_level',
      '2',
      '-partial_chain',
      '-attime',
      String(Math.floor(at / 1000)),
      '-no-CApath',
      '-no-CAstore',
      '-CAfile',
      join(dir, 'anchors.pem'),
    ];
    if (untrusted.length > 0) {
      await writeFile(join(dir, 'untrusted.pem'), pemOf(...untrusted));
      args.push('-untrusted', join(dir, 'untrusted.pem'));
    }
    args.push(join(dir, 'leaf.pem'));
    let stdout = '';
    let stderr = '';
    let code = 0;
    try {
      ({ stdout, stderr } = await run('openssl', args, { timeout: 30_000 }));
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string; code?: number };
      if (typeof failure.code !== 'number') throw error;
      ({ stdout = '', stderr = '', code } = failure);
    }
    const output = `${stdout}${stderr}`.replaceAll(dir, '.');
    const errors = [...output.matchAll(/^error (\d+) at (\d+) depth lookup: (.*)$/gm)].map((m) => ({
      code: Number(m[1]),
      depth: Number(m[2]),
      text: m[3]!,
    }));
    const ok = code === 0 && errors.length === 0 && /: OK$/m.test(stdout);
    if (!ok && errors.length === 0) errors.push({ code: -1, depth: 0, text: output.trim() });
    return { ok, errors, output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
