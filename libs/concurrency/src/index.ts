// Per-key serialization for work inside one process.
export { KeyedMutex } from './keyed-mutex';
