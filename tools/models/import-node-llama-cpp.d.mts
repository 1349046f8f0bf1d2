// Types of the node-llama-cpp loader (plain JavaScript so it runs without a build).
export declare function importNodeLlamaCpp(): Promise<typeof import('node-llama-cpp')>;
