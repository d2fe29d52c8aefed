/** Pure: why probes were not acknowledged, and what to look at next. Table-tested. */
export interface ProbeFate {
  id: string;
  partition: number;
  offset: bigint;
  acknowledged: boolean;
  /** The group's committed offset on the probe's partition is past the probe: the app consumed it. */
  consumed: boolean;
  inDeadLetter: boolean;
  /** What the app's handler reported failing on this probe (its report on the dead-letter topic), if it did. */
  failure?: string;
}

export interface Diagnosis {
  verdict: string;
  next: string;
}

/**
 * The evidence, strongest first. daprd dead-letters a probe the same way whether the handler ran and failed or
 * the app could not be reached at all (connection refused: the record carries the probe's own headers and
 * nothing about why), so the handler's own failure report (PROBE_FAILED_TYPE on the dead-letter topic, part of
 * the probe contract) is what tells them apart: a report means the handler ran; a dead-lettered probe without
 * one means it never did. Then the consumer group's state, then the committed offsets.
 */
export function diagnose(fates: ProbeFate[], ctx: { groupId: string; probeTopic: string; replyTopic: string; deadLetterTopic?: string; lag?: bigint; groupProblem?: string }): Diagnosis | undefined {
  const missing = fates.filter((f) => !f.acknowledged);
  if (!missing.length) return undefined;
  const n = `${missing.length} of ${fates.length} probe(s)`;
  const ids = (list: ProbeFate[]): string => list.slice(0, 3).map((f) => f.id).join(', ');
  const failed = missing.filter((f) => f.failure !== undefined);
  if (failed.length) {
    const dead = failed.filter((f) => f.inDeadLetter).length;
    const where = dead ? `, ${dead} of them dead-lettered to ${ctx.deadLetterTopic}` : ' (Dapr was still retrying them)';
    return {
      verdict: `${failed.length} of ${fates.length} probe(s) reached the app, and its handler failed on them${where}: ${failed[0]!.failure}`,
      next: `the handler ran: fix what it reports (the app's log has the probe ids ${ids(failed)}); the sidecar reached the app, so its port and health are not the problem`,
    };
  }
  const dead = missing.filter((f) => f.inDeadLetter);
  if (dead.length) {
    return {
      verdict: `${dead.length} of ${fates.length} probe(s) went to the dead-letter topic ${ctx.deadLetterTopic} with no failure report from the app's handler: the app was unreachable from its sidecar (the handler never ran; daprd could not deliver them and gave up after its retries)`,
      next:
        'the app process was down, restarting or not listening on its app port (dapr.io/app-port) while daprd ran: look at the app container\'s restarts and the daprd log ("error returned from app channel", "connection refused"). ' +
        "Dapr's app health check (dapr.io/enable-app-health-check) makes daprd pause the subscription while the app is down instead of dead-lettering; a longer inbound retry budget in the Resiliency outlasts a restart. " +
        `If your app does not publish failure reports (type io.oke-dapr-actions.probe.failed) to the dead-letter topic as the probe contract asks, a failing handler looks the same: then look at its logs around ${ids(dead)}`,
    };
  }
  if (ctx.groupProblem) return { verdict: `${n} not acknowledged: ${ctx.groupProblem}`, next: 'the subscriber left or is rebalancing: look at the app\'s pods and daprd logs (with Dapr\'s app health check on, daprd also leaves while the app fails the check)' };
  const consumed = missing.filter((f) => f.consumed);
  if (consumed.length) {
    return {
      verdict: `${consumed.length} of ${fates.length} probe(s) were consumed by "${ctx.groupId}" but never acknowledged on ${ctx.replyTopic}`,
      next:
        'Dapr acknowledges events that match no route without delivering them: check the subscription\'s CEL route for the probe type, that the probe handler is enabled, and that it publishes to the reply topic' +
        (ctx.deadLetterTopic ? '' : ". Without dead-letter-topic, probes daprd gave up on (the app unreachable, the handler failing) look the same: set it to the subscription's deadLetterTopic to tell them apart"),
    };
  }
  return {
    verdict: `${n} not consumed by "${ctx.groupId}"${ctx.lag !== undefined ? ` (lag ${ctx.lag} on ${ctx.probeTopic})` : ''}`,
    next: 'the subscriber is stuck or too slow: look at daprd logs (connection to the brokers, SASL) and the app\'s processing time; a sidecar retrying deliveries to an app that is down holds its partition (the Resiliency\'s inbound retries) until the app is back or the app health check pauses the subscription',
  };
}
