// The real executor, with a record of every argv it ran: lets an integration test assert
// that a refused request ran nothing, and how often a command ran.
import type { ExecRequest, ExecResult, Executor } from '../../agent/exec/executor.js';
import { ProcessExecutor } from '../../agent/exec/process-executor.js';

export class RecordingExecutor implements Executor {
  readonly argvs: string[][] = [];

  constructor(private readonly inner: Executor = new ProcessExecutor()) {}

  run(request: ExecRequest): Promise<ExecResult> {
    this.argvs.push([...request.argv]);
    return this.inner.run(request);
  }
}
