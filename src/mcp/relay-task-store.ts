import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import type { CreateTaskOptions } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Request, RequestId, Task } from '@modelcontextprotocol/sdk/types.js';
import { RpcError, RPC_CODE } from './rpc-error.js';

/** Longest a task an upstream asks the gateway to run is kept (its ttl is cut to this; none given = this). */
const MAX_TTL_MS = 10 * 60_000;
/** Tasks one upstream connection may have the gateway hold at once. */
const MAX_TASKS = 1000;

/**
 * The tasks an upstream server asks the gateway to run for it (a task-augmented `sampling/createMessage`
 * or `elicitation/create`): the SDK's in-memory store, bounded in count and lifetime, and able to stop
 * the work of a task the server cancels. One per upstream connection.
 */
export class RelayTaskStore extends InMemoryTaskStore {
  readonly #work = new Map<string, AbortController>();

  override async createTask(params: CreateTaskOptions, requestId: RequestId, request: Request, sessionId?: string): Promise<Task> {
    if (this.getAllTasks().length >= MAX_TASKS) throw new RpcError(RPC_CODE.InternalError, `the gateway holds ${MAX_TASKS} tasks of this server already`);
    const ttl = Math.min(params.ttl ?? MAX_TTL_MS, MAX_TTL_MS);
    return super.createTask({ ...params, ttl }, requestId, request, sessionId);
  }

  /** The signal that stops the work of task `taskId` when the server cancels it. */
  signalFor(taskId: string): AbortSignal {
    const controller = new AbortController();
    this.#work.set(taskId, controller);
    return controller.signal;
  }

  /** The work of `taskId` is over (finished or failed). */
  settled(taskId: string): void {
    this.#work.delete(taskId);
  }

  override async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    await super.updateTaskStatus(taskId, status, statusMessage, sessionId);
    if (status === 'cancelled') {
      this.#work.get(taskId)?.abort(new RpcError(RPC_CODE.RequestTimeout, 'the server cancelled the task'));
      this.#work.delete(taskId);
    }
  }

  override cleanup(): void {
    for (const c of this.#work.values()) c.abort(new RpcError(RPC_CODE.ConnectionClosed, 'the server connection closed'));
    this.#work.clear();
    super.cleanup();
  }
}
