import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveNodeConfig } from '../src/cli/nodeConfig.js';
import { readApiToken, readNatsCredentials } from '../src/cli/runNode.js';
import { keyPairFromSeed } from '../src/crypto/index.js';
import { alwaysFollowedOf, formatNetworkFile, parseNetworkFile, peersOf } from '../src/node/networkFile.js';
import { makeDomain } from './helpers/domain.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-config-'));

describe('weft node configuration', () => {
  it('takes each setting from flags, then environment, then the config file, then defaults', () => {
    const file = join(dir, 'node.json');
    writeFileSync(file, JSON.stringify({ domain: 'from-file', data: '/f', heartbeatMs: 500, mode: 'full' }));
    const c = resolveNodeConfig(['--config', file, '--data', '/flag'], { WEFT_DOMAIN: 'from-env' });
    expect(c).toEqual({
      domain: 'from-env',
      data: '/flag',
      listen: { host: '127.0.0.1', port: 7400 },
      nats: null,
      network: null,
      mode: 'full',
      follow: 'everyone',
      blockIntervalMs: 100,
      minBlockIntervalMs: 100,
      sigWorkers: 1,
      heartbeatMs: 500,
      tokenFile: join('/flag', 'api.token'),
      logLevel: 'info',
    });
    expect(resolveNodeConfig(['--help'])).toBe('help');
  });

  it('takes the shortest block interval from flag or environment, and refuses one that is not a period', () => {
    const base = ['--domain', 'a', '--data', '/d'];
    const f = resolveNodeConfig([...base, '--min-block-interval-ms', '25'], {});
    expect(f !== 'help' && f.minBlockIntervalMs).toBe(25);
    const e = resolveNodeConfig(base, { WEFT_MIN_BLOCK_INTERVAL_MS: '40' });
    expect(e !== 'help' && e.minBlockIntervalMs).toBe(40);
    expect(() => resolveNodeConfig([...base, '--min-block-interval-ms', '0'], {})).toThrow(
      /--min-block-interval-ms must be a whole number of milliseconds/,
    );
  });

  it('takes the signature workers from flag, environment or config file: 1 by default, 0 for none, at most 64', () => {
    const base = ['--domain', 'a', '--data', '/d'];
    const d = resolveNodeConfig(base, {});
    expect(d !== 'help' && d.sigWorkers).toBe(1);
    const f = resolveNodeConfig([...base, '--sig-workers', '0'], {});
    expect(f !== 'help' && f.sigWorkers).toBe(0);
    const e = resolveNodeConfig(base, { WEFT_SIG_WORKERS: '3' });
    expect(e !== 'help' && e.sigWorkers).toBe(3);
    for (const bad of ['65', '-1', '1.5', 'two'])
      expect(() => resolveNodeConfig([...base, '--sig-workers', bad], {})).toThrow(
        /--sig-workers must be a whole number of threads 0\.\.64/,
      );
  });

  it('takes the token file and log level from flag, environment or config file, and checks the level', () => {
    const base = ['--domain', 'a', '--data', '/d'];
    const f = resolveNodeConfig([...base, '--token-file', '/t', '--log-level', 'debug'], {});
    expect(f !== 'help' && [f.tokenFile, f.logLevel]).toEqual(['/t', 'debug']);
    const e = resolveNodeConfig(base, { WEFT_API_TOKEN_FILE: '/e', WEFT_LOG_LEVEL: 'silent' });
    expect(e !== 'help' && [e.tokenFile, e.logLevel]).toEqual(['/e', 'silent']);
    const file = join(dir, 'tok.json');
    writeFileSync(file, JSON.stringify({ tokenFile: '/c', logLevel: 'warn' }));
    const c = resolveNodeConfig([...base, '--config', file], {});
    expect(c !== 'help' && [c.tokenFile, c.logLevel]).toEqual(['/c', 'warn']);
    expect(() => resolveNodeConfig([...base, '--log-level', 'loud'], {})).toThrow(
      /--log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'/,
    );
  });

  it('makes the API token on first start (64 hex characters, mode 0600), reads it after, refuses it readable by others', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'weft-token-')), 'sub', 'api.token');
    const t = readApiToken(file);
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readApiToken(file)).toBe(t);
    expect(readFileSync(file, 'utf8').trim()).toBe(t);
    chmodSync(file, 0o640);
    expect(() => readApiToken(file)).toThrow(/readable by others \(mode 640\)/);
    const short = join(dir, 'short.token');
    writeFileSync(short, 'abc\n', { mode: 0o600 });
    expect(() => readApiToken(short)).toThrow(/16\.\.512 characters/);
  });

  it('takes the trusting period and the anchor policy from flags or environment, and checks them', () => {
    const base = ['--domain', 'a', '--data', '/d'];
    const c = resolveNodeConfig([...base, '--trusting-period-ms', '60000', '--anchor-max-hops', '1'], {
      WEFT_ANCHOR_MAX_AGE_MS: '30000',
    });
    expect(c !== 'help' && c.trustingPeriodMs).toBe(60_000n);
    expect(c !== 'help' && c.anchorPolicy).toEqual({ maxIntermediaries: 1, maxStalenessMs: 30_000 });
    const plain = resolveNodeConfig(base, {});
    expect(plain !== 'help' && plain.anchorPolicy).toBeUndefined();
    expect(plain !== 'help' && plain.trustingPeriodMs).toBeUndefined();
    expect(() => resolveNodeConfig([...base, '--anchor-max-hops', '2'], {})).toThrow(
      /needs --anchor-max-age-ms/,
    );
    expect(() =>
      resolveNodeConfig([...base, '--anchor-max-hops', '9', '--anchor-max-age-ms', '1'], {}),
    ).toThrow(/--anchor-max-hops must be a whole number of domains 0..8/);
    expect(() => resolveNodeConfig([...base, '--anchor-max-age-ms', '5'], {})).toThrow(
      /needs --anchor-max-hops/,
    );
    expect(() => resolveNodeConfig([...base, '--trusting-period-ms', '0'], {})).toThrow(
      /--trusting-period-ms must be a whole number of milliseconds/,
    );
  });

  it('follows an EVM vault with --evm-rpc and --evm-vault together, from flags, environment or file', () => {
    const base = ['--domain', 'a', '--data', '/d'];
    const vault = `0x${'ab'.repeat(20)}`;
    const c = resolveNodeConfig([...base, '--evm-rpc', 'http://127.0.0.1:8545', '--evm-confirmations', '3'], {
      WEFT_EVM_VAULT: vault,
    });
    expect(c !== 'help' && c.evm).toEqual({
      rpcUrl: 'http://127.0.0.1:8545',
      vault,
      confirmations: 3n,
      pollMs: 1000,
    });
    const plain = resolveNodeConfig(base, {});
    expect(plain !== 'help' && plain.evm).toBeUndefined();
    const dflt = resolveNodeConfig([...base, '--evm-rpc', 'https://rpc.example', '--evm-vault', vault], {});
    expect(dflt !== 'help' && dflt.evm?.confirmations).toBe(12n);
    expect(() => resolveNodeConfig([...base, '--evm-rpc', 'http://127.0.0.1:8545'], {})).toThrow(
      /needs the vault's address: --evm-vault/,
    );
    expect(() => resolveNodeConfig([...base, '--evm-vault', vault], {})).toThrow(
      /needs the chain's endpoint/,
    );
    expect(() => resolveNodeConfig([...base, '--evm-confirmations', '2'], {})).toThrow(
      /--evm-confirmations configures the EVM vault/,
    );
    expect(() => resolveNodeConfig([...base, '--evm-rpc', 'ws://x:1', '--evm-vault', vault], {})).toThrow(
      /must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(() => resolveNodeConfig([...base, '--evm-rpc', 'http://x:1', '--evm-vault', '0x12'], {})).toThrow(
      /must be an EVM address/,
    );
    expect(() =>
      resolveNodeConfig(
        [...base, '--evm-rpc', 'http://x:1', '--evm-vault', vault, '--evm-confirmations', '-1'],
        {},
      ),
    ).toThrow(/--evm-confirmations needs a value|must be a whole number of blocks/);
  });

  it('verifies in full mode unless a weaker mode is asked for', () => {
    const c = resolveNodeConfig(['--domain', 'a', '--data', '/d'], {});
    expect(c !== 'help' && c.mode).toBe('full');
    const weak = resolveNodeConfig(['--domain', 'a', '--data', '/d', '--mode', 'transition'], {});
    expect(weak !== 'help' && weak.mode).toBe('transition');
  });

  it('follows every peer unless told to follow only those it has reason to, from flag, environment or file', () => {
    const c = resolveNodeConfig(['--domain', 'a', '--data', '/d'], {});
    expect(c !== 'help' && c.follow).toBe('everyone');
    // Full mode (the default) follows on interest too: claims from a peer it does not follow are
    // checked against the key set the network file gives for that peer (docs/sync.md).
    expect(resolveNodeConfig(['--domain', 'a', '--data', '/d', '--follow', 'interested'], {})).toMatchObject({
      follow: 'interested',
      mode: 'full',
    });
    const base = ['--domain', 'a', '--data', '/d', '--mode', 'transition'];
    expect(resolveNodeConfig([...base, '--follow', 'interested'], {})).toMatchObject({
      follow: 'interested',
    });
    expect(resolveNodeConfig(base, { WEFT_FOLLOW: 'interested' })).toMatchObject({ follow: 'interested' });
    const file = join(dir, 'follow.json');
    writeFileSync(file, JSON.stringify({ follow: 'interested' }));
    expect(resolveNodeConfig([...base, '--config', file], {})).toMatchObject({ follow: 'interested' });
    // The flag wins over the environment.
    expect(resolveNodeConfig([...base, '--follow', 'everyone'], { WEFT_FOLLOW: 'interested' })).toMatchObject(
      {
        follow: 'everyone',
      },
    );
    expect(() => resolveNodeConfig([...base, '--follow', 'some'], {})).toThrow(
      /--follow must be everyone or interested, got 'some'/,
    );
    expect(() => resolveNodeConfig(base, { WEFT_FOLLOW: 'all' })).toThrow(
      /WEFT_FOLLOW must be everyone or interested/,
    );
  });

  it.each([
    [['--data', '/d'], {}, /--domain is required/],
    [['--domain', 'Bad Name', '--data', '/d'], {}, /--domain must be/],
    [['--domain', 'a', '--data', '/d', '--listen', 'nowhere'], {}, /--listen must be HOST:PORT/],
    [['--domain', 'a', '--data', '/d', '--listen', '127.0.0.1:70000'], {}, /port 0..65535/],
    [['--domain', 'a', '--data', '/d', '--nats', 'http://x'], {}, /nats:\/\/ or tls:\/\//],
    [['--domain', 'a', '--data', '/d', '--network', '/n.json'], {}, /needs --nats/],
    [['--domain', 'a', '--data', '/d'], { WEFT_MODE: 'fast' }, /WEFT_MODE must be signatures/],
    [['--domain', 'a', '--data', '/d', '--heartbeat-ms', '0'], {}, /--heartbeat-ms must be a whole number/],
    [['--domain', 'a', '--data', '/d', '--frobnicate', '1'], {}, /unknown option '--frobnicate'/],
    [['--domain', 'a', '--data'], {}, /--data needs a value/],
    [['--domain', 'a', '--data', '/d', '--config', '/no/such/file.json'], {}, /cannot read the config file/],
  ])('refuses %j %j with a message naming the setting', (args, env, message) => {
    expect(() => resolveNodeConfig(args as string[], env)).toThrow(message);
  });

  it('refuses a config file with an unknown key', () => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ domian: 'a' }));
    expect(() => resolveNodeConfig(['--config', file])).toThrow(/unknown key "domian"/);
  });
});

