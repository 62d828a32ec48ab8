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
  /** The command's own output about this chain, for a failure report. */
  output: string;
}

export interface OpensslJob {
  leaf: Buffer;
  untrusted: Buffer[];
  anchors: Buffer[];
}

/**
 * `openssl verify` as a TLS server that asks for client certificates would
 * verify them: purpose sslclient, security level 2 (the level OpenSSL's TLS
 * applies to a peer's chain by default on Debian and from OpenSSL 3.2 on),
 * RFC 5280 strictness, any trusted certificate an anchor (-partial_chain, as
 * the platform trusts uploaded intermediates), the system's CAs left out, and
 * the time fixed at `at`.
 *
 * Several chains go to one process (a process costs about 10 ms, a chain
 * well under 1): their anchors in one CA file, what their devices send in one
 * untrusted file, each leaf in a file of its own. Chains cannot mix: every
 * name in a chain carries the chain's number.
 */
export async function opensslVerify(jobs: OpensslJob[], at: number): Promise<OpensslVerdict[]> {
  const dir = await mkdtemp(join(tmpdir(), 'c8y-differential-'));
  try {
    const leaves = jobs.map((_, i) => join(dir, `leaf-${i}.pem`));
    await Promise.all(jobs.map((job, i) => writeFile(leaves[i]!, pemOf(job.leaf))));
    await writeFile(join(dir, 'anchors.pem'), pemOf(...jobs.flatMap((job) => job.anchors)));
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
    const untrusted = jobs.flatMap((job) => job.untrusted);
    if (untrusted.length > 0) {
      await writeFile(join(dir, 'untrusted.pem'), pemOf(...untrusted));
      args.push('-untrusted', join(dir, 'untrusted.pem'));
    }
    args.push(...leaves);
    let stdout = '';
    let stderr = '';
    try {
      ({ stdout, stderr } = await run('openssl', args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }));
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string; code?: unknown };
      if (typeof failure.code !== 'number') throw error;
      ({ stdout = '', stderr = '' } = failure);
    }
    return leaves.map((leaf) => verdictOf(leaf, stdout, stderr, dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One leaf's verdict. apps/verify.c prints "<file>: OK" on stdout; on stderr,
 * for a leaf that fails, each error (a subject line, then "error N at D depth
 * lookup: ...") and then "error <file>: verification failed".
 */
function verdictOf(leaf: string, stdout: string, stderr: string, dir: string): OpensslVerdict {
  if (stdout.split('\n').includes(`${leaf}: OK`)) return { ok: true, errors: [], output: 'OK' };
  const end = stderr.indexOf(`error ${leaf}: verification failed`);
  if (end < 0) {
    const output = `${stdout}${stderr}`.replaceAll(dir, '.');
    return { ok: false, errors: [{ code: -1, depth: 0, text: `no verdict for ${leaf}` }], output };
  }
  // This leaf's lines follow the previous failed leaf's verdict line.
  const before = stderr.slice(0, end);
  const marker = ': verification failed\n';
  const previous = before.lastIndexOf(marker);
  const output = before.slice(previous < 0 ? 0 : previous + marker.length).trim();
  const errors = [...output.matchAll(/^error (\d+) at (\d+) depth lookup: (.*)$/gm)].map((m) => ({
    code: Number(m[1]),
    depth: Number(m[2]),
    text: m[3]!,
  }));
  if (errors.length === 0) errors.push({ code: -1, depth: 0, text: output || 'verification failed' });
  return { ok: false, errors, output: output.replaceAll(dir, '.') };
}
