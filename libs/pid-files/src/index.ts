export * from './pid-file';
