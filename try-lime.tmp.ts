import * as tf from '@tensorflow/tfjs';
import { loadModel } from './src/node/model-files';
import { lime, topSuperpixels, readLime } from './src/core/attribution';
import { imageToModelInput } from './src/core/preprocess';
import { readImage } from './src/node/image-io';
const net = await loadModel('lite');
const img = await readImage('/work/shared/images/' + (process.argv[2] ?? 'coffee.png'));
const input = imageToModelInput(img);
for (const score of ['probability', 'logit'] as const) {
  const t = performance.now();
  const map = await lime(net, input, { target: 'top', samples: Number(process.argv[3] ?? 150), score });
  const ms = performance.now() - t;
  const l = readLime(map.extras)!;
  console.log(score, JSON.stringify(map.target), 'ms', Math.round(ms), 'r2', l.r2, 'r2train', map.extras!['r2Train'], 'count', map.extras!['count'], 'score', l.score, 'pred', map.extras!['prediction']);
  console.log(topSuperpixels(l, 224, 5).map((s) => `${s.index}:${s.weight.toFixed(3)} ${JSON.stringify(s.box)}`).join('\n'));
}
console.log(tf.memory().numTensors);
