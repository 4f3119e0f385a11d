import type { RgbaImage } from '../core/preprocess';
import type { ReplyTo, WorkerRequest, WorkerResponse, WorkerStatus } from '../../workers/protocol';

type Final = Exclude<WorkerResponse, { type: 'progress' }>;
/** How long a job has run and (once a unit of work is done) the worker's estimate of the seconds left. */
export interface JobTiming {
  elapsedSeconds: number;
  etaSeconds?: number;
}
/** Progress of a job: `done` of `total` steps, the image so far for modes that generate one, and its timing. */
export type Progress = (done: number, total: number, preview?: RgbaImage, timing?: JobTiming) => void;
/** A request of type `T` without the id and type the client fills in. */
export type RequestBody<T extends WorkerRequest['type']> = Omit<Extract<WorkerRequest, { type: T }>, 'id' | 'type'>;
/** Buffers to transfer with a request, and the progress callback of a job. */
export interface SendOptions {
  transfer?: Transferable[];
  progress?: Progress;
}

/**
 * What the app's controllers need from the inference worker: typed requests whose promise resolves to the reply
 * type of the request sent (workers/protocol.ts, ReplyMap), a restart after a crash, and the worker's news.
 * WorkerClient is the browser's; unit tests pass a fake.
 */
export interface InferenceClient {
  send<T extends WorkerRequest['type']>(type: T, body: RequestBody<T>, options?: SendOptions): { id: number; reply: Promise<ReplyTo<T>> };
  /** Replaces the worker with a fresh one (the caller sends 'init' again); requests still waiting are answered 'error'. */
  restart(): void;
  /** Called when the worker itself dies (script error, out of memory). */
  onCrash: (message: string) => void;
  /** Unsolicited news from the worker (a lost GPU device, its recovery). */
  onStatus: (status: WorkerStatus) => void;
}

/** Promise-based client of the inference worker: one promise per request id; progress goes to a callback. */
export class WorkerClient implements InferenceClient {
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Final) => void; progress?: Progress }>();
  onCrash: (message: string) => void = () => undefined;
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
        waiter.progress?.(reply.done, reply.total, reply.preview, { elapsedSeconds: reply.elapsedSeconds, ...(reply.etaSeconds !== undefined ? { etaSeconds: reply.etaSeconds } : {}) });
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

  restart(): void {
    this.worker.terminate();
    // Requests the old worker never answered (a frame in flight when the model is switched) end here, so nobody
    // waits for them forever (the frame loop's latest-wins slot would stay busy).
    for (const [id, waiter] of this.pending) waiter.resolve({ type: 'error', id, message: 'the inference worker was replaced' });
    this.pending.clear();
    this.worker = this.spawn();
  }

  send<T extends WorkerRequest['type']>(type: T, body: RequestBody<T>, options: SendOptions = {}): { id: number; reply: Promise<ReplyTo<T>> } {
    const id = this.nextId++;
    // The worker answers request type T with ReplyTo<T> (protocol.ts, ReplyMap; checked on the worker side by
    // tests/worker-protocol.test.ts): the one place where a reply is narrowed to its request.
    const reply = new Promise<ReplyTo<T>>((resolve) =>
      this.pending.set(id, { resolve: resolve as (r: Final) => void, ...(options.progress ? { progress: options.progress } : {}) }),
    );
    this.worker.postMessage({ type, id, ...body } as unknown as WorkerRequest, options.transfer ?? []);
    return { id, reply };
  }
}
