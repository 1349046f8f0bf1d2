export * from './morph-targets';
export * from './expressions';
export * from './protocol';
export * from './avatar-host';
export * from './avatar-endpoint';
