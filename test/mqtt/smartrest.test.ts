import t from 'tap';
import { parseClientId } from '../../src/mqtt/client-id.js';
import { MAX_PACKET_BYTES, PacketSizeGuard } from '../../src/mqtt/packet-size-guard.js';
import { formatLine, parseSmartRest, parseSmartRestWithCsv } from '../../src/mqtt/smartrest.js';
import { smartRestTarget, subscribable } from '../../src/mqtt/topics.js';

t.test(
  'SmartREST lines: CSV with \\" inside quotes, several per message, trailing empty fields dropped',
  async (t) => {
    const { lines, malformed } = parseSmartRest(
      '100,"my \\"dev\\", one",c8y\r\n200,c8y_T,T,25.3,C\n\n301,c8y_A,,\n  400 , spaced , "  kept  "\n',
    );
    t.same(malformed, []);
    t.same(
      lines.map((l) => l.fields),
      [
        ['100', 'my "dev", one', 'c8y'],
        ['200', 'c8y_T', 'T', '25.3', 'C'],
        ['301', 'c8y_A'],
        ['400', 'spaced', '  kept  '],
      ],
    );
    t.same(
      parseSmartRest('100,,').lines.map((l) => l.fields),
      parseSmartRest('100').lines.map((l) => l.fields),
      '100,, is 100',
    );
    t.same(
      parseSmartRest('400,c8y_E,"two\nlines"').lines[0]?.fields,
      ['400', 'c8y_E', 'two\nlines'],
      'a quoted newline',
    );
    t.same(parseSmartRest('').lines, [], 'an empty message has no lines');
  },
);

t.test('an unreadable line is reported, the others are still read', async (t) => {
  const { lines, malformed } = parseSmartRest('200,a,b,1\n400,x,"open"quote" tail\n400,c8y_E,ok\n');
  t.same(
    lines.map((l) => l.fields[0]),
    ['200', '400'],
  );
  t.equal(malformed.length, 1);
  t.match(malformed[0], { raw: /open/, reason: /quote/i });
  const garbage = parseSmartRest('\u0000\u00ff,\u0001\n"');
  t.equal(garbage.lines.length + garbage.malformed.length, 2, 'garbage bytes neither crash nor vanish');
});

t.test('lines the mock sends are quoted when the format needs it, and read back the same', async (t) => {
  t.equal(formatLine([71, 'eyJ.a.b']), '71,eyJ.a.b');
  t.equal(formatLine([511, 'dev', 'echo "a", b']), '511,dev,"echo \\"a\\", b"');
  for (const fields of [
    ['510', 'x'],
    ['511', 'd', 'a\\b "c"\nnext, and  '],
    ['41', '', 'MqttAuth: x'],
  ]) {
    t.same(
      parseSmartRest(formatLine(fields)).lines[0]?.fields.slice(0, fields.length),
      fields.filter((f, i) => f !== '' || i < fields.length - 1),
    );
  }
});

t.test('client IDs: CN, d:CN, d:CN:template; anything else is refused with a reason', async (t) => {
  t.match(parseClientId('dev-1'), { ok: true, id: { deviceId: 'dev-1' } });
  t.match(parseClientId('d:dev-1'), { ok: true, id: { deviceId: 'dev-1' } });
  t.match(parseClientId('d:dev-1:tpl'), { ok: true, id: { deviceId: 'dev-1', template: 'tpl' } });
  for (const bad of ['', 'x:dev-1', 'd:dev-1:a:b', 'd:', 'dev 1', 'd:$sys', 'd:a/b']) {
    t.match(parseClientId(bad), { ok: false, reason: /\S/ }, JSON.stringify(bad));
  }
});

