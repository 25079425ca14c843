// How both compilers (compile-custom.ts, procedures/clusterpro/compile-clusterpro.ts) lay out
// stages: node tasks join the open tasks stage while their target stays the same; a barrier,
// gate, notice or safe point closes it (SPEC §4.1). A rolling block runs batch by batch, with
// a safe point between two batches where a maintenance window may pause the run (§4.4).
import type { CoordinatorStage, NodeTask, Stage } from './plan.js';

type TasksStage = Extract<Stage, { type: 'tasks' }>;

export class StageBuilder {
  readonly stages: Stage[] = [];
  private open: { target: string; stage: TasksStage } | undefined;

  /** Adds the lanes to the open stage when it has this target; otherwise opens stage `id`. */
  addTasks(target: string, id: string, lanes: Record<string, NodeTask[]>): void {
    if (this.open?.target !== target) {
      this.open = { target, stage: { type: 'tasks', id, lanes: {} } };
      this.stages.push(this.open.stage);
    }
    for (const [node, tasks] of Object.entries(lanes)) (this.open.stage.lanes[node] ??= []).push(...tasks);
  }

  /** A coordinator stage; the next node tasks open a new stage. */
  addStage(stage: CoordinatorStage): void {
    this.open = undefined;
    this.stages.push(stage);
  }

  /** Calls `each` for every batch of `order` in turn, with a safe point (named by `safePointId`) between two batches. */
  rolling(order: readonly string[], size: number, safePointId: (batch: string[], previous: Stage) => string, each: (batch: string[], index: number) => void): void {
    for (let start = 0; start < order.length; start += size) {
      const batch = order.slice(start, start + size);
      const previous = this.stages.at(-1);
      if (start > 0 && previous !== undefined) this.addStage({ type: 'safe-point', id: safePointId(batch, previous) });
      each(batch, start / size);
    }
  }
}