describe('the network file', () => {
  it('round-trips members and gives each node its peers', async () => {
    const a = await makeDomain('nf-a');
    const b = await makeDomain('nf-b');
    const members = [a, b].map((d, i) => ({
      name: d.name,
      id: d.id,
      keySet: d.keySet,
      genesis: d.header(0n)!,
      api: `http://127.0.0.1:${7400 + i}`,
    }));
    const parsed = parseNetworkFile(formatNetworkFile(members));
    expect(parsed.domains.map((d) => d.name)).toEqual(['nf-a', 'nf-b']);
    expect(peersOf(parsed, a.id).map((p) => p.name)).toEqual(['nf-b']);
    expect(parsed.domains[1]!.genesis).toEqual(b.header(0n));
  });

  it('refuses a genesis that is not the named domain, and junk', async () => {
    const a = await makeDomain('nf-c');
    const b = await makeDomain('nf-d');
    const text = formatNetworkFile([
      { name: 'nf-c', id: a.id, keySet: a.keySet, genesis: b.header(0n)!, api: 'http://127.0.0.1:1' },
    ]);
    expect(() => parseNetworkFile(text)).toThrow(/genesis is not the height-0 header/);
    expect(() => parseNetworkFile('{')).toThrow(/not JSON/);
    expect(() => parseNetworkFile('{"version":1,"domains":[{"name":"x"}]}')).toThrow(
      /domains\[0\]\.id must be a string/,
    );
  });
});

