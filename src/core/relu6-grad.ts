import * as tf from '@tensorflow/tfjs';

/**
 * The ReLU6 gradient in ONE kernel: dx = dy · [0 < y < 6], and for guided backpropagation (Springenberg et al.
 * 2015) also only positive gradients, dx = max(dy · [0 < y < 6], 0). `y` is the unit's OUTPUT y = min(max(x, 0), 6):
 * 0 < y < 6 exactly when 0 < x < 6, so the forward pass can run conv + bias + ReLU6 as one fused kernel and keep
 * only y. This is the derivative the adapter's composed path applies for the guided rule (`relu6Masked` in
 * network.ts). Its plain rule is tfjs's ClipByValue gradient, 0 ≤ x ≤ 6, which differs only at units exactly on
 * 0 or 6 in float32 (both are subgradients there; from y alone x = 6 and x > 6 cannot be told apart).
 *
 * Why a kernel of our own: built from TensorFlow.js's stock kernels the two-sided mask takes three or more kernels
 * per unit (none shorter was found: Greater, Less, LogicalAnd, Cast, Multiply here; guided adds a Relu), and every
 * kernel is a GPU dispatch: 27 ReLU6 units × 4 or more extra kernels per backward pass. It is registered for the
 * backends ConvLens runs gradients on — 'cpu' (a loop), 'webgl' (a fragment
 * program, packed like tfjs's binary ops), 'webgpu' (a compute shader, vec4 when the channels allow) — so a frame
 * runs the same kernels on each of them; any other backend gets the composed stock-op version (`relu6GradComposed`),
 * which is also the reference in tests.
 */
export const RELU6_GRAD_KERNEL = 'ConvLensRelu6Grad';

interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

interface WebGLBackendLike {
  runWebGLProgram(program: object, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
}

interface WebGPUBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
}

function args(params: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): { dy: tf.TensorInfo; y: tf.TensorInfo; guided: boolean } {
  const { dy, y } = params.inputs;
  if (!dy || !y) throw new Error(`${RELU6_GRAD_KERNEL} needs inputs dy and y`);
  if (dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i])) {
    throw new Error(`${RELU6_GRAD_KERNEL}: dy [${dy.shape.join(', ')}] and y [${y.shape.join(', ')}] differ in shape`);
  }
  return { dy, y, guided: params.attrs?.['guided'] === true };
}

const cpuKernel: tf.KernelFunc = (params) => {
  const { dy, y, guided } = args(params);
  const backend = params.backend as CpuBackendLike;
  const g = backend.data.get(dy.dataId).values as Float32Array;
  const v = backend.data.get(y.dataId).values as Float32Array;
  const out = new Float32Array(g.length);
  for (let i = 0; i < out.length; i++) {
    const vi = v[i]!;
    const gi = vi > 0 && vi < 6 ? g[i]! : 0;
    out[i] = guided && !(gi > 0) ? 0 : gi;
  }
  return backend.makeTensorInfo(dy.shape, 'float32', out);
};

const webglKernel: tf.KernelFunc = (params) => {
  const { dy, y, guided } = args(params);
  const packed = tf.env().getBool('WEBGL_PACK_BINARY_OPERATIONS');
  // Same packing as tfjs's own binary ops, so no extra pack/unpack passes; f(0, 0) = 0, so the padding texels of
  // a packed texture need no bounds check.
  const program = packed
    ? {
        variableNames: ['A', 'B'],
        outputShape: dy.shape,
        packedInputs: true,
        packedOutput: true,
        userCode: `
      void main() {
        vec4 g = getAAtOutCoords();
        vec4 v = getBAtOutCoords();
        vec4 r = g * vec4(greaterThan(v, vec4(0.0))) * vec4(lessThan(v, vec4(6.0)));
        ${guided ? 'r = max(r, vec4(0.0));' : ''}
        setOutput(r);
      }`,
      }
    : {
        variableNames: ['A', 'B'],
        outputShape: dy.shape,
        userCode: `
      void main() {
        float g = getAAtOutCoords();
        float v = getBAtOutCoords();
        float r = (v > 0.0 && v < 6.0) ? g : 0.0;
        ${guided ? 'r = max(r, 0.0);' : ''}
        setOutput(r);
      }`,
      };
  return (params.backend as WebGLBackendLike).runWebGLProgram(program, [dy, y], 'float32');
};

const webgpuKernel: tf.KernelFunc = (params) => {
  const { dy, y, guided } = args(params);
  const shape = dy.shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const components = shape.length > 0 && shape[shape.length - 1]! % 4 === 0 ? 4 : 1;
  const type = components === 4 ? 'vec4<f32>' : 'f32';
  const workgroupSize: [number, number, number] = [128, 1, 1];
  const program = {
    outputShape: shape,
    shaderKey: `convlensRelu6Grad_${guided ? 'guided' : 'plain'}_${components}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / (workgroupSize[0] * components)), 1, 1],
    variableNames: ['A', 'B'],
    variableComponents: [components, components],
    outputComponent: components,
    workgroupSize,
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let g = getAByOutputIndex(index);
          let v = getBByOutputIndex(index);
          var r = select(${type}(0.0), g, (v > ${type}(0.0)) & (v < ${type}(6.0)));
          ${guided ? `r = max(r, ${type}(0.0));` : ''}
          setOutputAtIndex(index, r);
        }
      }`,
  };
  return (params.backend as WebGPUBackendLike).runWebGPUProgram(program, [dy, y], 'float32');
};

const KERNELS: Record<string, tf.KernelFunc> = { cpu: cpuKernel, webgl: webglKernel, webgpu: webgpuKernel };

/**
 * Registers the kernel for cpu, webgl and webgpu (the backends themselves need not be loaded yet); done when this
 * module is first imported, and harmless to repeat.
 */
export function registerRelu6GradKernels(): void {
  for (const [backendName, kernelFunc] of Object.entries(KERNELS)) {
    if (!tf.getKernel(RELU6_GRAD_KERNEL, backendName)) tf.registerKernel({ kernelName: RELU6_GRAD_KERNEL, backendName, kernelFunc });
  }
}

registerRelu6GradKernels();

/** Whether the active backend runs the single-kernel version. */
export function hasRelu6GradKernel(): boolean {
  return tf.getKernel(RELU6_GRAD_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * dy · [0 < y < 6] (guided: max(…, 0)) with stock kernels — Greater, Less, LogicalAnd, Cast, Multiply (and Relu):
 * the fallback on other backends and the reference for the kernel in tests. dy and y: same shape, float32.
 */
export function relu6GradComposed(dy: tf.Tensor, y: tf.Tensor, guided: boolean): tf.Tensor {
  return tf.tidy(() => {
    const dx = tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(y, 0), tf.less(y, 6)), 'float32'));
    return guided ? tf.relu(dx) : dx;
  });
}

/**
 * The ReLU6 gradient at a unit whose output was `y`: dy · [0 < y < 6] (guided: only the positive part), one kernel
 * where registered (see RELU6_GRAD_KERNEL), else `relu6GradComposed`. Not differentiable itself (it is a backward
 * pass). dy and y: same shape, float32; returns a new tensor of that shape.
 */
export function relu6Grad(dy: tf.Tensor, y: tf.Tensor, guided: boolean): tf.Tensor {
  if (!hasRelu6GradKernel()) return relu6GradComposed(dy, y, guided);
  return tf.engine().runKernel(RELU6_GRAD_KERNEL, { dy, y }, { guided }) as tf.Tensor;
}
