import type { WorkerRequest, WorkerResponse } from '../../workers/protocol';

type Payload<T extends WorkerRequest['type']> = Omit<Extract<WorkerRequest, { type: T }>, 'id' | 'type'>;

/** Promise-based wrapper around the inference worker: one pending promise per request id. */
export class WorkerClient {
  private readonly worker = new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module' });
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }>();

  constructor() {
    this.worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      const waiter = this.pending.get(event.data.id);
      if (!waiter) return;
      this.pending.delete(event.data.id);
      if (event.data.type === 'error') waiter.reject(new Error(event.data.message));
      else waiter.resolve(event.data);
    };
  }

  request<T extends WorkerRequest['type']>(type: T, payload: Payload<T>, transfer: Transferable[] = []): Promise<WorkerResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...payload } as unknown as WorkerRequest, transfer);
    });
  }
}
