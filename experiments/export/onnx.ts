/**
 * Writes a {@link PolicyGraph} as an ONNX model (IR version 8, default opset 13), through the ONNX protobuf
 * schema of the `onnx-proto` package. Every op is a standard ONNX operator, so any ONNX runtime runs it.
 * The model's input stays the flat observation rows; a convolution reshapes and transposes them itself.
 */
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import type { GraphConst, GraphOp, PolicyGraph } from './policy-graph.js';

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
const IR_VERSION = 8;

const ELEM = { float32: onnx.TensorProto.DataType.FLOAT, int32: onnx.TensorProto.DataType.INT32, int64: onnx.TensorProto.DataType.INT64 } as const;

function tensor(name: string, c: GraphConst): Onnx.ITensorProto {
  return { name, dims: c.shape, dataType: ELEM[c.dtype], rawData: littleEndianBytes(c.values) };
}

function int64Tensor(name: string, values: number[]): Onnx.ITensorProto {
  return { name, dims: [values.length], dataType: ELEM.int64, rawData: littleEndianBytes(BigInt64Array.from(values, BigInt)) };
}

/** The bytes of a typed array in little-endian order (ONNX's raw_data layout). */
function littleEndianBytes(a: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof BigInt64Array) view.setBigInt64(8 * i, a[i], true);
    else if (a instanceof Int32Array) view.setInt32(4 * i, a[i], true);
    else view.setFloat32(4 * i, a[i], true);
  }
  return out;
}

function valueInfo(name: string, dtype: 'float32' | 'int32', cols: number | null): Onnx.IValueInfoProto {
  const dim: Onnx.TensorShapeProto.IDimension[] = [{ dimParam: 'batch' }];
  if (cols !== null) dim.push({ dimValue: cols });
  return { name, type: { tensorType: { elemType: ELEM[dtype], shape: { dim } } } };
}

function intAttr(name: string, i: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

function intsAttr(name: string, ints: number[]): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

const BINARY_OPS = { matmul: 'MatMul', add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', min: 'Min', max: 'Max' } as const;

/** The ONNX nodes (and any index initializers they need) of one graph op. */
function nodesOf(op: GraphOp, initializers: Onnx.ITensorProto[]): Onnx.INodeProto[] {
  const name = op.output;
  switch (op.op) {
    case 'relu':
      return [{ opType: 'Relu', input: op.inputs, output: [op.output], name }];
    case 'tanh':
      return [{ opType: 'Tanh', input: op.inputs, output: [op.output], name }];
    case 'meanCols':
      return [{ opType: 'ReduceMean', input: op.inputs, output: [op.output], name, attribute: [intsAttr('axes', [1]), intAttr('keepdims', 1)] }];
    case 'argmax':
      // ONNX's ArgMax yields int64 (first maximum on ties); the graph's actions are int32.
      return [
        { opType: 'ArgMax', input: op.inputs, output: [`${name}_i64`], name: `${name}_i64`, attribute: [intAttr('axis', 1), intAttr('keepdims', 0), intAttr('select_last_index', 0)] },
        { opType: 'Cast', input: [`${name}_i64`], output: [op.output], name, attribute: [intAttr('to', ELEM.int32)] },
      ];
    case 'sliceCols': {
      const starts = `${name}_starts`;
      const ends = `${name}_ends`;
      const axes = `${name}_axes`;
      initializers.push(int64Tensor(starts, [op.begin]), int64Tensor(ends, [op.begin + op.size]), int64Tensor(axes, [1]));
      return [{ opType: 'Slice', input: [op.inputs[0], starts, ends, axes], output: [op.output], name }];
    }
    case 'conv2d': {
      // ONNX's Conv is NCHW with [F, C, k, k] filters; the graph's rows are NHWC images and its filters
      // [k, k, C, F] (tf's layout), so the image and the filter are transposed around the Conv.
      const [x, filter, bias] = op.inputs;
      const { image, out, kernel: k, stride: s } = op;
      const inShape = `${name}_in_shape`;
      const outShape = `${name}_out_shape`;
      initializers.push(int64Tensor(inShape, [-1, image.height, image.width, image.channels]), int64Tensor(outShape, [-1, out.height * out.width * out.channels]));
      return [
        { opType: 'Reshape', input: [x, inShape], output: [`${name}_nhwc`], name: `${name}_nhwc` },
        { opType: 'Transpose', input: [`${name}_nhwc`], output: [`${name}_nchw`], name: `${name}_nchw`, attribute: [intsAttr('perm', [0, 3, 1, 2])] },
        { opType: 'Transpose', input: [filter], output: [`${name}_filter`], name: `${name}_filter`, attribute: [intsAttr('perm', [3, 2, 0, 1])] },
        { opType: 'Conv', input: [`${name}_nchw`, `${name}_filter`, bias], output: [`${name}_conv`], name: `${name}_conv`, attribute: [intsAttr('kernel_shape', [k, k]), intsAttr('strides', [s, s])] },
        { opType: 'Transpose', input: [`${name}_conv`], output: [`${name}_out`], name: `${name}_out`, attribute: [intsAttr('perm', [0, 2, 3, 1])] },
        { opType: 'Reshape', input: [`${name}_out`, outShape], output: [op.output], name },
      ];
    }
    default:
      return [{ opType: BINARY_OPS[op.op], input: op.inputs, output: [op.output], name }];
  }
}

/** The serialised ONNX model; `metadata` becomes the model's metadata_props (provenance). */
export function toOnnx(graph: PolicyGraph, opts: { producerVersion: string; docString: string; metadata: Record<string, string> }): Uint8Array {
  const initializers: Onnx.ITensorProto[] = [...graph.consts].map(([name, c]) => tensor(name, c));
  const nodes = graph.ops.flatMap((op) => nodesOf(op, initializers));
  const { action, raw } = graph.outputs;
  const model: Onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'tsgym',
    producerVersion: opts.producerVersion,
    docString: opts.docString,
    metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'policy',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(graph.input.name, 'float32', graph.input.size)],
      output: [valueInfo(action.name, action.dtype, action.dtype === 'int32' ? null : action.size), valueInfo(raw.name, 'float32', raw.size)],
    },
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`toOnnx: the model does not fit the ONNX schema: ${err}`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
