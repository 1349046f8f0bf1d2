// Types of the generator script (plain JavaScript so it runs without a build).
import type { Document } from '@gltf-transform/core';

export declare const VISEMES: readonly string[];
export declare const EXPRESSION_MORPHS: readonly string[];
export declare const MORPH_TARGETS: readonly string[];
export declare function buildDefaultAvatar(): Document;
export declare function buildDefaultAvatarGlb(): Promise<Uint8Array>;
