/**
 * `Buffer` for the shared code that decodes base64 (the WebAssembly kernels) and PNGs (pngjs) in the browser: the
 * `buffer` package, injected as a global by the web bundles (esbuild.mjs).
 */
// 'buffer/' names the npm package, not Node's built-in (which the web bundles refuse).
export { Buffer } from 'buffer/';
