import type { RgbaImage } from '../core/preprocess';
import type { WorkerRequest, WorkerResponse, WorkerStatus } from '../../workers/protocol';

type Final = Exclude<WorkerResponse, { type: 'progress' }>;
type Progress = (done: number, total: number, preview?: RgbaImage) => void;
type Body<T extends WorkerRequest['type']> = Omit<Extract<WorkerRequest, { type: T }>, 'id' | 'type'>;

/** Promise-based client of the inference worker: one promise per request id; progress goes to a callback. */
export class WorkerClient {
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Final) => void; progress?: Progress }>();
  /** Called when the worker itself dies (script error, out of memory). */
  onCrash: (message: string) => void = () => undefined;
  /** Unsolicited news from the worker (a lost GPU device, its recovery). */
  onStatus: (status: WorkerStatus) => void = () => undefined;

  constructor() {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      const reply = event.data;
      const waiter = this.pending.get(reply.id);
      if (!waiter) {
        if (reply.type === 'status') this.onStatus(reply);
        return;
      }
      if (reply.type === 'progress') {
        waiter.progress?.(reply.done, reply.total, reply.preview);
        return;
      }
      this.pending.delete(reply.id);
      waiter.resolve(reply);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const message = event.message || 'the inference worker stopped';
      for (const [id, waiter] of this.pending) waiter.resolve({ type: 'error', id, message });
      this.pending.clear();
      this.onCrash(message);
    };
    return worker;
  }

  /** Replaces a crashed worker with a fresh one (the caller sends 'init' again). */
  restart(): void {
    this.worker.terminate();
    this.worker = this.spawn();
  }

  send<T extends WorkerRequest['type']>(type: T, body: Body<T>, options: { transfer?: Transferable[]; progress?: Progress } = {}): { id: number; reply: Promise<Final> } {
    const id = this.nextId++;
    const reply = new Promise<Final>((resolve) => this.pending.set(id, { resolve, ...(options.progress ? { progress: options.progress } : {}) }));
    this.worker.postMessage({ type, id, ...body } as unknown as WorkerRequest, options.transfer ?? []);
    return { id, reply };
  }
}
