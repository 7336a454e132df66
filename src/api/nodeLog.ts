// The node's significant events as structured log lines (one JSON line each, through pino) and as
// the metrics that need an event to be measured (sync latency): blocks sealed, remote headers
// accepted or refused, views frozen and re-initialised, transfer phases, transport outages.
import type { Logger } from 'pino';
import { equalBytes, toHex, type WeftErrorCode } from '../crypto/index.js';
import type { DomainOutput } from '../domain/index.js';
import type { Transfer } from '../transfer/index.js';
import type { ApiNode } from './apiNode.js';
import type { NodeMetrics } from './metrics.js';

type Output<T extends DomainOutput['type']> = Extract<DomainOutput, { type: T }>;

/**
 * Logs `node`'s events to `log` and measures sync latency into `metrics`; returns the detach.
 *
 * @example
 * const unwatch = watchNode(node, pino(), metrics); // {"msg":"block sealed","height":"12",...}
 */
export function watchNode(node: ApiNode, log: Logger, metrics: NodeMetrics): () => void {
  const { domain, router: network, driver, transport } = node;
  const detach: (() => void)[] = [];
  const sealed = (o: Output<'blockSealed'>) =>
    log.info(
      {
        event: 'blockSealed',
        height: o.block.header.height.toString(),
        headerHash: toHex(o.headerHash),
        txCount: o.block.txs.length,
      },
      'block sealed',
    );
  const recorded = (o: Output<'remoteAccepted'>) =>
    log.debug(
      { event: 'remoteRecorded', domain: toHex(o.domainId), height: o.height.toString() },
      'remote header recorded in a block',
    );
  const frozen = (o: Output<'remoteFrozen'>) =>
    log.warn(
      { event: 'viewFrozen', domain: toHex(o.domainId), fromHeight: o.fromHeight.toString() },
      'remote view frozen',
    );
  const reinit = (o: Output<'remoteReinitialized'>) =>
    log.warn(
      {
        event: 'viewReinitialized',
        domain: toHex(o.domainId),
        height: o.height.toString(),
        forkHeight: o.forkHeight.toString(),
        by: o.by,
      },
      'remote view re-initialised by an operator',
    );
  const rejected = (o: Output<'txRejected'>) =>
    log.debug({ event: 'txRejected', txId: toHex(o.txId), code: o.code }, 'transaction refused');
  domain.on('blockSealed', sealed);
  domain.on('remoteAccepted', recorded);
  domain.on('remoteFrozen', frozen);
  domain.on('remoteReinitialized', reinit);
  domain.on('txRejected', rejected);
  detach.push(() => {
    domain.off('blockSealed', sealed);
    domain.off('remoteAccepted', recorded);
    domain.off('remoteFrozen', frozen);
    domain.off('remoteReinitialized', reinit);
    domain.off('txRejected', rejected);
  });

  if (network) {
    const accepted = (o: { at: Uint8Array; from: Uint8Array; height: bigint }) => {
      if (!equalBytes(o.at, domain.id)) return;
      const head = network.syncOf(domain.id)?.view(o.from)?.head.header;
      if (head && head.height === o.height) metrics.observeSync(o.from, head.timestamp);
      log.info(
        { event: 'remoteAccepted', domain: toHex(o.from), height: o.height.toString() },
        'remote header accepted',
      );
    };
    const refused = (o: { at: Uint8Array; from: Uint8Array; code: WeftErrorCode; message: string }) => {
      if (!equalBytes(o.at, domain.id)) return;
      log.warn(
        { event: 'remoteRefused', domain: toHex(o.from), code: o.code, reason: o.message },
        'remote update refused',
      );
    };
    network.on('accepted', accepted);
    network.on('refused', refused);
    detach.push(() => {
      network.off('accepted', accepted);
      network.off('refused', refused);
    });
  }

  if (driver) {
    const phase = (t: Transfer) =>
      log.info(
        {
          event: 'transferPhase',
          transfer: t.id,
          phase: t.phase,
          from: toHex(t.from),
          to: toHex(t.to),
          ...(t.failure ? { code: t.failure.code, reason: t.failure.reason } : {}),
        },
        'transfer phase',
      );
    driver.on('phase', phase);
    detach.push(() => driver.off('phase', phase));
  }

  if (transport?.onStatus) {
    detach.push(
      transport.onStatus((s) => {
        if (s.type === 'disconnect')
          log.warn({ event: 'transportDisconnected', server: s.server }, 'NATS disconnected');
        else log.info({ event: 'transportReconnected', server: s.server }, 'NATS reconnected');
      }),
    );
  }
  return () => {
    for (const d of detach.splice(0)) d();
  };
}
