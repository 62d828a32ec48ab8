import t from 'tap';
import {
  type CertificateSummary,
  type DecisionDraft,
  DecisionLog,
} from '../../src/decisions/decision-log.js';
import { TestClock } from '../helpers/clock.js';

/*
 * A device's logins describe the same chain in the same words: the log keeps one copy of the
 * description, shared by the decisions that repeat it (issue 19), and a decision reads exactly as
 * it was recorded whatever it shares.
 */
const leaf = (fingerprint = 'aa11', notAfter = 2_000_000_000_000): CertificateSummary => ({
  subject: 'CN=device-1',
  issuer: 'CN=Fleet CA',
  serialHex: '01',
  fingerprint,
  notBefore: 1_000_000_000_000,
  notAfter,
});

/** A login's decision as the login builds it: every summary and check a new object. */
function login(
  options: {
    fingerprint?: string;
    anchorEnabled?: boolean;
    anchorName?: string;
    notAfter?: number;
    algorithm?: string;
  } = {},
): DecisionDraft {
  const summary = leaf(options.fingerprint, options.notAfter);
  return {
    door: 'rest',
    outcome: 'reused',
    status: 200,
    tenantId: 't100',
    externalId: 'device-1',
    leaf: { ...summary },
    anchor: { name: options.anchorName ?? 'Fleet CA', fingerprint: 'ff00' },
    steps: [
      {
        role: 'leaf',
        certificate: { ...summary },
        checks: [
          { rule: 'not-expired', ok: true, message: `valid until ${summary.notAfter}` },
          {
            rule: 'signature',
            ok: true,
            message: `signature verifies with the key of 'CN=Fleet CA' (${options.algorithm ?? 'SHA256withECDSA'})`,
          },
        ],
      },
      {
        role: 'anchor',
        certificate: { ...leaf('ff00'), subject: 'CN=Fleet CA' },
        checks: [{ rule: 'issuer-is-ca', ok: true, message: 'basicConstraints CA:true' }],
      },
    ],
    chainChecks: [
      {
        rule: 'anchor-enabled',
        ok: options.anchorEnabled ?? true,
        message: `trusted certificate 'Fleet CA' is ${options.anchorEnabled === false ? 'DISABLED' : 'ENABLED'}`,
      },
    ],
    token: { hash: `h${Math.random()}`, issuedAt: 1, expiresAt: 2 },
  };
}

const strip = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

t.test('a repeated description is kept once, and every decision still reads as recorded', async (t) => {
  const log = new DecisionLog(new TestClock(0), 10);
  const drafts = [login(), login(), login()];
  const recorded = drafts.map((draft) => log.record(draft));
  const [first, second, third] = recorded;
  t.equal(second!.steps, first!.steps, 'the steps are the first decision’s');
  t.equal(third!.steps, first!.steps);
  t.equal(second!.chainChecks, first!.chainChecks);
  t.equal(second!.leaf, first!.leaf);
  t.equal(second!.anchor, first!.anchor);
  t.not(second!.token, first!.token, 'what is its own stays its own');
  for (const [i, decision] of log.list().reverse().entries()) {
    t.same(
      strip(decision),
      strip({ id: i + 1, time: 0, ...drafts[i] }),
      `decision ${i + 1} reads as recorded`,
    );
  }
});

t.test('a description that differs in any word is kept as it is', async (t) => {
  const log = new DecisionLog(new TestClock(0), 10);
  const first = log.record(login());
  const disabled = log.record(login({ anchorEnabled: false }));
  t.not(disabled.chainChecks, first.chainChecks, 'a check that failed this time');
  t.equal(disabled.steps, first.steps, 'the steps did not change');
  t.equal(disabled.chainChecks![0]!.ok, false);
  const renamed = log.record(login({ anchorName: 'Fleet CA 2026' }));
  t.not(renamed.anchor, first.anchor, 'an anchor with another name');
  t.equal(renamed.anchor!.name, 'Fleet CA 2026');
  const reworded = log.record(login({ algorithm: 'SHA384withECDSA' }));
  t.not(reworded.steps, first.steps, 'a check that passed in other words');
  t.match(reworded.steps![0]!.checks[1]!.message, /SHA384withECDSA/);
  const renewed = log.record(login({ notAfter: 2_100_000_000_000 }));
  t.not(renewed.leaf, first.leaf, 'a summary with another date');
  t.not(renewed.steps, first.steps);
  t.match(renewed.steps![0]!.checks[0]!.message, /2100000000000/);
  const other = log.record(login({ fingerprint: 'bb22' }));
  t.not(other.leaf, first.leaf, 'another certificate');
  t.equal(other.leaf!.fingerprint, 'bb22');
  // After a change the new words are the ones shared.
  const again = log.record(login({ notAfter: 2_100_000_000_000 }));
  t.equal(again.steps, renewed.steps);
});

