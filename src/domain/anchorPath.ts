// Knowledge that travels: a root known only through other domains, proven hop by hop. Each hop
// is a header of the next domain and a membership proof of its `0x03` record under the previous
// root, so the header's state root is proven by the header bytes (the record holds their hash).
// Pure: the receiver's views, its policy and the time are passed in (docs/sync.md, "Anchors
// through a path").
import { check, equalBytes, hexKey, Reader, toHex, WeftError, Writer } from '../crypto/index.js';
import { decodeProof, encodeProof, type Proof, verifyProof } from '../smt/index.js';
import { encodeHeight } from '../tx/index.js';
import { decodeHeader, encodeHeader, type Header, headerHash } from './header.js';
import { isRootUsable, isViewExpired, type RemoteView } from './remoteView.js';
import { remoteHeaderKey } from './transition.js';

/** Most hops (and so intermediaries) an anchor path may have; the knowledge graph's cap too. */
export const ANCHOR_PATH_HOPS_MAX = 8;
/** Most bytes of an encoded anchor path (the cap a transaction witness allows). */
export const ANCHOR_PATH_BYTES_MAX = 65_536;

/**
 * What a node accepts as knowledge through others: at most `maxIntermediaries` domains between
 * it and the anchor's domain, and the oldest header on the path at most `maxStalenessMs` old.
 * (The knowledge graph's `AnchorPolicy` is this type.)
 */
export type AnchorPolicy = { maxIntermediaries: number; maxStalenessMs: number };

/** Throws BAD_INPUT unless `policy` is a policy a node may run with. */
export function assertAnchorPolicy(policy: AnchorPolicy): void {
  check(
    policy !== null &&
      typeof policy === 'object' &&
      Number.isInteger(policy.maxIntermediaries) &&
      policy.maxIntermediaries >= 0 &&
      policy.maxIntermediaries <= ANCHOR_PATH_HOPS_MAX &&
      Number.isSafeInteger(policy.maxStalenessMs) &&
      policy.maxStalenessMs >= 0,
    'BAD_INPUT',
    `an anchor policy needs maxIntermediaries (integer 0..${ANCHOR_PATH_HOPS_MAX}) and maxStalenessMs (integer >= 0)`,
  );
}

/** The value of a `0x03` record: header hash (32) || height (u64), as `Domain.acceptRemoteHeader` writes it. */
function remoteHeaderValue(h: Header): Uint8Array {
  const out = new Uint8Array(40);
  out.set(headerHash(h), 0);
  out.set(encodeHeight(h.height), 32);
  return out;
}

/** Most bytes of one hop's membership proof (a 256-level path of 32-byte siblings, and slack). */
export const PATH_HOP_PROOF_BYTES_MAX = 16_384;
/** Most bytes of an encoded header inside a hop. */
export const PATH_HOP_HEADER_BYTES_MAX = 1024;
/** Format byte of an encoded anchor path. */
export const ANCHOR_PATH_FORMAT = 0x01;

/** `header` is recorded (`0x03 || header.domain -> headerHash || height`) under the previous root. */
export type PathHop = { header: Header; proof: Proof };

/**
 * A path from a root the receiver accepted (`startRoot`, a state root of `start`) to the anchor:
 * hop i proves the header of the next domain under the root hop i-1 ended at. The anchor is the
 * last hop's state root. `hops.length - 1` domains sit between the receiver's own view and the
 * anchor's domain besides `start` itself: intermediaries = `hops.length` (start counts).
 */
export type AnchorPath = { start: Uint8Array; startRoot: Uint8Array; hops: PathHop[] };

/** The receiver's side: its views, its policy, its time, and its views' trusting period. */
export type AnchorPathContext = {
  view(domainId: Uint8Array): RemoteView | undefined;
  policy: AnchorPolicy;
  nowMs: bigint;
  trustingPeriodMs: bigint;
};

/** What a verified path proves: the anchor root, its domain, the intermediaries and the age. */
export type ProvenAnchor = {
  anchor: Uint8Array;
  source: Uint8Array;
  via: Uint8Array[];
  /** now minus the oldest header on the path (the start root's included), at least 0 */
  ageMs: bigint;
};

/** The policy of a node that accepts no path (the default: only roots it accepted itself). */
export const ANCHOR_POLICY_NONE: AnchorPolicy = { maxIntermediaries: 0, maxStalenessMs: 0 };

function refuse(code: 'UNKNOWN_ANCHOR' | 'VIEW_FROZEN' | 'BAD_PROOF', message: string): never {
  throw new WeftError(code, message);
}

/**
 * Checks `path` against what the receiver accepted and returns what it proves. Refused with
 * UNKNOWN_ANCHOR when the start root is not one the receiver accepted and still vouches for, its
 * view is expired, or the path breaks the policy (too many intermediaries, too old); VIEW_FROZEN
 * when the receiver's view of any domain on the path is frozen; BAD_PROOF when a hop's record is
 * not proven under the previous root.
 *
 * @example
 * const { anchor } = verifyAnchorPath(path, { view: (id) => domain.remoteView(id), policy, nowMs, trustingPeriodMs });
 */
