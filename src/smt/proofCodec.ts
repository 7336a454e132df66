// Binary encodings of proofs (docs/proofs.md). Decoders are strict: a truncated, padded or
// out-of-range encoding raises WeftError('CODEC'); whether a well-formed proof verifies is the
// verifier's question, not the decoder's.
import { Reader, Writer } from '../crypto/codec.js';
import { WeftError } from '../crypto/errors.js';
import { bitAt, KEY_BITS } from './bits.js';
import { PackedProof } from './packedProof.js';
import type { MultiProof, MultiStep, Proof, Sibling, TransitionProof } from './types.js';

const KIND_SINGLE = 0x01;
const KIND_MULTI = 0x02;
const KIND_TRANSITION = 0x03;

const TERM_MEMBER = 0;
const TERM_EMPTY = 1;
const TERM_LEAF = 2;

const STEP_SPLIT = 0x01;
const STEP_SIDE_EMPTY = 0x02;
const STEP_SIDE_HASH = 0x03;
const STEP_SIDE_LEAF = 0x04;
const STEP_SIDE_INTERNAL = 0x05;
const STEP_EMPTY = 0x06;
const STEP_MEMBER = 0x07;
const STEP_LEAF = 0x08;

/** Most steps a decoded multiproof or transition proof may hold. */
export const PROOF_STEPS_MAX = 4 * 1024 * 1024;

function fail(message: string): never {
  throw new WeftError('CODEC', message);
}

/** Encodes a single-key proof: kind, depth (u16), bitmap, siblings, terminal. */
export function encodeProof(proof: Proof): Uint8Array {
  const { depth, bitmap, terminal } = proof;
  // A proof straight from the tree keeps its siblings packed: copy them in one piece.
  const packed = PackedProof.packedSiblings(proof);
  const siblings = packed === undefined ? proof.siblings : undefined;
  const count = packed === undefined ? siblings!.length : packed.count;
  if (!Number.isInteger(depth) || depth < 0 || depth > KEY_BITS) fail(`proof depth ${depth} is out of range`);
  const w = new Writer(4 + bitmap.length + count * 32 + 65);
  w.u8(KIND_SINGLE)
    .u16(depth)
    .fixed(bitmap, (depth + 7) >> 3);
  let present = 0;
  for (let i = 0; i < depth; i++) present += bitAt(bitmap, i);
  if (present !== count) fail(`bitmap marks ${present} siblings but the proof has ${count}`);
  if (packed !== undefined) w.fixed(packed.bytes.subarray(packed.at, packed.at + 32 * count), 32 * count);
  else for (const s of siblings!) w.fixed(s, 32);
  if (terminal.kind === 'member') w.u8(TERM_MEMBER);
  else if (terminal.kind === 'empty') w.u8(TERM_EMPTY);
  else w.u8(TERM_LEAF).fixed(terminal.keyHash, 32).fixed(terminal.valueHash, 32);
  return w.finish();
}

/** Length of `encodeProof(proof)` without encoding it. */
export function encodedProofBytes(proof: Proof): number {
  return (
    1 +
    2 +
    ((proof.depth + 7) >> 3) +
    32 * (PackedProof.packedSiblings(proof)?.count ?? proof.siblings.length) +
    1 +
    (proof.terminal.kind === 'leaf' ? 64 : 0)
  );
}

export function decodeProof(bytes: Uint8Array): Proof {
  const r = new Reader(bytes);
  const kind = r.u8();
  if (kind !== KIND_SINGLE) fail(`not a single-key proof (kind byte ${kind})`);
  const depth = r.u16();
  if (depth > KEY_BITS) fail(`proof depth ${depth} exceeds ${KEY_BITS}`);
  const bitmap = r.fixed((depth + 7) >> 3).slice();
  let present = 0;
  for (let i = 0; i < bitmap.length * 8; i++) {
    if (bitAt(bitmap, i) === 0) continue;
    if (i >= depth) fail(`bitmap bit ${i} is set past the proof depth ${depth}`);
    present++;
  }
  const siblings: Uint8Array[] = [];
  for (let i = 0; i < present; i++) siblings.push(r.fixed(32).slice());
  const t = r.u8();
  let terminal: Proof['terminal'];
  if (t === TERM_MEMBER) terminal = { kind: 'member' };
  else if (t === TERM_EMPTY) terminal = { kind: 'empty' };
  else if (t === TERM_LEAF)
    terminal = { kind: 'leaf', keyHash: r.fixed(32).slice(), valueHash: r.fixed(32).slice() };
  else fail(`unknown proof terminal ${t}`);
  r.end();
  return { depth, bitmap, siblings, terminal };
}

