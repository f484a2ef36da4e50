// Shared by the training tests: whether a WebGPU adapter is usable here, so WebGPU variants skip with the reason.
import * as ort from 'onnxruntime-node';
import { OnnxDataType, OnnxGraphBuilder } from '../onnx/graph-builder.js';

let probe: Promise<string | undefined> | undefined;

/** undefined when ONNX Runtime can run a graph on WebGPU, else why not. */
export function webgpuUnavailableReason(): Promise<string | undefined> {
  probe ??= (async () => {
    if (process.env.JUDGEKIT_SKIP_WEBGPU) return 'JUDGEKIT_SKIP_WEBGPU is set';
    try {
      const g = new OnnxGraphBuilder('probe');
      const x = g.input('x', OnnxDataType.FLOAT, [2]);
      g.output(g.add(x, x), 'y', OnnxDataType.FLOAT, [2]);
      const session = await ort.InferenceSession.create(g.toBytes(), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
      await session.release();
      const y = out.y?.data as Float32Array;
      return y[1] === 4 ? undefined : 'WebGPU produced a wrong result';
    } catch (error) {
      return `no WebGPU adapter (${(error as Error).message.split('\n')[0]}); install a Vulkan driver such as mesa-vulkan-drivers`;
    }
  })();
  return probe;
}
