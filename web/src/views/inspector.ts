// The proof inspector: a commitment or nullifier, a domain and a height in; the node's proof and
// header out, checked in this page by the project's verifier, and the path drawn root to leaf.
import { byId, h, s } from '../dom.js';
import { getJson, postJson } from '../link.js';
import type { Model } from '../model.js';
import { inspectProof, type ProofKind, type ProofReport } from '../proof.js';
import type { SignedHeaderJson, StateProofJson } from '../wire.js';

export class InspectorView {
  private readonly domainSel = byId<HTMLSelectElement>('proof-domain');
  private readonly submitSel = byId<HTMLSelectElement>('submit-domain');
  private readonly result = byId('proof-result');
  private known = '';

  constructor(private readonly model: Model) {
    byId('proof-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.inspect();
    });
    byId('submit-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
  }

  /** Keeps the domain choices in step with the domains the page talks to. */
  render(): void {
    const m = this.model;
    const served = [...m.domains.values()].filter((d) => d.url).sort((a, b) => a.name.localeCompare(b.name));
    const key = served.map((d) => `${d.id}@${d.url}`).join(' ');
    if (key === this.known) return;
    this.known = key;
    for (const sel of [this.domainSel, this.submitSel]) {
      const was = sel.value;
      sel.replaceChildren(...served.map((d) => h('option', { value: d.id }, d.name)));
      if (served.some((d) => d.id === was)) sel.value = was;
    }
  }

  async inspect(): Promise<void> {
    const d = this.model.domains.get(this.domainSel.value);
    const kind = byId<HTMLSelectElement>('proof-kind').value as ProofKind;
    const item = byId<HTMLInputElement>('proof-item').value.trim().toLowerCase();
    const height = byId<HTMLInputElement>('proof-height').value.trim();
    if (!d?.url)
      return this.show(h('p', { class: 'verdict bad' }, 'choose a domain the page is connected to'));
    this.show(h('p', {}, 'reading the proof…'));
    try {
      const q = height ? `?height=${encodeURIComponent(height)}` : '';
      const answer = await getJson<StateProofJson>(
        `${d.url}/v1/proofs/${kind}s/${encodeURIComponent(item)}${q}`,
      );
      const header = await getJson<SignedHeaderJson>(`${d.url}/v1/headers/${answer.height}`).catch(
        () => null,
      );
      this.show(...this.report(d.name, inspectProof(kind, item, answer, header)));
    } catch (e) {
      this.show(
        h('p', { class: 'verdict bad', 'data-verdict': 'error' }, `could not check: ${(e as Error).message}`),
      );
    }
  }

  private report(domain: string, r: ProofReport): Node[] {
    const ok = r.verified && r.rootMatchesHeader !== false;
    const claim = r.present
      ? `${r.kind} is in ${domain}'s tree at height ${r.height}${r.createdAt ? ` (created at height ${r.createdAt})` : ''}`
      : `${r.kind} is absent from ${domain}'s tree at height ${r.height}`;
    const checks: [string, string][] = [
      ['verifyProof in this page', r.verified ? 'verifies' : 'does NOT verify'],
      ['key', r.keyMatches ? 'the one asked about' : 'NOT the one asked about'],
      [
        'root',
        r.rootMatchesHeader === null
          ? `${r.root} (no header to compare)`
          : `${r.root} ${r.rootMatchesHeader ? '= the state root of header' : '≠ the state root of header'} ${r.headerHash ?? ''} at height ${r.height}`,
      ],
      ['terminal', r.terminal],
      ['depth', String(r.path.length)],
    ];
    return [
      h(
        'p',
        {
          class: `verdict ${ok ? 'ok' : 'bad'}`,
          'data-verdict': ok ? 'verified' : 'refused',
          'data-present': String(r.present),
        },
        ok ? `✔ verified: ${claim}` : `✘ not verified: ${claim} is NOT shown`,
      ),
      h('table', {}, ...checks.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: 'root' }, v)))),
      h(
        'p',
        { class: 'note' },
        'Header signatures are not checked here: `weft proof` checks them against the network file.',
      ),
      this.drawPath(r),
    ];
  }

  /** Root at the top, one row per level: the key's side filled, the sibling beside it (hollow when empty). */
  private drawPath(r: ProofReport): SVGElement {
    const rowPx = 16;
    const widthPx = 800;
    const height = (r.path.length + 2) * rowPx + 8;
    const svg = s('svg', { id: 'proof-path', viewBox: `0 0 ${widthPx} ${height}`, width: widthPx, height });
    svg.append(
      s('circle', { class: 'on', cx: 80, cy: 8, r: 5 }),
      s('text', { x: 120, y: 12 }, `root ${r.root}`),
    );
    let x = 80;
    r.path.forEach((lv, i) => {
      const y = (i + 1) * rowPx + 8;
      const onX = lv.bit === 0 ? 60 : 100;
      const sibX = lv.bit === 0 ? 100 : 60;
      svg.append(
        s('line', { x1: x, y1: y - rowPx, x2: onX, y2: y }),
        s('line', { x1: x, y1: y - rowPx, x2: sibX, y2: y, class: 'sib-edge' }),
        s('circle', { class: 'on', cx: onX, cy: y, r: 5 }),
        s('circle', { class: `sib ${lv.siblingEmpty ? 'empty' : ''}`, cx: sibX, cy: y, r: 5 }),
        s(
          'text',
          { x: 120, y: y + 4 },
          `depth ${lv.depth + 1}: key goes ${lv.bit === 0 ? 'left ' : 'right'}, sibling ${lv.siblingEmpty ? '(empty subtree)' : lv.sibling}`,
        ),
      );
      x = onX;
    });
    const y = (r.path.length + 1) * rowPx + 8;
    svg.append(
      s('text', { x: 120, y: y + 4 }, r.present ? 'member: the leaf of this key' : `absent (${r.terminal})`),
    );
    return svg;
  }

  private show(...nodes: Node[]): void {
    this.result.replaceChildren(...nodes);
  }

  /** Submits a transaction: a change of state, so it carries the API token. */
  private async submit(): Promise<void> {
    const d = this.model.domains.get(this.submitSel.value);
    const out = byId('submit-result');
    const tx = byId<HTMLInputElement>('submit-tx').value.trim();
    if (!d?.url) return;
    try {
      const r = await postJson<{ txId: string; status: unknown }>(`${d.url}/v1/txs`, { tx });
      out.textContent = `${r.txId}: ${JSON.stringify(r.status)}`;
    } catch (e) {
      out.textContent = (e as Error).message;
    }
  }
}