describe('weft node NATS credentials', () => {
  const base = ['--domain', 'a', '--data', '/d', '--nats', 'nats://127.0.0.1:4222'];

  it('takes a credentials file, or a user with its password from the environment only', () => {
    expect(resolveNodeConfig([...base, '--nats-creds', '/c.json'], {})).toMatchObject({
      natsAuth: { credsFile: '/c.json' },
    });
    expect(resolveNodeConfig(base, { WEFT_NATS_CREDS: '/e.json' })).toMatchObject({
      natsAuth: { credsFile: '/e.json' },
    });
    expect(
      resolveNodeConfig([...base, '--nats-user', 'alpha', '--nats-ca', '/ca.pem'], {
        WEFT_NATS_PASSWORD: 's3cret',
      }),
    ).toMatchObject({ natsAuth: { user: 'alpha', password: 's3cret' }, natsCa: '/ca.pem' });
    expect(resolveNodeConfig(base, {})).not.toHaveProperty('natsAuth');
  });

  it.each([
    [['--nats-password', 'x'], {}, /unknown option '--nats-password'/],
    [['--nats-user', 'alpha'], {}, /needs its password in WEFT_NATS_PASSWORD/],
    [[], { WEFT_NATS_PASSWORD: 'x' }, /needs a user/],
    [
      ['--nats-user', 'alpha', '--nats-creds', '/c.json'],
      { WEFT_NATS_PASSWORD: 'x' },
      /give NATS credentials once/,
    ],
  ])('refuses %j %j', (extra, env, message) => {
    expect(() => resolveNodeConfig([...base, ...(extra as string[])], env)).toThrow(message);
  });

  it('refuses credentials without a NATS server to use them on', () => {
    expect(() => resolveNodeConfig(['--domain', 'a', '--data', '/d', '--nats-creds', '/c.json'], {})).toThrow(
      /--nats-creds configures NATS: the node needs --nats too/,
    );
  });

  it('reads a credentials file only its owner can read', () => {
    const file = join(dir, 'alpha.nats.json');
    writeFileSync(file, JSON.stringify({ user: 'alpha', password: 'pw', inboxPrefix: '_INBOX_ab' }), {
      mode: 0o600,
    });
    expect(readNatsCredentials(file)).toEqual({
      auth: { user: 'alpha', password: 'pw' },
      inboxPrefix: '_INBOX_ab',
    });
    chmodSync(file, 0o644);
    expect(() => readNatsCredentials(file)).toThrow(/readable by others \(mode 644\)/);
    const bad = join(dir, 'bad.nats.json');
    writeFileSync(bad, '{"user": 1}', { mode: 0o600 });
    expect(() => readNatsCredentials(bad)).toThrow(/"user" and "password"/);
    const creds = join(dir, 'alpha.creds');
    writeFileSync(creds, '-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n', {
      mode: 0o600,
    });
    expect(readNatsCredentials(creds).auth).toHaveProperty('creds');
  });
});

