// Turns readings into a resource state (normal / constrained / critical). Each rule is a Schmitt trigger: it holds
// after `enterAfterSamples` consecutive readings past its limit and clears only after `exitAfterSamples` readings
// back past the limit by `hysteresisPercent`, so a value hovering at a limit does not make the state flap. A rule
// whose value does not apply (battery rules on mains power or without a battery) clears at once.
import { ResourceState } from '@aico/contracts';
import type { ResourcePolicySettings } from '../monitor.config';
import { availableMemoryPercent, onBatteryPower, type ResourceReading } from './resource-reading';

export interface ResourceConditionView {
  readonly code: string;
  /** The state the rule asks for; UNSPECIFIED for a rule that only holds background work. */
  readonly level: ResourceState;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

export interface PolicyVerdict {
  readonly state: ResourceState;
  readonly previous: ResourceState;
  readonly changed: boolean;
  /** The strongest holding rule of each resource, strongest first. */
  readonly conditions: readonly ResourceConditionView[];
  /** One line for logs and the state event. */
  readonly reason: string;
}

interface Rule {
  readonly code: string;
  readonly subject: 'cpu' | 'memory' | 'battery';
  readonly level: ResourceState;
  /** `above`: the rule holds while the value is above the threshold; `below`: while below it. */
  readonly direction: 'above' | 'below';
  readonly threshold: number;
  measure(reading: ResourceReading): number | undefined;
  describe(value: number, threshold: number): string;
}

interface RuleState {
  holds: boolean;
  /** Consecutive readings pointing the other way. */
  streak: number;
}

/** Background-only rules rank below constrained. */
const rank = (level: ResourceState): number => (level === ResourceState.UNSPECIFIED ? 0 : level);
const pct = (value: number): string => `${Math.round(value * 10) / 10}%`;

export class ResourcePolicy {
  private readonly rules: readonly Rule[];
  private readonly states = new Map<string, RuleState>();
  private current: ResourceState = ResourceState.UNSPECIFIED;

  constructor(private readonly settings: ResourcePolicySettings) {
    const cpu = (reading: ResourceReading) => reading.cpu.loadPercent;
    const memory = (reading: ResourceReading) => availableMemoryPercent(reading.memory);
    const battery = (reading: ResourceReading) => (onBatteryPower(reading.battery) ? reading.battery.percent : undefined);
    const cpuText = (value: number, threshold: number) => `CPU ${pct(value)} busy, above ${pct(threshold)}`;
    const memoryText = (value: number, threshold: number) => `available memory ${pct(value)}, below ${pct(threshold)}`;
    const batteryText = (value: number, threshold: number) => `on battery at ${pct(value)}, below ${pct(threshold)}`;
    this.rules = [
      {
        code: 'cpu_saturated',
        subject: 'cpu',
        level: ResourceState.CRITICAL,
        direction: 'above',
        threshold: settings.criticalCpuPercent,
        measure: cpu,
        describe: cpuText,
      },
      {
        code: 'cpu_busy',
        subject: 'cpu',
        level: ResourceState.CONSTRAINED,
        direction: 'above',
        threshold: settings.maxCpuPercent,
        measure: cpu,
        describe: cpuText,
      },
      {
        code: 'memory_critical',
        subject: 'memory',
        level: ResourceState.CRITICAL,
        direction: 'below',
        threshold: settings.criticalAvailableMemoryPercent,
        measure: memory,
        describe: memoryText,
      },
      {
        code: 'memory_low',
        subject: 'memory',
        level: ResourceState.CONSTRAINED,
        direction: 'below',
        threshold: settings.minAvailableMemoryPercent,
        measure: memory,
        describe: memoryText,
      },
      {
        code: 'battery_critical',
        subject: 'battery',
        level: ResourceState.CRITICAL,
        direction: 'below',
        threshold: settings.criticalBatteryPercent,
        measure: battery,
        describe: batteryText,
      },
      {
        code: 'battery_low',
        subject: 'battery',
        level: ResourceState.CONSTRAINED,
        direction: 'below',
        threshold: settings.lowBatteryPercent,
        measure: battery,
        describe: batteryText,
      },
      {
        code: 'battery_below_background_minimum',
        subject: 'battery',
        level: ResourceState.UNSPECIFIED,
        direction: 'below',
        threshold: settings.backgroundMinBatteryPercent,
        measure: battery,
        describe: (value, threshold) => `on battery at ${pct(value)}, below the ${pct(threshold)} background work needs`,
      },
    ];
    for (const rule of this.rules) this.states.set(rule.code, { holds: false, streak: 0 });
  }

  /** Normal, and no rule on its way to holding: the last reading was inside every limit. */
  get settled(): boolean {
    if (this.current !== ResourceState.NORMAL) return false;
    for (const trigger of this.states.values()) if (trigger.holds || trigger.streak > 0) return false;
    return true;
  }

  evaluate(reading: ResourceReading): PolicyVerdict {
    const holding: ResourceConditionView[] = [];
    for (const rule of this.rules) {
      const value = rule.measure(reading);
      if (this.step(rule, value) && value !== undefined) {
        holding.push({ code: rule.code, level: rule.level, value, threshold: rule.threshold, message: rule.describe(value, rule.threshold) });
      }
    }
    // Rules are listed strongest first within a resource: keep the first holding one of each.
    const seen = new Set<string>();
    const conditions = holding
      .filter((condition) => {
        const subject = this.rules.find((rule) => rule.code === condition.code)!.subject;
        return seen.has(subject) ? false : (seen.add(subject), true);
      })
      .sort((a, b) => rank(b.level) - rank(a.level));
    const state = conditions.reduce((strongest, condition) => (rank(condition.level) > rank(strongest) ? condition.level : strongest), ResourceState.NORMAL);
    const previous = this.current;
    this.current = state;
    return { state, previous, changed: state !== previous, conditions, reason: describeState(state, conditions) };
  }

  /** Advances one rule's trigger; returns whether it holds after this reading. */
  private step(rule: Rule, value: number | undefined): boolean {
    const trigger = this.states.get(rule.code)!;
    if (value === undefined) {
      trigger.holds = false;
      trigger.streak = 0;
      return false;
    }
    const past = rule.direction === 'above' ? value > rule.threshold : value < rule.threshold;
    const backInside =
      rule.direction === 'above' ? value <= rule.threshold - this.settings.hysteresisPercent : value >= rule.threshold + this.settings.hysteresisPercent;
    const pointsAway = trigger.holds ? backInside : past;
    trigger.streak = pointsAway ? trigger.streak + 1 : 0;
    const needed = trigger.holds ? this.settings.exitAfterSamples : this.settings.enterAfterSamples;
    if (trigger.streak >= needed) {
      trigger.holds = !trigger.holds;
      trigger.streak = 0;
    }
    return trigger.holds;
  }
}

export function stateName(state: ResourceState): string {
  switch (state) {
    case ResourceState.NORMAL:
      return 'normal';
    case ResourceState.CONSTRAINED:
      return 'constrained';
    case ResourceState.CRITICAL:
      return 'critical';
    case ResourceState.UNSPECIFIED:
      return 'unknown';
  }
}

function describeState(state: ResourceState, conditions: readonly ResourceConditionView[]): string {
  const causes = conditions.filter((condition) => condition.level === state).map((condition) => condition.message);
  return causes.length > 0 ? `${stateName(state)}: ${causes.join('; ')}` : `${stateName(state)}: every resource within its limits`;
}