/** The same value, changed: another string, number or truth value. */
const changed = (value: unknown): unknown =>
  typeof value === 'string' ? `${value}x` : typeof value === 'number' ? value + 1 : !value;

t.test('every field of what is shared is compared: a change in any one is kept as it is', async (t) => {
  // The comparison is written out field by field for speed (issue 19); a field added to these
  // types must be compared too, or two descriptions that differ in it would be shared.
  const parts: [string, (draft: DecisionDraft) => Record<string, unknown>, (d: DecisionDraft) => unknown][] =
    [
      ['leaf summary', (d) => d.leaf as unknown as Record<string, unknown>, (d) => d.leaf],
      ['anchor', (d) => d.anchor!, (d) => d.anchor],
      ['step', (d) => d.steps![1] as unknown as Record<string, unknown>, (d) => d.steps],
      [
        'step certificate summary',
        (d) => d.steps![1]!.certificate as unknown as Record<string, unknown>,
        (d) => d.steps,
      ],
      ['step check', (d) => d.steps![0]!.checks[1]!, (d) => d.steps],
      ['chain check', (d) => d.chainChecks![0]!, (d) => d.chainChecks],
    ];
  for (const [name, part, shared] of parts) {
    for (const field of Object.keys(part(login()))) {
      if (name === 'leaf summary' && field === 'fingerprint') continue; // another leaf altogether
      if (name === 'step' && field !== 'role') continue; // its summary and checks: the rows below
      const log = new DecisionLog(new TestClock(0), 10);
      const first = log.record(login());
      const draft = login();
      const target = part(draft);
      target[field] = changed(target[field]);
      const second = log.record(draft);
      t.not(shared(second), shared(first), `${name}: ${field}`);
      t.same(strip(shared(second)), strip(shared(draft)), `${name}: ${field} reads as recorded`);
    }
  }
});

t.test('what it remembers to share is bounded by the ring, and cleared with it', async (t) => {
  const log = new DecisionLog(new TestClock(0), 2);
  const first = log.record(login({ fingerprint: 'a' }));
  log.record(login({ fingerprint: 'b' }));
  log.record(login({ fingerprint: 'c' }));
  const later = log.record(login({ fingerprint: 'a' }));
  t.not(later.steps, first.steps, "the first leaf's description was forgotten with its decisions");
  t.same(strip(later.steps), strip(first.steps));
  const kept = log.record(login({ fingerprint: 'a' }));
  t.equal(kept.steps, later.steps);
  log.clear();
  t.not(log.record(login({ fingerprint: 'a' })).steps, kept.steps, 'a cleared log starts again');
});

t.test('the ring keeps the newest decisions, newest first, past its capacity', async (t) => {
  const clock = new TestClock(0);
  const log = new DecisionLog(clock, 3);
  const ids = () => log.list().map((d) => d.id);
  const record = (outcome: 'issued' | 'refused') => {
    clock.set(clock.now() + 1);
    return log.record({ door: 'rest', outcome, status: outcome === 'issued' ? 200 : 401 });
  };
  record('issued');
  record('refused');
  t.same(ids(), [2, 1], 'before it is full');
  for (let i = 0; i < 5; i++) record(i % 2 === 0 ? 'issued' : 'refused');
  t.same(ids(), [7, 6, 5], 'the three newest, newest first');
  t.same(
    log.list().map((d) => d.time),
    [7, 6, 5],
  );
  t.same(
    log.list({ outcome: 'refused' }).map((d) => d.id),
    [6],
  );
  t.same(
    log.list({ limit: 2 }).map((d) => d.id),
    [7, 6],
  );
  record('issued');
  t.same(ids(), [8, 7, 6], 'and on');
  log.clear();
  t.same(ids(), []);
  record('issued');
  record('issued');
  t.same(ids(), [10, 9], 'filled again after a clear');
});