export function verifyAnchorPath(path: AnchorPath, ctx: AnchorPathContext): ProvenAnchor {
  check(path && Array.isArray(path.hops), 'BAD_INPUT', 'an anchor path needs hops');
  check(path.hops.length > 0, 'BAD_INPUT', 'an anchor path has at least one hop');
  check(
    path.hops.length <= ANCHOR_PATH_HOPS_MAX,
    'LIMIT_EXCEEDED',
    `an anchor path has at most ${ANCHOR_PATH_HOPS_MAX} hops`,
  );
  if (path.hops.length > ctx.policy.maxIntermediaries) {
    refuse(
      'UNKNOWN_ANCHOR',
      `the anchor is known through ${path.hops.length} intermediaries; this node's policy allows ${ctx.policy.maxIntermediaries}`,
    );
  }
  const view = ctx.view(path.start);
  if (view === undefined) refuse('UNKNOWN_ANCHOR', `this domain does not follow ${toHex(path.start)}`);
  if (view.frozen !== null) refuse('VIEW_FROZEN', `the view of ${toHex(path.start)} is frozen`);
  if (isViewExpired(view, ctx.nowMs, ctx.trustingPeriodMs)) {
    refuse('UNKNOWN_ANCHOR', `the view of ${toHex(path.start)} is expired: wait for a newer header`);
  }
  if (!isRootUsable(view, path.startRoot)) {
    refuse('UNKNOWN_ANCHOR', `the path starts at a root of ${toHex(path.start)} this domain did not accept`);
  }
  const startHeight = view.roots.get(hexKey(path.startRoot))!;
  let oldest = view.recent.get(startHeight)?.signed.header.timestamp ?? ctx.nowMs;
  const seen = new Set([hexKey(path.start)]);
  const via: Uint8Array[] = [path.start.slice()];
  let root = path.startRoot;
  for (const [i, hop] of path.hops.entries()) {
    const h = hop.header;
    const key = hexKey(h.domain);
    check(!seen.has(key), 'BAD_INPUT', `hop ${i} returns to a domain already on the path`);
    seen.add(key);
    if (ctx.view(h.domain)?.frozen != null) refuse('VIEW_FROZEN', `the view of ${toHex(h.domain)} is frozen`);
    const value = remoteHeaderValue(h);
    if (!verifyProof(root, remoteHeaderKey(h.domain), value, hop.proof)) {
      refuse(
        'BAD_PROOF',
        `hop ${i}: header ${h.height} of ${toHex(h.domain)} is not recorded under the previous root`,
      );
    }
    if (h.timestamp < oldest) oldest = h.timestamp;
    root = h.stateRoot;
    if (i < path.hops.length - 1) via.push(h.domain.slice());
  }
  const last = path.hops[path.hops.length - 1]!.header;
  const ageMs = ctx.nowMs > oldest ? ctx.nowMs - oldest : 0n;
  if (ageMs > BigInt(ctx.policy.maxStalenessMs)) {
    refuse(
      'UNKNOWN_ANCHOR',
      `the anchor is known since ${ageMs} ms; this node's policy allows ${ctx.policy.maxStalenessMs}`,
    );
  }
  return { anchor: root.slice(), source: last.domain.slice(), via, ageMs };
}

/**
 * The root `bytes` (an encoded anchor path) leads to from its start root, by its hops' records
 * alone — no view, policy or time: what a verifier of another domain's block checks (that
 * domain's policy is its own; the start root must be one it had accepted). Null when the bytes
 * do not decode or a hop does not verify.
 */
export function anchorPathEnd(
  bytes: Uint8Array,
): { start: Uint8Array; startRoot: Uint8Array; anchor: Uint8Array } | null {
  try {
    const path = decodeAnchorPath(bytes);
    if (path.hops.length === 0) return null;
    let root = path.startRoot;
    for (const hop of path.hops) {
      if (!verifyProof(root, remoteHeaderKey(hop.header.domain), remoteHeaderValue(hop.header), hop.proof))
        return null;
      root = hop.header.stateRoot;
    }
    return { start: path.start, startRoot: path.startRoot, anchor: root };
  } catch {
    return null;
  }
}

/** Whether `path` proves `anchor` under the receiver's views and policy (no throw). */
export function isAnchorProvenByPath(anchor: Uint8Array, path: AnchorPath, ctx: AnchorPathContext): boolean {
  try {
    return equalBytes(verifyAnchorPath(path, ctx).anchor, anchor);
  } catch {
    return false;
  }
}

/** u8 format || start 32 || startRoot 32 || list of (header bytes, proof bytes). */
export function encodeAnchorPath(path: AnchorPath): Uint8Array {
  const w = new Writer(1024);
  w.u8(ANCHOR_PATH_FORMAT).fixed(path.start, 32).fixed(path.startRoot, 32);
  w.list(path.hops, ANCHOR_PATH_HOPS_MAX, (w, hop) => {
    w.bytes(encodeHeader(hop.header), PATH_HOP_HEADER_BYTES_MAX);
    w.bytes(encodeProof(hop.proof), PATH_HOP_PROOF_BYTES_MAX);
  });
  return w.finish();
}

/** Strict inverse of `encodeAnchorPath`: CODEC on anything else. */
export function decodeAnchorPath(bytes: Uint8Array): AnchorPath {
  const r = new Reader(bytes);
  const format = r.u8();
  if (format !== ANCHOR_PATH_FORMAT) throw new WeftError('CODEC', `unknown anchor path format ${format}`);
  const start = r.fixed(32).slice();
  const startRoot = r.fixed(32).slice();
  const hops = r.list(ANCHOR_PATH_HOPS_MAX, (r) => ({
    header: decodeHeader(r.bytes(PATH_HOP_HEADER_BYTES_MAX)),
    proof: decodeProof(r.bytes(PATH_HOP_PROOF_BYTES_MAX)),
  }));
  r.end();
  return { start, startRoot, hops };
}
