/** Representation views over a gallery: feature cache, nearest neighbours, 2-D maps, top patches. */
export * from './draw';
export * from './embed';
export * from './feature-cache';
export * from './features';
export * from './gallery';
export * from './neighbours';
export * from './pca';
export * from './receptive-field';
export * from './render';
export * from './top-patches';
export * from './tsne';
