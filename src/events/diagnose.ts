/** Pure: why probes were not acknowledged, and what to look at next. Table-tested. */
export interface ProbeFate {
  id: string;
  partition: number;
  offset: bigint;
  acknowledged: boolean;
  /** The group's committed offset on the probe's partition is past the probe: the app consumed it. */
  consumed: boolean;
  inDeadLetter: boolean;
}

export interface Diagnosis {
  verdict: string;
  next: string;
}

export function diagnose(fates: ProbeFate[], ctx: { groupId: string; probeTopic: string; replyTopic: string; deadLetterTopic?: string; lag?: bigint; groupProblem?: string }): Diagnosis | undefined {
  const missing = fates.filter((f) => !f.acknowledged);
  if (!missing.length) return undefined;
  const n = `${missing.length} of ${fates.length} probe(s)`;
  if (ctx.groupProblem) return { verdict: `${n} not acknowledged: ${ctx.groupProblem}`, next: 'the subscriber left or is rebalancing: look at the app\'s pods and daprd logs' };
  const dead = missing.filter((f) => f.inDeadLetter);
  if (dead.length) {
    return { verdict: `${dead.length} of ${fates.length} probe(s) went to the dead-letter topic ${ctx.deadLetterTopic}: the app's handler failed on them`, next: `look at the app's logs around the probe ids (${dead.slice(0, 3).map((f) => f.id).join(', ')}) and the handler of the probe route` };
  }
  const consumed = missing.filter((f) => f.consumed);
  if (consumed.length) {
    return {
      verdict: `${consumed.length} of ${fates.length} probe(s) were consumed by "${ctx.groupId}" but never acknowledged on ${ctx.replyTopic}`,
      next: 'Dapr acknowledges events that match no route without delivering them: check the subscription\'s CEL route for the probe type, that the probe handler is enabled, and that it publishes to the reply topic',
    };
  }
  return {
    verdict: `${n} not consumed by "${ctx.groupId}"${ctx.lag !== undefined ? ` (lag ${ctx.lag} on ${ctx.probeTopic})` : ''}`,
    next: 'the subscriber is stuck or too slow: look at daprd logs (connection to the brokers, SASL) and the app\'s processing time',
  };
}
