export * from './encrypted-file';
export * from './encrypted-file.error';
export * from './encrypted-file.streams';
export { HEADER_BYTES, FORMAT_VERSION } from './encrypted-file.format';
