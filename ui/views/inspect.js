// The chain check and the token decoder: forms that ask the server and show its verdict.
import { api } from '../api.js';
import { chainReport } from '../chain.js';
import { formatTime, h, show } from '../dom.js';

/** A file as PEM text: PEM as it is, anything else taken as DER and wrapped. */
async function fileAsPem(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  if (text.includes('-----BEGIN')) return text;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function setUpChainCheck(context) {
  const form = document.getElementById('chain-form');
  const text = document.getElementById('chain-text');
  const file = document.getElementById('chain-file');
  const result = document.getElementById('chain-result');
  file.addEventListener('change', async () => {
    const [chosen] = file.files;
    if (chosen) text.value = await fileAsPem(chosen);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    context.act(
      async () => {
        const report = await api('chain', { method: 'POST', body: { chain: text.value } });
        show(
          result,
          h('section', { class: 'card', 'aria-label': 'Result of the chain check' }, chainReport(report)),
        );
        return report.ok ? 'The chain is accepted.' : `The chain is refused by rule ${report.rule}.`;
      },
      { refresh: false },
    );
  });
}

const TIME_CLAIMS = new Set(['iat', 'nbf', 'exp']);

function claimsTable(claims) {
  return h(
    'table',
    { 'aria-labelledby': 'decoded-claims' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Claim'), h('th', { scope: 'col' }, 'Value'))),
    h(
      'tbody',
      {},
      Object.entries(claims).map(([name, value]) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('code', {}, name)),
          h(
            'td',
            { class: 'mono' },
            JSON.stringify(value),
            TIME_CLAIMS.has(name) && typeof value === 'number'
              ? h('span', { class: 'sub' }, formatTime(value * 1000))
              : null,
          ),
        ),
      ),
    ),
  );
}

export function setUpDecoder(context) {
  const form = document.getElementById('decoder-form');
  const text = document.getElementById('decoder-text');
  const result = document.getElementById('decoder-result');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    context.act(
      async () => {
        const report = await api('decode', { method: 'POST', body: { token: text.value } });
        show(
          result,
          h(
            'section',
            { class: 'card', 'aria-label': 'Decoded token' },
            report.valid
              ? h(
                  'div',
                  { class: 'verdict verdict-ok' },
                  h('p', { class: 'verdict-title' }, `✔ Valid here now (${formatTime(report.now * 1000)})`),
                )
              : h(
                  'div',
                  { class: 'verdict verdict-fail' },
                  h(
                    'p',
                    { class: 'verdict-title' },
                    '✘ Refused here now by rule ',
                    h('code', { class: 'rule' }, report.rule ?? 'unknown'),
                  ),
                  h('p', { class: 'reason' }, report.reason ?? ''),
                ),
            h(
              'p',
              {},
              report.known
                ? 'Issued by this mock and still in its state.'
                : 'Not a token this mock has in its state.',
            ),
            h('h2', {}, 'Header'),
            h('pre', { class: 'mono' }, JSON.stringify(report.header, null, 2)),
            h('h2', { id: 'decoded-claims' }, 'Claims'),
            claimsTable(report.claims),
          ),
        );
        return report.valid
          ? 'The token is valid here now.'
          : `The token is refused here by rule ${report.rule}.`;
      },
      { refresh: false },
    );
  });
}
