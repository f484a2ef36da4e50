// Build an ONNX graph in TypeScript with judgekit's writer and run it on ONNX Runtime: a linear layer followed by
// a row-wise log-sum-exp. The GPT-2 decoder and loss graphs are built the same way (packages/backends/src/onnx/).
import * as ort from 'onnxruntime-node';
import { OnnxDataType, OnnxGraphBuilder } from '@judgekit/backends';

const b = new OnnxGraphBuilder('linear_lse', 17);
b.setMetadata('purpose', 'example');
const x = b.input('x', OnnxDataType.FLOAT, ['rows', 3]);
const w = b.floatInitializer('w', [3, 4], Float32Array.from({ length: 12 }, (_, i) => (i % 5) / 4)); // [in, out]
const y = b.op('MatMul', [x, w]);
const max = b.op('ReduceMax', [y], { axes: [1], keepdims: 1 });
const sum = b.op('ReduceSum', [b.op('Exp', [b.op('Sub', [y, max])]), b.int64Constant([1])], { keepdims: 1 });
b.output(b.op('Add', [b.op('Log', [sum]), max]), 'lse', OnnxDataType.FLOAT, ['rows', 1]);

// In memory (below 2 GB), or `await b.writeFile('model.onnx', { externalData: 'auto' })` for a file.
const session = await ort.InferenceSession.create(b.toBytes());
const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]) });
console.log('log-sum-exp per row:', [...(out.lse!.data as Float32Array)].map((v) => v.toFixed(4)).join(', '));
await session.release();