describe('weft node --provers', () => {
  it('reads a prover set from its JSON file, and refuses a malformed one', () => {
    const key = `0x${'11'.repeat(32)}`;
    const good = join(dir, 'provers.json');
    writeFileSync(good, JSON.stringify({ threshold: 1, provers: [{ type: 'ed25519', key }] }));
    const c = resolveNodeConfig(['--domain', 'a', '--data', '/d', '--provers', good], {});
    expect(c !== 'help' && c.provers?.threshold).toBe(1);
    expect(c !== 'help' && c.provers?.provers[0]?.type).toBe('ed25519');
    const none = resolveNodeConfig(['--domain', 'a', '--data', '/d'], {});
    expect(none !== 'help' && 'provers' in none).toBe(false);
    const bad = join(dir, 'bad-provers.json');
    writeFileSync(bad, JSON.stringify({ threshold: 2, provers: [{ type: 'ed25519', key }] }));
    expect(() => resolveNodeConfig(['--domain', 'a', '--data', '/d', '--provers', bad], {})).toThrow(
      /threshold/,
    );
    writeFileSync(bad, JSON.stringify({ threshold: 1, provers: [{ type: 'rsa', key }] }));
    expect(() => resolveNodeConfig(['--domain', 'a', '--data', '/d', '--provers', bad], {})).toThrow(
      /provers\[0\]/,
    );
  });
});

