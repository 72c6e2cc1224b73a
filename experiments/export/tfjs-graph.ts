/**
 * Writes a {@link PolicyGraph} as a TensorFlow.js graph model: `model.json` (a TensorFlow GraphDef in JSON,
 * the weights manifest and the signature) and one weights file. Plain `@tensorflow/tfjs` loads it with
 * `tf.loadGraphModel` (in a browser from its URL; in Node from the files, through `tf.io.fromMemory`), and
 * `model.execute({obs}, ['action', 'raw'])` runs it.
 *
 * A graph model rather than a layers model: the greedy action (an argmax, a clip, a tanh and an affine map)
 * is not a Keras layer, and a graph model needs no custom layer classes to load.
 */
import type { GraphConst, GraphOp, PolicyGraph } from './policy-graph.js';

/** The weights file next to model.json. */
export const TFJS_WEIGHTS_FILE = 'weights.bin';

type TfDtype = 'DT_FLOAT' | 'DT_INT32';
const TF_DTYPE: Record<GraphConst['dtype'], TfDtype> = { float32: 'DT_FLOAT', int32: 'DT_INT32' };

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** A tensor shape in GraphDef JSON (-1: any batch size). */
function shapeJson(dims: number[]): { dim: { size: string }[] } {
  return { dim: dims.map((d) => ({ size: String(d) })) };
}

const BINARY_OPS = { matmul: 'MatMul', add: 'AddV2', sub: 'Sub', mul: 'Mul', div: 'RealDiv', min: 'Minimum', max: 'Maximum' } as const;

/** model.json's content and the weights file's bytes. */
export function toTfjsGraphModel(graph: PolicyGraph, generatedBy: string): { modelJson: Record<string, unknown>; weights: Uint8Array } {
  const consts = new Map(graph.consts);
  const dtypeOf = new Map<string, GraphConst['dtype']>([[graph.input.name, 'float32']]);
  for (const [name, c] of consts) dtypeOf.set(name, c.dtype);
  const nodes: GraphNode[] = [{ name: graph.input.name, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: shapeJson([-1, graph.input.size]) } } }];
  // Axes, begins and sizes: int32 constants (a scalar when `values` is a number).
  const extraConst = (name: string, values: number | number[]) => {
    consts.set(name, { dtype: 'int32', shape: typeof values === 'number' ? [] : [values.length], values: Int32Array.from([values].flat()) });
    return name;
  };
  const opNodes: GraphNode[] = [];
  for (const op of graph.ops) {
    opNodes.push(...nodesOf(op, extraConst, dtypeOf));
    dtypeOf.set(op.output, op.op === 'argmax' ? 'int32' : dtypeOf.get(op.inputs[0]) ?? 'float32');
  }
  for (const [name, c] of consts) nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: TF_DTYPE[c.dtype], tensorShape: shapeJson(c.shape) } }, dtype: { type: TF_DTYPE[c.dtype] } } });
  nodes.push(...opNodes);

  const weightSpecs = [...consts].map(([name, c]) => ({ name, shape: c.shape, dtype: c.dtype }));
  const total = [...consts.values()].reduce((s, c) => s + c.values.byteLength, 0);
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const c of consts.values()) {
    // tfjs reads weights in the platform's byte order, little-endian on every platform it runs on.
    weights.set(new Uint8Array(c.values.buffer, c.values.byteOffset, c.values.byteLength), offset);
    offset += c.values.byteLength;
  }
  const { action, raw } = graph.outputs;
  const tensorInfo = (name: string, dtype: TfDtype, dims: number[]) => ({ name: `${name}:0`, dtype, tensorShape: shapeJson(dims) });
  const modelJson = {
    format: 'graph-model',
    generatedBy,
    convertedBy: null,
    modelTopology: { node: nodes, library: {}, versions: {} },
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: weightSpecs }],
    signature: {
      inputs: { [graph.input.name]: tensorInfo(graph.input.name, 'DT_FLOAT', [-1, graph.input.size]) },
      outputs: {
        [action.name]: tensorInfo(action.name, TF_DTYPE[action.dtype], action.dtype === 'int32' ? [-1] : [-1, action.size]),
        [raw.name]: tensorInfo(raw.name, 'DT_FLOAT', [-1, raw.size]),
      },
    },
  };
  return { modelJson, weights };
}

/** GraphDef string attributes are base64-encoded bytes. */
const stringAttr = (value: string) => ({ s: btoa(value) });

function nodesOf(op: GraphOp, extraConst: (name: string, values: number | number[]) => string, dtypeOf: Map<string, GraphConst['dtype']>): GraphNode[] {
  if (op.op === 'conv2d') {
    const [x, filter, bias] = op.inputs;
    const { image, out, stride: s } = op;
    const name = op.output;
    const T = { type: 'DT_FLOAT' };
    const list = (i: number[]) => ({ list: { i: i.map(String) } });
    return [
      { name: `${name}_nhwc`, op: 'Reshape', input: [x, extraConst(`${name}_in_shape`, [-1, image.height, image.width, image.channels])], attr: { T } },
      { name: `${name}_conv`, op: 'Conv2D', input: [`${name}_nhwc`, filter], attr: { T, strides: list([1, s, s, 1]), padding: stringAttr('VALID'), data_format: stringAttr('NHWC'), dilations: list([1, 1, 1, 1]) } },
      { name: `${name}_bias`, op: 'BiasAdd', input: [`${name}_conv`, bias], attr: { T, data_format: stringAttr('NHWC') } },
      { name, op: 'Reshape', input: [`${name}_bias`, extraConst(`${name}_out_shape`, [-1, out.height * out.width * out.channels])], attr: { T } },
    ];
  }
  return [nodeOf(op, extraConst, dtypeOf)];
}

function nodeOf(op: Exclude<GraphOp, { op: 'conv2d' }>, extraConst: (name: string, values: number | number[]) => string, dtypeOf: Map<string, GraphConst['dtype']>): GraphNode {
  const name = op.output;
  const T = { type: TF_DTYPE[dtypeOf.get(op.inputs[0]) ?? 'float32'] };
  switch (op.op) {
    case 'relu':
      return { name, op: 'Relu', input: op.inputs, attr: { T } };
    case 'tanh':
      return { name, op: 'Tanh', input: op.inputs, attr: { T } };
    case 'meanCols':
      return { name, op: 'Mean', input: [op.inputs[0], extraConst(`${name}_axis`, [1])], attr: { T, keep_dims: { b: true } } };
    case 'argmax':
      return { name, op: 'ArgMax', input: [op.inputs[0], extraConst(`${name}_axis`, 1)], attr: { T, output_type: { type: 'DT_INT32' } } };
    case 'sliceCols':
      return { name, op: 'Slice', input: [op.inputs[0], extraConst(`${name}_begin`, [0, op.begin]), extraConst(`${name}_size`, [-1, op.size])], attr: { T } };
    case 'matmul':
      return { name, op: 'MatMul', input: op.inputs, attr: { T, transpose_a: { b: false }, transpose_b: { b: false } } };
    default:
      return { name, op: BINARY_OPS[op.op], input: op.inputs, attr: { T } };
  }
}
