// The network file: how nodes in separate processes learn about each other out of band — each
// domain's name, id, genesis key set, signed genesis header and API address. `weft up` writes it;
// `weft node --network FILE` reads it and follows every domain in it but its own.
import { readFileSync } from 'node:fs';
import { check, equalBytes, fromHex, toHex, WeftError } from '../crypto/index.js';
import {
  decodeKeySet,
  decodeSignedHeader,
  encodeKeySet,
  encodeSignedHeader,
  type KeySet,
  type SignedHeader,
} from '../domain/index.js';
import { parsePublicKeyJson, publicKeyToJson } from '../resource/index.js';
import { PROVERS_MAX, type ProverSet } from '../scope/index.js';
import type { Peer } from './router.js';

export const NETWORK_FILE_VERSION = 1;
/** Most domains one network file may list. */
export const NETWORK_DOMAINS_MAX = 64;

export type NetworkMember = {
  name: string;
  id: Uint8Array;
  keySet: KeySet;
  genesis: SignedHeader;
  /** the node's HTTP API, e.g. http://127.0.0.1:7401 */
  api: string;
  /**
   * Its prover set, when it has one (docs/provers.md): how followers count its attestations.
   * JSON `"provers": { "threshold": N, "provers": [{ "type", "key" }] }`; absent: the domain
   * proves its own blocks at each seal.
   */
  provers?: ProverSet;
  /**
   * Every node follows this domain from its start, transfers or not (JSON `"alwaysFollowed":
   * true`): a hub, a registry, a domain the operators want verified everywhere. Under `weft node
   * --follow interested` the others are followed only when a transfer needs them.
   */
  alwaysFollowed?: boolean;
};

export type NetworkFile = { version: number; domains: NetworkMember[] };

/** JSON text of a network file (bytes as 0x-hex). */
export function formatNetworkFile(members: NetworkMember[]): string {
  return `${JSON.stringify(
    {
      version: NETWORK_FILE_VERSION,
      domains: members.map((m) => ({
        name: m.name,
        id: toHex(m.id),
        keySet: toHex(encodeKeySet(m.keySet)),
        genesis: toHex(encodeSignedHeader(m.genesis)),
        api: m.api,
        ...(m.provers
          ? { provers: { threshold: m.provers.threshold, provers: m.provers.provers.map(publicKeyToJson) } }
          : {}),
        ...(m.alwaysFollowed ? { alwaysFollowed: true } : {}),
      })),
    },
    null,
    2,
  )}\n`;
}

/** Parses and checks a network file's JSON; every fault names the entry and field. */
export function parseNetworkFile(text: string, source = 'network file'): NetworkFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WeftError('BAD_CONFIG', `${source} is not JSON: ${(e as Error).message}`);
  }
  const obj = raw as { version?: unknown; domains?: unknown };
  check(
    typeof obj === 'object' && obj !== null && obj.version === NETWORK_FILE_VERSION,
    'BAD_CONFIG',
    `${source} must be an object with "version": ${NETWORK_FILE_VERSION}`,
  );
  check(
    Array.isArray(obj.domains) && obj.domains.length >= 1 && obj.domains.length <= NETWORK_DOMAINS_MAX,
    'BAD_CONFIG',
    `${source} must list 1..${NETWORK_DOMAINS_MAX} domains under "domains"`,
  );
  const domains = (obj.domains as Record<string, unknown>[]).map((d, i) => {
    const at = `${source}: domains[${i}]`;
    const field = <T>(name: string, parse: (v: string) => T): T => {
      const v = d?.[name];
      if (typeof v !== 'string') throw new WeftError('BAD_CONFIG', `${at}.${name} must be a string`);
      try {
        return parse(v);
      } catch (e) {
        throw new WeftError('BAD_CONFIG', `${at}.${name}: ${(e as Error).message}`);
      }
    };
    const member: NetworkMember = {
      name: field('name', (v) => v),
      id: field('id', (v) => fromHex(v, 32)),
      keySet: field('keySet', (v) => decodeKeySet(fromHex(v))),
      genesis: field('genesis', (v) => decodeSignedHeader(fromHex(v))),
      api: field('api', (v) => new URL(v).toString().replace(/\/$/, '')),
    };
    if (d?.provers !== undefined) member.provers = proverSetOf(d.provers, `${at}.provers`);
    if (d?.alwaysFollowed !== undefined) {
      if (typeof d.alwaysFollowed !== 'boolean')
        throw new WeftError('BAD_CONFIG', `${at}.alwaysFollowed must be true or false`);
      if (d.alwaysFollowed) member.alwaysFollowed = true;
    }
    check(
      equalBytes(member.genesis.header.domain, member.id) && member.genesis.header.height === 0n,
      'BAD_CONFIG',
      `${at}.genesis is not the height-0 header of domain ${member.name}`,
    );
    return member;
  });
  const names = new Set(domains.map((d) => d.name));
  check(names.size === domains.length, 'BAD_CONFIG', `${source} lists a domain name twice`);
  return { version: NETWORK_FILE_VERSION, domains };
}

export function readNetworkFile(path: string): NetworkFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new WeftError('BAD_CONFIG', `cannot read the network file ${path}: ${(e as Error).message}`);
  }
  return parseNetworkFile(text, path);
}

/** The domains of a network every node follows from its start (`alwaysFollowed`), but `self`. */
export function alwaysFollowedOf(file: NetworkFile, self: Uint8Array): Uint8Array[] {
  return file.domains.filter((d) => d.alwaysFollowed && !equalBytes(d.id, self)).map((d) => d.id);
}

/** The peers of `self` in a network: every member but itself. */
export function peersOf(file: NetworkFile, self: Uint8Array): Peer[] {
  return file.domains
    .filter((d) => !equalBytes(d.id, self))
    .map((d) => ({
      id: d.id,
      name: d.name,
      keySet: d.keySet,
      genesis: d.genesis,
      ...(d.provers ? { provers: d.provers } : {}),
    }));
}

/** A prover set from the network file's JSON; BAD_CONFIG naming the field otherwise. */
function proverSetOf(raw: unknown, at: string): ProverSet {
  const o = raw as { threshold?: unknown; provers?: unknown };
  const list = o?.provers;
  if (!Array.isArray(list) || list.length < 1 || list.length > PROVERS_MAX)
    throw new WeftError('BAD_CONFIG', `${at} must list 1..${PROVERS_MAX} provers`);
  const t = o.threshold;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > list.length)
    throw new WeftError('BAD_CONFIG', `${at}.threshold must be between 1 and the number of provers`);
  try {
    return { threshold: t, provers: list.map((p, i) => parsePublicKeyJson(p, `${at}.provers[${i}]`)) };
  } catch (e) {
    throw new WeftError('BAD_CONFIG', `${at}: ${(e as Error).message}`);
  }
}
