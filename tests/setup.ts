import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});
