import type { FromActorFrame, ProviderRuntime, UpstreamCall } from './protocol.js';

/** Receives the frames of one request, in order, ending with END, ERROR or FULL. */
export interface FrameSink {
  onFrame(frame: FromActorFrame): void;
}

/** How the ingress hands upstream calls to whoever runs them (actor threads or the main thread). */
export interface UpstreamDispatcher {
  readonly mode: 'workers' | 'inline';
  /** Starts a call; returns its id, used for cancel/pause/resume. */
  start(call: UpstreamCall, sink: FrameSink): number;
  cancel(id: number): void;
  pause(id: number): void;
  resume(id: number): void;
  setProviders(providers: ProviderRuntime[]): void;
  /** Resolves once every actor can take requests (at once for inline). */
  ready(): Promise<void>;
  stats(): DispatcherStats;
  close(): Promise<void>;
}

export interface DispatcherStats {
  mode: 'workers' | 'inline';
  actors: number;
  inflight: number;
  restarts: number;
}