describe('weft node --programs', () => {
  it('names a program set for scoped transactions, and refuses an unknown one', () => {
    const c = resolveNodeConfig(['--domain', 'a', '--data', '/d'], { WEFT_PROGRAMS: 'examples' });
    expect(c !== 'help' && c.programs).toBe('examples');
    expect(() => resolveNodeConfig(['--domain', 'a', '--data', '/d', '--programs', 'evm'], {})).toThrow(
      /program set/,
    );
  });
});

describe('weft node --require-proven-anchors', () => {
  it('takes true or false from a flag, the environment or the config file, and refuses anything else', () => {
    const on = resolveNodeConfig(['--domain', 'a', '--data', '/d', '--require-proven-anchors', 'true'], {});
    expect(on !== 'help' && on.requireProvenAnchors).toBe(true);
    const off = resolveNodeConfig(['--domain', 'a', '--data', '/d'], {
      WEFT_REQUIRE_PROVEN_ANCHORS: 'false',
    });
    expect(off !== 'help' && off.requireProvenAnchors).toBeUndefined();
    expect(() =>
      resolveNodeConfig(['--domain', 'a', '--data', '/d', '--require-proven-anchors', 'yes'], {}),
    ).toThrow(/--require-proven-anchors must be true or false/);
  });
});

describe('the network file with prover sets', () => {
  it('carries a domain’s prover set to its peers, and refuses a malformed one', async () => {
    const d = await makeDomain('net-proved');
    const provers = [makeKey(1), makeKey(2)];
    const member = {
      name: d.name,
      id: d.id,
      keySet: d.keySet,
      genesis: d.header(0n)!,
      api: 'http://127.0.0.1:7401',
      provers: { threshold: 2, provers: provers.map((k) => k.publicKey) },
    };
    const parsed = parseNetworkFile(formatNetworkFile([member]));
    expect(parsed.domains[0]!.provers).toEqual(member.provers);
    const [peer] = peersOf(parsed, new Uint8Array(32));
    expect(peer!.provers).toEqual(member.provers);
    // Without one, the peer proves its own blocks: no field at all.
    const plain = parseNetworkFile(formatNetworkFile([{ ...member, provers: undefined }]));
    expect('provers' in plain.domains[0]!).toBe(false);
    const raw = JSON.parse(formatNetworkFile([member])) as { domains: { provers: { threshold: number } }[] };
    raw.domains[0]!.provers.threshold = 3;
    expect(() => parseNetworkFile(JSON.stringify(raw))).toThrow(/provers.threshold must be between 1/);
  });

  it('names the domains every node follows from its start (alwaysFollowed), and refuses a non-boolean', async () => {
    const hub = await makeDomain('net-hub');
    const leaf = await makeDomain('net-leaf');
    const member = (d: typeof hub, i: number) => ({
      name: d.name,
      id: d.id,
      keySet: d.keySet,
      genesis: d.header(0n)!,
      api: `http://127.0.0.1:${7410 + i}`,
    });
    const text = formatNetworkFile([{ ...member(hub, 0), alwaysFollowed: true }, member(leaf, 1)]);
    const parsed = parseNetworkFile(text);
    expect(parsed.domains.map((d) => d.alwaysFollowed ?? false)).toEqual([true, false]);
    expect('alwaysFollowed' in (JSON.parse(text) as { domains: object[] }).domains[1]!).toBe(false);
    expect(alwaysFollowedOf(parsed, leaf.id)).toEqual([hub.id]);
    // A node does not follow itself.
    expect(alwaysFollowedOf(parsed, hub.id)).toEqual([]);
    const raw = JSON.parse(text) as { domains: { alwaysFollowed?: unknown }[] };
    raw.domains[0]!.alwaysFollowed = 'yes';
    expect(() => parseNetworkFile(JSON.stringify(raw))).toThrow(
      /domains\[0\]\.alwaysFollowed must be true or false/,
    );
  });
});

function makeKey(n: number) {
  return keyPairFromSeed('ed25519', new Uint8Array(32).fill(n));
}
