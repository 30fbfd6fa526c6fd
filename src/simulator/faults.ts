/**
 * Fault rules injected through the admin API. Each rule is checked against every request outside `/__sim/`,
 * before the gateway, so it can simulate failures of IMS, OneTrust and every AEP API alike.
 */
import { z } from 'zod';

export const faultRuleInput = z
  .object({
    method: z.string().min(1).optional(),
    /** Regular expression tested against the request URL, query string included. */
    path: z.string().min(1),
    status: z.number().int().min(100).max(599).optional(),
    body: z.unknown().optional(),
    retryAfter: z.union([z.number().nonnegative(), z.string().min(1)]).optional(),
    delayMs: z.number().nonnegative().max(600_000).optional(),
    times: z.number().int().positive().optional(),
    probability: z.number().min(0).max(1).optional(),
    dropAfterCommit: z.boolean().optional(),
  })
  .strict();
export type FaultRuleInput = z.infer<typeof faultRuleInput>;

export interface FaultRule extends FaultRuleInput {
  id: string;
  /** How many more times the rule fires; undefined means forever. */
  remaining?: number;
  fired: number;
}

/** What a request should suffer, decided once when it arrives. */
export interface FaultEffect {
  ruleId: string;
  delayMs?: number;
  status?: number;
  body?: unknown;
  retryAfter?: string;
  dropAfterCommit: boolean;
}

export class FaultRules {
  private readonly releases = new Set<() => void>();
  private rules: Array<FaultRule & { pattern: RegExp }> = [];
  private nextId = 1;

  /** Throws a SyntaxError when the path is not a valid regular expression. */
  add(input: FaultRuleInput): FaultRule {
    const pattern = new RegExp(input.path);
    const rule = { ...input, id: `fault-${this.nextId++}`, remaining: input.times, fired: 0, pattern };
    this.rules.push(rule);
    return describe(rule);
  }

  list(): FaultRule[] {
    return this.rules.map(describe);
  }

  /** Removes every rule and lets go of every request a delay still holds (a test's "release now"). */
  clear(): void {
    this.rules = [];
    for (const release of [...this.releases]) release();
  }

  /** Registers what releases a held request early when the rules are cleared; returns how to unregister it. */
  onClear(release: () => void): () => void {
    this.releases.add(release);
    return () => this.releases.delete(release);
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  get isEmpty(): boolean {
    return this.rules.length === 0;
  }

  /** The first rule that matches and passes its probability draw fires; a rule whose `times` run out is removed. */
  take(method: string, url: string): FaultEffect | undefined {
    for (const rule of this.rules) {
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue;
      if (!rule.pattern.test(url)) continue;
      if (rule.probability !== undefined && !(Math.random() < rule.probability)) continue;
      rule.fired += 1;
      if (rule.remaining !== undefined) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== rule);
      }
      return {
        ruleId: rule.id,
        delayMs: rule.delayMs,
        status: rule.status,
        body: rule.body,
        retryAfter: rule.retryAfter === undefined ? undefined : String(rule.retryAfter),
        dropAfterCommit: rule.dropAfterCommit === true,
      };
    }
    return undefined;
  }
}

function describe(rule: FaultRule & { pattern?: RegExp }): FaultRule {
  const { pattern: _pattern, ...rest } = rule;
  return { ...rest };
}
