export * from './key-manager';
export * from './key-manager.error';
export * from './master-key-vault';
export * from './password-policy';
export * from './secret-store';
export * from './service-keys';
export * from './key-version-store';
export * from './atomic-file';
