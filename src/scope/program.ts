// Programs: the stateless logic that owns objects, identified by a logicRef, run through a
// metered context that charges every read, write, hash, signature check, proof and step.
import type { PublicKey, Signature } from '../crypto/index.js';
import { assertBytes, hexKey, WeftError } from '../crypto/index.js';
import { type LogicVerdict, logicRef } from '../resource/index.js';
import type { Proof } from '../smt/index.js';

/**
 * What a program sees while it runs. Every method charges gas (docs/scopes.md, "Gas"); touching
 * an object the transaction did not declare, writing one declared read-only or one owned by
 * another program fails the transaction, whatever the program does with the exception.
 */
export interface ProgramContext {
  /** the transaction id (what signers signed) */
  readonly txId: Uint8Array;
  /** the program being called */
  readonly program: Uint8Array;
  /** keys whose signatures over txId the layer above verified */
  readonly signers: readonly PublicKey[];
  /** the object's value as the meta-instruction read it, or as this transaction last wrote it */
  read(object: Uint8Array): Uint8Array | null;
  /** the object's latest sequence number before this transaction (0 if never written) */
  seq(object: Uint8Array): bigint;
  /** a new value for an object this program owns and the transaction declared writable */
  write(object: Uint8Array, value: Uint8Array | null): void;
  /** reports `count` logic steps (loop iterations, arithmetic): the program's own work */
  step(count?: number | bigint): void;
  /** SHA-256, metered per byte */
  hash(data: Uint8Array): Uint8Array;
  /** a signature check, metered */
  verifySignature(publicKey: PublicKey, message: Uint8Array, signature: Signature): boolean;
  /** a Merkle membership check in the weft tree, metered per sibling */
  verifyMembership(root: Uint8Array, key: Uint8Array, value: Uint8Array, proof: Proof): boolean;
  /** whether `publicKey` signed the transaction (metered like a lookup) */
  isSignedBy(publicKey: PublicKey): boolean;
}

export type ProgramVerdict = LogicVerdict;

export interface Program {
  readonly name: string;
  readonly version: number;
  /** logicRef(name, version): owner of the program's objects */
  readonly ref: Uint8Array;
  /** Deterministic: reads only `ctx` and `input`; no I/O, clock or randomness. */
  execute(ctx: ProgramContext, input: Uint8Array): ProgramVerdict;
}

export type DefineProgramParameters = {
  name: string;
  version: number;
  execute: (ctx: ProgramContext, input: Uint8Array) => ProgramVerdict;
};

/**
 * A program with its ref computed from name and version.
 *
 * @example
 * const noop = defineProgram({ name: 'noop', version: 1, execute: () => accept() });
 */
export function defineProgram(p: DefineProgramParameters): Program {
  if (typeof p.execute !== 'function')
    throw new WeftError('BAD_INPUT', 'a program needs an execute function');
  return Object.freeze({
    name: p.name,
    version: p.version,
    ref: logicRef(p.name, p.version),
    execute: p.execute,
  });
}

/** Looks programs up by ref: what the executor needs. */
export type ProgramLookup = { get(ref: Uint8Array): Program | undefined };

/** ref -> program; refuses a second program under a ref already taken. */
export class ProgramRegistry implements ProgramLookup {
  private readonly byRef = new Map<string, Program>();

  constructor(programs: readonly Program[] = []) {
    for (const p of programs) this.register(p);
  }

  register(program: Program): this {
    assertBytes(program?.ref, 32, 'program.ref');
    const key = hexKey(program.ref);
    if (this.byRef.has(key))
      throw new WeftError('PROGRAM_EXISTS', `program ${program.name} is already registered`);
    this.byRef.set(key, program);
    return this;
  }

  get(ref: Uint8Array): Program | undefined {
    return ref instanceof Uint8Array && ref.length === 32 ? this.byRef.get(hexKey(ref)) : undefined;
  }

  list(): Program[] {
    return [...this.byRef.values()];
  }
}
