export const STORAGE_LIMITS = Symbol('STORAGE_LIMITS');
