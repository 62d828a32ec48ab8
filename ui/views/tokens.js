// Tokens: a timeline (issue, half-life, expiry, revocation, now) and the same facts as a table.
import { api } from '../api.js';
import { badge, formatTime, h, relative, s, show } from '../dom.js';

const STATES = {
  active: ['active', 'ok'],
  renewable: ['past half-life', 'info'],
  expired: ['expired', 'muted'],
  revoked: ['revoked', 'fail'],
};
const TIMELINE_ROWS = 25;
const WIDTH = 1000;
const LABEL = 210;
const ROW = 44;
const AXIS = 44;

const clock = (ms) => new Date(ms).toISOString().slice(11, 19);

function timeline(tokens, now) {
  const rows = tokens.slice(0, TIMELINE_ROWS);
  const start = Math.min(...rows.map((t) => t.issuedAt * 1000), now);
  const end = Math.max(...rows.map((t) => t.expiresAt * 1000), now) || start + 1;
  const x = (ms) => LABEL + ((ms - start) / Math.max(end - start, 1)) * (WIDTH - LABEL - 20);
  const height = AXIS + rows.length * ROW + 10;
  const nowX = x(now);
  return h(
    'figure',
    { class: 'timeline' },
    s(
      'svg',
      {
        viewBox: `0 0 ${WIDTH} ${height}`,
        role: 'img',
        'aria-labelledby': 'timeline-caption',
      },
      s('text', { x: LABEL, y: 18, class: 'axis' }, `${clock(start)} UTC`),
      s('text', { x: WIDTH - 20, y: 20, class: 'axis', 'text-anchor': 'end' }, `${clock(end)} UTC`),
      rows.map((token, i) => {
        const y = AXIS + i * ROW;
        const issued = x(token.issuedAt * 1000);
        const half = x(token.halfLifeAt * 1000);
        const expires = x(token.expiresAt * 1000);
        const revoked = token.revokedAt === null ? undefined : x(token.revokedAt);
        return s(
          'g',
          { class: `row state-${token.state}` },
          s(
            'title',
            {},
            `${token.externalId}: issued ${formatTime(token.issuedAt * 1000)}, half-life ${formatTime(token.halfLifeAt * 1000)}, expires ${formatTime(token.expiresAt * 1000)}${token.revokedAt === null ? '' : `, revoked ${formatTime(token.revokedAt)}`}`,
          ),
          s(
            'text',
            { x: LABEL - 12, y: y + 24, class: 'label', 'text-anchor': 'end' },
            token.externalId.slice(0, 20),
          ),
          s('rect', { x: issued, y: y + 8, width: Math.max(expires - issued, 2), height: 22, class: 'bar' }),
          s('rect', {
            x: issued,
            y: y + 8,
            width: Math.max(half - issued, 1),
            height: 22,
            class: 'bar-first-half',
          }),
          s('line', { x1: half, x2: half, y1: y + 2, y2: y + 36, class: 'half-life' }),
          revoked === undefined
            ? null
            : [
                s('rect', {
                  x: revoked,
                  y: y + 8,
                  width: Math.max(expires - revoked, 0),
                  height: 22,
                  class: 'bar-revoked',
                }),
                s('line', { x1: revoked, x2: revoked, y1: y + 2, y2: y + 36, class: 'revoked-mark' }),
              ],
        );
      }),
      s('line', { x1: nowX, x2: nowX, y1: 26, y2: height, class: 'now' }),
      s(
        'text',
        {
          x: nowX,
          y: 40,
          class: 'now-label',
          'text-anchor': nowX < LABEL + 40 ? 'start' : nowX > WIDTH - 60 ? 'end' : 'middle',
        },
        'now',
      ),
    ),
    h(
      'figcaption',
      { id: 'timeline-caption' },
      `Timeline of the ${rows.length} newest token(s): each bar runs from issue to expiry; the dark part is before the half-life point (marked by a tick); a red line marks a revocation; the dashed line is now. The table below has the same facts.`,
    ),
  );
}

function tokenRow(token, now, context) {
  const [label, kind] = STATES[token.state] ?? [token.state, 'muted'];
  const ms = (seconds) => seconds * 1000;
  return h(
    'tr',
    {},
    h(
      'th',
      { scope: 'row' },
      h('span', { class: 'name' }, token.externalId),
      h('span', { class: 'sub' }, `tenant ${token.tenantId}`),
    ),
    h(
      'td',
      {},
      formatTime(ms(token.issuedAt)),
      h('span', { class: 'sub' }, relative(ms(token.issuedAt), now)),
    ),
    h(
      'td',
      {},
      formatTime(ms(token.halfLifeAt)),
      h('span', { class: 'sub' }, relative(ms(token.halfLifeAt), now)),
    ),
    h(
      'td',
      {},
      formatTime(ms(token.expiresAt)),
      h('span', { class: 'sub' }, relative(ms(token.expiresAt), now)),
    ),
    h(
      'td',
      {},
      badge(label, kind),
      token.revokedAt === null ? null : h('span', { class: 'sub' }, formatTime(token.revokedAt)),
    ),
    h(
      'td',
      {},
      token.state === 'active' || token.state === 'renewable'
        ? h(
            'button',
            {
              type: 'button',
              'data-key': `revoke-${token.hash}`,
              'aria-label': `Revoke the token of ${token.externalId} issued ${formatTime(ms(token.issuedAt))}`,
              onclick: () =>
                context.act(async () => {
                  await api(`tokens/${encodeURIComponent(token.hash)}/revoke`, { method: 'POST', body: {} });
                  return `The token of ${token.externalId} is revoked: it is refused from now on.`;
                }),
            },
            'Revoke',
          )
        : '—',
    ),
  );
}

export async function renderTokens(container, context) {
  const { now, tokens } = await api('tokens');
  if (tokens.length === 0) {
    show(
      container,
      h('p', { class: 'card' }, 'No tokens yet. They appear here as devices get them, without reloading.'),
    );
    return;
  }
  show(
    container,
    timeline(tokens, now),
    h(
      'table',
      { class: 'card' },
      h('caption', {}, `Issued tokens, newest first (server time ${formatTime(now)})`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Device', 'Issued', 'Half-life point', 'Expires', 'State', 'Action'].map((title) =>
            h('th', { scope: 'col' }, title),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        tokens.map((token) => tokenRow(token, now, context)),
      ),
    ),
  );
}
