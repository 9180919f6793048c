import { connectionPaths, replay } from './connection.model.js';
import { creatorPaths, replayCreator } from './creator.model.js';
import { dispatcherPaths, replayDispatcher } from './dispatcher.model.js';
import type { MachineTransition, TransitionPath } from './transition-paths.js';
import { replayWorker, workerPaths } from './worker.model.js';

/** A machine under model-based test: its generated paths and how to replay one on the real runtime. */
export interface MachineModel {
  readonly name: string;
  generate(): { paths: TransitionPath<never>[]; all: MachineTransition[]; unreached: MachineTransition[] };
  replay(path: TransitionPath<never>): Promise<{ problem: string } | undefined>;
}

export const MODELS: readonly MachineModel[] = [
  {
    name: 'connection',
    generate: () => connectionPaths() as never,
    replay: (path) => replay(path as never),
  },
  {
    name: 'creator',
    generate: () => creatorPaths() as never,
    replay: (path) => replayCreator(path as never),
  },
  {
    name: 'dispatcher',
    generate: () => dispatcherPaths() as never,
    replay: (path) => replayDispatcher(path as never),
  },
  {
    name: 'worker',
    generate: () => workerPaths() as never,
    replay: (path) => replayWorker(path as never),
  },
];