function writeSteps(w: Writer, steps: MultiStep[], allowMember: boolean): void {
  w.list(steps, PROOF_STEPS_MAX, (w, s) => {
    switch (s.t) {
      case 'split':
        w.u8(STEP_SPLIT);
        break;
      case 'side':
        writeSibling(w, s.sibling);
        break;
      case 'empty':
        w.u8(STEP_EMPTY);
        break;
      case 'member':
        if (!allowMember) fail('a transition proof gives leaves in full, never as member steps');
        w.u8(STEP_MEMBER);
        break;
      case 'leaf':
        w.u8(STEP_LEAF).fixed(s.keyHash, 32).fixed(s.valueHash, 32);
        break;
      default:
        fail('unknown proof step');
    }
  });
}

function writeSibling(w: Writer, s: Sibling): void {
  switch (s.k) {
    case 'empty':
      w.u8(STEP_SIDE_EMPTY);
      break;
    case 'hash':
      w.u8(STEP_SIDE_HASH).fixed(s.hash, 32);
      break;
    case 'leaf':
      w.u8(STEP_SIDE_LEAF).fixed(s.keyHash, 32).fixed(s.valueHash, 32);
      break;
    case 'internal':
      w.u8(STEP_SIDE_INTERNAL).fixed(s.left, 32).fixed(s.right, 32);
      break;
    default:
      fail('unknown sibling kind');
  }
}

function readSteps(r: Reader, allowMember: boolean): MultiStep[] {
  return r.list(PROOF_STEPS_MAX, (r): MultiStep => {
    const tag = r.u8();
    switch (tag) {
      case STEP_SPLIT:
        return { t: 'split' };
      case STEP_SIDE_EMPTY:
        return { t: 'side', sibling: { k: 'empty' } };
      case STEP_SIDE_HASH:
        return { t: 'side', sibling: { k: 'hash', hash: r.fixed(32).slice() } };
      case STEP_SIDE_LEAF:
        return {
          t: 'side',
          sibling: { k: 'leaf', keyHash: r.fixed(32).slice(), valueHash: r.fixed(32).slice() },
        };
      case STEP_SIDE_INTERNAL:
        return {
          t: 'side',
          sibling: { k: 'internal', left: r.fixed(32).slice(), right: r.fixed(32).slice() },
        };
      case STEP_EMPTY:
        return { t: 'empty' };
      case STEP_MEMBER:
        if (!allowMember) fail('a transition proof may not contain member steps');
        return { t: 'member' };
      case STEP_LEAF:
        return { t: 'leaf', keyHash: r.fixed(32).slice(), valueHash: r.fixed(32).slice() };
      default:
        return fail(`unknown proof step tag ${tag} at offset ${r.offset - 1}`);
    }
  });
}

/** Encodes a multiproof: kind, u32 step count, then each step as a tag and its hashes. */
export function encodeMultiProof(proof: MultiProof): Uint8Array {
  const w = new Writer(5 + proof.steps.length * 33);
  w.u8(KIND_MULTI);
  writeSteps(w, proof.steps, true);
  return w.finish();
}

export function decodeMultiProof(bytes: Uint8Array): MultiProof {
  const r = new Reader(bytes);
  const kind = r.u8();
  if (kind !== KIND_MULTI) fail(`not a multiproof (kind byte ${kind})`);
  const steps = readSteps(r, true);
  r.end();
  return { steps };
}

/** Encodes a transition proof: like a multiproof, with leaves always in full. */
export function encodeTransition(proof: TransitionProof): Uint8Array {
  const w = new Writer(5 + proof.steps.length * 33);
  w.u8(KIND_TRANSITION);
  writeSteps(w, proof.steps, false);
  return w.finish();
}

export function decodeTransition(bytes: Uint8Array): TransitionProof {
  const r = new Reader(bytes);
  const kind = r.u8();
  if (kind !== KIND_TRANSITION) fail(`not a transition proof (kind byte ${kind})`);
  const steps = readSteps(r, false);
  r.end();
  return { steps };
}
