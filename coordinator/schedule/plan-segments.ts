// A plan's segments (SPEC §4.4): the work from one safe point to the next — one server of a
// rolling update, say. A maintenance window may stop a run only between two segments, so the
// engine never stops between "disable auto-start" and "enable auto-start" on a node; each
// segment's duration is predicted from its steps' kinds before it starts.
import type { Plan } from '../plan/plan.js';
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { Prediction } from './step-predictions.js';

export interface Segment {
  /** 1-based, in the plan's order. */
  number: number;
  /** Who works in it: "server2", "server1, server2", or "every node". */
  label: string;
  firstStage: number;
  /** One past its last stage: the next safe point, or the plan's end. */
  endStage: number;
}

export interface SegmentPrediction {
  medianMs: number;
  p90Ms: number;
  /** "expect", "p90 of 3 earlier runs", "rehearsal", "defaults", or several joined with " + ". */
  source: string;
}

export function planSegments(plan: Plan): Segment[] {
  const starts = [0, ...plan.stages.flatMap((stage, index) => (stage.type === 'safe-point' ? [index + 1] : []))];
  const everyNode = plan.nodes.length;
  return starts.map((firstStage, index) => {
    const endStage = (starts[index + 1] ?? plan.stages.length + 1) - 1;
    const nodes = new Set(plan.stages.slice(firstStage, endStage).flatMap((stage) => (stage.type === 'tasks' ? Object.keys(stage.lanes) : [])));
    const label = nodes.size === everyNode && everyNode > 1 ? 'every node' : nodes.size === 0 ? 'no node' : plan.nodes.map((node) => node.name).filter((name) => nodes.has(name)).join(', ');
    return { number: index + 1, label, firstStage, endStage };
  });
}

/** A stage takes as long as its slowest node's steps in order; the stages of a segment run one after another. */
export function predictSegment(plan: Plan, segment: Segment, predict: (kind: NodeStepKind) => Prediction): SegmentPrediction {
  let medianMs = 0;
  let p90Ms = 0;
  const used: Prediction[] = [];
  for (const stage of plan.stages.slice(segment.firstStage, segment.endStage)) {
    if (stage.type !== 'tasks') continue;
    let stageMedian = 0;
    let stageP90 = 0;
    for (const tasks of Object.values(stage.lanes)) {
      const predictions = tasks.map((task) => predict(task.kind));
      used.push(...predictions);
      stageMedian = Math.max(stageMedian, sum(predictions.map((prediction) => prediction.medianMs)));
      stageP90 = Math.max(stageP90, sum(predictions.map((prediction) => prediction.p90Ms)));
    }
    medianMs += stageMedian;
    p90Ms += stageP90;
  }
  return { medianMs, p90Ms, source: sourceText(used) };
}

function sourceText(predictions: readonly Prediction[]): string {
  const runs = Math.max(0, ...predictions.filter((prediction) => prediction.source === 'history').map((prediction) => prediction.runs));
  const parts = [
    predictions.some((prediction) => prediction.source === 'expect') ? 'expect' : '',
    runs > 0 ? `p90 of ${runs} earlier run${runs === 1 ? '' : 's'}` : '',
    predictions.some((prediction) => prediction.source === 'rehearsal') ? 'rehearsal' : '',
    predictions.some((prediction) => prediction.source === 'default') ? 'defaults' : '',
  ];
  return parts.filter((part) => part !== '').join(' + ') || 'no node steps';
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
