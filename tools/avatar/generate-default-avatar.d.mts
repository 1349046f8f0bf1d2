// Types of the generator script (plain JavaScript so it runs without a build).
export declare const VISEMES: readonly string[];
export declare const EXPRESSION_MORPHS: readonly string[];
export declare const MORPH_TARGETS: readonly string[];
export declare function buildDefaultAvatarGlb(): Promise<Uint8Array>;
