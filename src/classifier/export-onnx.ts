/**
 * Writes (and reads back) the router as an ONNX graph, from TypeScript through `onnx-proto`
 * (a devDependency: only training and tests load this file, never the gateway).
 *
 * Graph (opset 13): inputs `indices` int32 [N] and `values` float32 [1, N], the featurizer's sparse
 * vector; `Gather(W[D,1], indices)` → [N,1]; `MatMul(values, ·)` → [1,1]; `+ b`; `Sigmoid` →
 * output `score` [1,1]. Repeated indices simply add up, as in the reference scorer.
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { FEATURE_DIM } from './featurizer.js';
import type { RouterModel } from './router-model.js';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs };

const OPSET = 13;
const IR_VERSION = 7;

function tensorType(elemType: number, dims: (number | string)[]): OnnxNs.ITypeProto {
  return {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

/** Serialises a router model; `metadata` lands in the file's metadata_props. */
export function encodeRouterOnnx(model: RouterModel, metadata: Record<string, string>): Uint8Array {
  const T = onnx.TensorProto.DataType;
  const w = Buffer.from(model.weights.buffer, model.weights.byteOffset, model.weights.byteLength);
  const graph: OnnxNs.IGraphProto = {
    name: 'localrouter_router',
    input: [
      { name: 'indices', type: tensorType(T.INT32, ['N']) },
      { name: 'values', type: tensorType(T.FLOAT, [1, 'N']) },
    ],
    output: [{ name: 'score', type: tensorType(T.FLOAT, [1, 1]) }],
    initializer: [
      { name: 'W', dataType: T.FLOAT, dims: [FEATURE_DIM, 1], rawData: w },
      { name: 'b', dataType: T.FLOAT, dims: [1], floatData: [model.bias] },
    ],
    node: [
      { opType: 'Gather', input: ['W', 'indices'], output: ['gathered'], name: 'gather', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'MatMul', input: ['values', 'gathered'], output: ['dot'], name: 'dot' },
      { opType: 'Add', input: ['dot', 'b'], output: ['logit'], name: 'bias' },
      { opType: 'Sigmoid', input: ['logit'], output: ['score'], name: 'sigmoid' },
    ],
  };
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'localrouter',
    producerVersion: '1',
    domain: 'dev.localrouter',
    modelVersion: 1,
    docString: 'P(strong model wins | last user message), ties counted half. See the JSON model card next to this file.',
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph,
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** Reads the weights back out of a file written by `encodeRouterOnnx` (tests compare both scorers). */
export function decodeRouterOnnx(bytes: Uint8Array): { model: RouterModel; metadata: Record<string, string> } {
  const proto = onnx.ModelProto.decode(bytes);
  const init = new Map((proto.graph?.initializer ?? []).map((t) => [t.name, t]));
  const W = init.get('W');
  const b = init.get('b');
  if (!W?.rawData || !b) throw new Error('not a LocalRouter router graph (initializers W and b missing)');
  const raw = W.rawData;
  const weights = new Float32Array(raw.byteLength / 4);
  new Uint8Array(weights.buffer).set(raw);
  const metadata = Object.fromEntries((proto.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  return { model: { weights, bias: b.floatData?.[0] ?? 0 }, metadata };
}
