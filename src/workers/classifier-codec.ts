/**
 * The classifier's frames (protocol.ts, classifier section) as typed calls: `encode…` builds the
 * frame of one message, `decode…` hands each frame of a batch to the method of a handler named after
 * it. Callers batch the encoded frames (`FrameBatcher`), so the wire stays one array of frames per
 * event-loop turn per direction.
 */
import type { PlainError } from '../model/index.js';
import { CLASSIFIER_FRAME, type FromClassifierFrame, type ToClassifierFrame } from './protocol.js';

export function encodeClassifierScore(id: number, prompt: string): ToClassifierFrame {
  return [CLASSIFIER_FRAME.SCORE, id, prompt];
}

export function encodeClassifierTestCrash(): ToClassifierFrame {
  return [CLASSIFIER_FRAME.TEST_CRASH, 0];
}

export function encodeClassifierTestStall(ms: number): ToClassifierFrame {
  return [CLASSIFIER_FRAME.TEST_STALL, 0, ms];
}

/** The model loaded; `featurizer` is the version it was trained with. */
export function encodeClassifierReady(featurizer: string): FromClassifierFrame {
  return [CLASSIFIER_FRAME.READY, 0, featurizer];
}

export function encodeClassifierResult(id: number, score: number): FromClassifierFrame {
  return [CLASSIFIER_FRAME.RESULT, id, score];
}

/** Scoring request `id` failed. */
export function encodeClassifierError(id: number, error: PlainError): FromClassifierFrame {
  return [CLASSIFIER_FRAME.ERROR, id, error];
}

/** The model could not be loaded at all (the thread exits next). */
export function encodeClassifierLoadFailed(error: PlainError): FromClassifierFrame {
  return [CLASSIFIER_FRAME.ERROR, 0, error];
}

/** What the classifier thread is asked. */
export interface ToClassifierHandler {
  onScore(id: number, prompt: string): void;
  onTestCrash(): void;
  onTestStall(ms: number): void;
}

/** What the classifier thread answers. */
export interface FromClassifierHandler {
  onReady(featurizer: string): void;
  onLoadFailed(error: PlainError): void;
  onResult(id: number, score: number): void;
  onError(id: number, error: PlainError): void;
}

/** A handler that throws stops the batch there (in the thread, the frames after it are lost with it, as in a crash). */
export function decodeToClassifier(frames: ToClassifierFrame[], handler: ToClassifierHandler): void {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    switch (f[0]) {
      case CLASSIFIER_FRAME.SCORE: handler.onScore(f[1], f[2]); break;
      case CLASSIFIER_FRAME.TEST_CRASH: handler.onTestCrash(); break;
      case CLASSIFIER_FRAME.TEST_STALL: handler.onTestStall(f[2]); break;
    }
  }
}

export function decodeFromClassifier(frames: FromClassifierFrame[], handler: FromClassifierHandler): void {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    switch (f[0]) {
      case CLASSIFIER_FRAME.READY: handler.onReady(f[2]); break;
      case CLASSIFIER_FRAME.RESULT: handler.onResult(f[1], f[2]); break;
      case CLASSIFIER_FRAME.ERROR:
        if (f[1] === 0) handler.onLoadFailed(f[2]);
        else handler.onError(f[1], f[2]);
        break;
    }
  }
}
