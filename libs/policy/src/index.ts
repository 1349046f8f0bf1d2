export * from './access-policy';
export * from './permissions';
