import type { PaperExample } from './types.js';
export const DENSE: PaperExample[] = [];
