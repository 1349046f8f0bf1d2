// Loads one typed, validated, frozen configuration object: schema defaults, then a YAML/JSON file, then AICO_*
// environment variables. It is the only code in aico that reads process.env.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Yaml from 'yaml';
import { z } from 'zod';
import { PublicError } from '@aico/contracts';
import { platformDataDir } from './data-dir';

export const CONFIG_FILE_ENV = 'AICO_CONFIG_FILE';
const ENV_PREFIX = 'AICO_';
const CONFIG_FILE_NAMES = ['config.yaml', 'config.yml', 'config.json'];

export enum ConfigErrorCode {
  FileUnreadable = 'CONFIG_FILE_UNREADABLE',
  FileInvalid = 'CONFIG_FILE_INVALID',
  Invalid = 'CONFIG_INVALID',
  /** The data directory is open to other users and cannot be fixed by this user. */
  DataDirUnsafe = 'CONFIG_DATA_DIR_UNSAFE',
}

export class ConfigError extends PublicError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions<S extends z.ZodObject> {
  readonly schema: S;
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** A config file to read; defaults to AICO_CONFIG_FILE, else config.{yaml,yml,json} in the data directory. */
  readonly file?: string;
}

export interface LoadedConfig<T> {
  readonly config: T;
  /** The file that was read, if any. */
  readonly file: string | undefined;
  /** AICO_* variables that name no key of the schema (reported, not fatal: another app may own them). */
  readonly unusedEnv: readonly string[];
}

type Json = Record<string, unknown>;

/** `AICO_BUS__PUBLISH_ENDPOINT` → `['bus', 'publishEndpoint']`. */
export function envNameToPath(name: string): string[] {
  return name
    .slice(ENV_PREFIX.length)
    .split('__')
    .map((segment) => segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } };
  for (;;) {
    const def = current._zod.def;
    const next = def.innerType ?? def.in;
    if (!next) return current;
    current = next;
  }
}

function schemaHasPath(schema: z.ZodType, path: readonly string[]): boolean {
  let current = unwrap(schema);
  for (const key of path) {
    if (!(current instanceof z.ZodObject)) return false;
    const shape = current.shape as Record<string, z.ZodType>;
    if (!Object.hasOwn(shape, key)) return false;
    const child = shape[key]!;
    current = unwrap(child);
  }
  return true;
}

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]!] = value;
}

function readConfigFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      ConfigErrorCode.FileUnreadable,
      `Cannot read the config file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Fix the path in ${CONFIG_FILE_ENV} or create the file.`,
    );
  }
  // A require, not an import: only a process with a config file pays for the YAML parser (72 modules, about 50 ms of
  // CPU to load here), and most run on environment and defaults alone (issue 18).
  const { parse } = require('yaml') as typeof Yaml;
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new ConfigError(ConfigErrorCode.FileInvalid, `The config file ${path} is not valid YAML/JSON: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(ConfigErrorCode.FileInvalid, `The config file ${path} must hold a mapping of keys to values.`);
  }
  return parsed as Json;
}

/**
 * One config file serves every app: each reads its own section and the shared ones, and leaves the sections of the
 * other apps alone (a typo in a key of its own is still an error).
 */
export const APP_CONFIG_SECTIONS = ['proxy', 'storage', 'gateway', 'scheduler', 'monitor', 'models', 'conversation', 'supervisor', 'cli'] as const;

function withoutOtherAppsSections(raw: Json, schema: z.ZodType): Json {
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !(APP_CONFIG_SECTIONS as readonly string[]).includes(key) || schemaHasPath(schema, [key])));
}

function locateConfigFile(options: LoadConfigOptions<z.ZodObject>, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = options.file ?? env[CONFIG_FILE_ENV];
  if (explicit) return explicit;
  const dataDir = env['AICO_DATA_DIR'] || platformDataDir(env);
  return CONFIG_FILE_NAMES.map((name) => join(dataDir, name)).find((path) => existsSync(path));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function loadConfig<S extends z.ZodObject>(options: LoadConfigOptions<S>): LoadedConfig<Readonly<z.infer<S>>> {
  const env = options.env ?? process.env;
  const file = locateConfigFile(options, env);
  const raw: Json = file ? withoutOtherAppsSections(readConfigFile(file), options.schema) : {};
  const sources = new Map<string, string>();
  const unusedEnv: string[] = [];

  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV || value === undefined) continue;
    const path = envNameToPath(name);
    if (!schemaHasPath(options.schema, path)) {
      unusedEnv.push(name);
      continue;
    }
    setPath(raw, path, value);
    sources.set(path.join('.'), name);
  }

  const result = options.schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k].join('.')) : [issue.path.join('.')];
      return keys
        .map((key) => {
          const from = sources.get(key) ?? (file ? file : 'defaults');
          const what = issue.code === 'unrecognized_keys' ? 'is not a known setting' : issue.message;
          return `  - ${key || '(root)'} (from ${from}): ${what}`;
        })
        .join('\n');
    });
    throw new ConfigError(ConfigErrorCode.Invalid, `Invalid configuration:\n${lines.join('\n')}`);
  }
  return { config: deepFreeze(result.data), file, unusedEnv };
}