t.test('topics: SmartREST upstream with children, downstream subscriptions written out', async (t) => {
  t.equal(smartRestTarget('s/us'), '');
  t.equal(smartRestTarget('t/us'), '');
  t.equal(smartRestTarget('s/us/child-1'), 'child-1');
  t.equal(smartRestTarget('s/uat'), undefined);
  t.equal(smartRestTarget('s/us/a/b'), undefined);
  for (const topic of [
    's/ds',
    's/e',
    's/dat',
    's/dt',
    'devicecontrol/notifications',
    'error',
    's/dc/myTpl',
  ]) {
    t.ok(subscribable(topic), topic);
  }
  for (const topic of ['s/us', 's/uat', 's/#', '#', '+/ds', 's/dc/+', 'other'])
    t.notOk(subscribable(topic), topic);
});

/** A fixed header (type byte and remaining length) for a packet with `remaining` bytes after it. */
function header(remaining: number): Buffer {
  const bytes = [0x30];
  let x = remaining;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    bytes.push(byte);
  } while (x > 0);
  return Buffer.from(bytes);
}

t.test('the packet size guard reads fixed headers across chunks and stops at 16,184 bytes', async (t) => {
  const guard = new PacketSizeGuard();
  // The largest packet allowed: 1 type byte + 2 length bytes + the rest.
  const largest = Buffer.concat([header(MAX_PACKET_BYTES - 3), Buffer.alloc(MAX_PACKET_BYTES - 3)]);
  t.equal(largest.length, MAX_PACKET_BYTES);
  // Fed a byte at a time, then in one piece, then two packets in one chunk.
  const verdicts = new Set([...largest].map((byte) => guard.feed(Buffer.from([byte]))));
  t.same([...verdicts], [undefined], 'fed a byte at a time');
  t.equal(guard.feed(largest), undefined);
  t.equal(
    guard.feed(Buffer.concat([largest, Buffer.from([0xc0, 0x00])])),
    undefined,
    'and a PINGREQ after it',
  );
  const over = header(MAX_PACKET_BYTES - 2);
  t.match(guard.feed(over), /16185 bytes; at most 16184/, 'one byte more is refused from its header alone');
  t.match(new PacketSizeGuard().feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), /malformed/);
  t.match(new PacketSizeGuard().feed(header(268_435_455)), /at most/, 'the largest MQTT length');
});

t.test(
  'quotes inside quotes: the platform\'s \\" and CSV\'s "" (thin-edge writes those) both read',
  async (t) => {
    t.same(parseSmartRest('502,c8y_SoftwareUpdate,"Failed due to permi""ssion."').lines[0]?.fields, [
      '502',
      'c8y_SoftwareUpdate',
      'Failed due to permi"ssion.',
    ]);
    t.same(parseSmartRest('502,c8y_SoftwareUpdate,"Failed due to permi\\"ssion."').lines[0]?.fields, [
      '502',
      'c8y_SoftwareUpdate',
      'Failed due to permi"ssion.',
    ]);
    t.same(
      parseSmartRest('400,t,"C:\\dir\\"').lines[0]?.fields,
      ['400', 't', 'C:\\dir\\'],
      'a trailing backslash',
    );
    t.same(
      parseSmartRest('503,c8y_RelayArray,"true,false,true"\n503,c8y_Command,"a ""b"""').lines.map(
        (l) => l.fields,
      ),
      [
        ['503', 'c8y_RelayArray', 'true,false,true'],
        ['503', 'c8y_Command', 'a "b"'],
      ],
    );
  },
);

t.test("the reading of messages without quotes is the CSV reader's", async (t) => {
  const fc = await import('fast-check');
  const piece = fc.constantFrom(
    '',
    ' ',
    ',',
    '\n',
    '\r\n',
    '\t',
    'a',
    '200',
    'c8y_T',
    '1.5',
    'x y',
    '\\',
    '\u00e9',
  );
  const { isDeepStrictEqual } = await import('node:util');
  const verdict = fc.check(
    fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
      const payload = pieces.join('');
      return isDeepStrictEqual(parseSmartRest(payload).lines, parseSmartRestWithCsv(payload).lines);
    }),
    { numRuns: 500, seed: 14 },
  );
  t.notOk(
    verdict.failed,
    `500 generated messages read alike${verdict.failed ? `; not ${JSON.stringify(verdict.counterexample)}` : ''}`,
  );
});
