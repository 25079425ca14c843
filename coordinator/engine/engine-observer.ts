// What the engine lets an observer (the coordinator's /metrics) see, without the observer
// reaching into it: every event the journal commits, every call made to an agent, and, read
// when asked, the runs by state and the windows of the runs that have one.
import type { RunEvent } from '../../shared/domain/run.js';
import { isLockstepError } from '../../shared/errors.js';
import type { Plan } from '../plan/plan.js';
import type { ConnectAgents, RunAgent, RunAgents } from './run-agents.js';

/** A windowed run that is not final, as its schedule reads now. */
export interface RunWindowTimes {
  runId: string;
  /** Inside a window: when it closes. */
  closesAtMs?: number;
  /** When the next window opens. */
  nextOpeningAtMs?: number;
}

/** What the observer may read at any time (a scrape). */
export interface EngineReadings {
  runsByState(): ReadonlyMap<string, number>;
  windows(): RunWindowTimes[];
}

export interface EngineObserver {
  /** Each committed event; `planOf` reads the run's plan (cached by the store) only when the observer needs it. */
  runEvent(event: RunEvent, planOf: (runId: string) => Plan): void;
  /** One call to an agent: its method, how long it took, and the error code when it failed. */
  agentCall(method: string, seconds: number, errorCode: string | undefined): void;
  /** Called once, when the engine is built. */
  readFrom(readings: EngineReadings): void;
}

/** The same connections, with every call on them reported to the observer. */
export function observedConnect(connect: ConnectAgents, observer: EngineObserver): ConnectAgents {
  return async (nodes, tls, deadlineMs) => observedAgents(await connect(nodes, tls, deadlineMs), observer);
}

function observedAgents(agents: RunAgents, observer: EngineObserver): RunAgents {
  // One wrapper per client, not one per call: the driver asks for a client before every call.
  const wrapped = new WeakMap<RunAgent, RunAgent>();
  const wrap = (agent: RunAgent): RunAgent => {
    let observed = wrapped.get(agent);
    if (observed === undefined) {
      observed = observedAgent(agent, observer);
      wrapped.set(agent, observed);
    }
    return observed;
  };
  return {
    client: (node) => wrap(agents.client(node)),
    reconnect: (node) => wrap(agents.reconnect(node)),
    serves: (nodes) => agents.serves(nodes),
    setDeadline: (deadlineMs) => agents.setDeadline(deadlineMs),
    close: () => agents.close(),
  };
}

function observedAgent(agent: RunAgent, observer: EngineObserver): RunAgent {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]): unknown => {
        const started = performance.now();
        const result: unknown = Reflect.apply(value, target, args);
        if (!(result instanceof Promise)) return result;
        const seconds = (): number => (performance.now() - started) / 1000;
        return result.then(
          (answer: unknown) => {
            observer.agentCall(property, seconds(), undefined);
            return answer;
          },
          (error: unknown) => {
            observer.agentCall(property, seconds(), isLockstepError(error) ? error.code : errorName(error));
            throw error;
          },
        );
      };
    },
  });
}

// A label of a few values, never a message: a label set is a time series.
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
