export * from './base-config.schema';
export * from './config-loader';
export * from './config-values';
export * from './data-dir';
export { z } from 'zod';
export * from './private-data-dir';
