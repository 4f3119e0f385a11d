// Vite's `?raw` import of the pinned model checksums (a specific pattern, so it cannot clash with vite/client's).
declare module '*models.sha256?raw' {
  const text: string;
  export default text;
}

// Vite's `?url` import of the WASM backend's binaries (a specific pattern, so it cannot clash with vite/client's).
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
