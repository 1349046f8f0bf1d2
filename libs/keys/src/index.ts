export * from './z85';
export * from './purpose-keys';
export * from './key.error';
export * from './master-key-provider';
export * from './key-ring';
export * from './sealed-box';
