#!/usr/bin/env node
// The project's own language models, generated, never downloaded: llama-architecture GGUF files whose greedy output
// is known in advance, so tests can run the real engine (llama.cpp through node-llama-cpp) and assert exact text.
//
// How the output is made predictable (docs/architecture.md §9): every token embedding is a random direction of length √width
// from a seeded generator; output.weight row j is 0.5 × the embedding of the token before j in the vocabulary chain
// (test-vocabulary.mjs), other rows zero; attention and feed-forward weights are tiny, so the last hidden state is
// almost the last token's own embedding. Its logit for the chain successor is then 0.5 × width, for any other token a
// random dot product of about ±0.5 × √width: greedy decoding of "abc" gives "defghij…", never EOS, on every
// machine. makeTestModel checks that margin on the weights it writes.
//
//   node tools/models/make-test-model.mjs <out.gguf> [--layers N] [--width N] [--context N] [--feed-forward N]
//        [--heads N] [--seed N] [--architecture NAME] [--no-chat-template] [--f16] [--truncate] [--bench]
import { readFileSync, truncateSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { array, bool, f32, float16Bits, float16Value, string, u32, writeGgufFile } from './gguf-writer.mjs';
import { normalGenerator, tensorSeed, uniformGenerator } from './seeded-random.mjs';
import { buildVocabulary, CHATML_TEMPLATE, continuationTokens, DEFAULT_VOCABULARY, predictContinuation } from './test-vocabulary.mjs';

export { CHATML_TEMPLATE, continuationTokens, DEFAULT_VOCABULARY, predictContinuation };

/** 2 layers, 64 wide, 356 tokens: about 0.5 MB, loads in a fraction of a second. */
export const TEST_MODEL_DEFAULTS = Object.freeze({
  layers: 2,
  width: 64,
  feedForward: undefined, // 2 × width
  heads: undefined, // width / 16 up to 128 wide, width / 64 above
  context: 1024,
  vocabulary: DEFAULT_VOCABULARY,
  chatTemplate: true,
  f16: false,
  architecture: 'llama',
  name: 'aico test model',
  seed: 1,
  truncate: false,
});

/** About 100M parameters (1024 wide, 8 layers, feed-forward 2816, f16): ~207 MB. For the benchmark only. */
export const BENCH_MODEL_DEFAULTS = Object.freeze({
  ...TEST_MODEL_DEFAULTS,
  layers: 8,
  width: 1024,
  feedForward: 2816,
  context: 2048,
  f16: true,
  name: 'aico bench model',
});

// Small enough that a hidden state stays the token's own embedding through every layer (each matrix scales its
// input by about this factor), large enough that the layers do real arithmetic.
const LAYER_WEIGHT_SCALE = 0.1;
// The chain successor's logit must beat every other by this fraction of it, or the model is not predictable.
const MIN_RELATIVE_MARGIN = 0.2;

/**
 * Writes a test model to `path`. Options (all optional): layers, width, feedForward, heads, context (trained
 * context length), vocabulary (its characters, in chain order), chatTemplate (true: ChatML; false: none; a string:
 * that template), f16 (2-D tensors in half precision), architecture (a name llama.cpp does not know makes an
 * unloadable model), name, seed, truncate (true: cut the file in the middle of its tensor data; a number: keep that
 * many bytes). Returns what was written, including its sha256.
 */
export function makeTestModel(path, options = {}) {
  const o = resolveOptions({ ...TEST_MODEL_DEFAULTS, ...withoutUndefined(options) });
  const vocab = buildVocabulary({ vocabulary: o.vocabulary, chatml: o.chatTemplate !== false });
  const storage = o.f16 ? 'F16' : 'F32';
  const round = o.f16 ? (x) => float16Value(float16Bits(x)) : Math.fround;

  const embeddings = tokenEmbeddings(vocab, o, round);
  const output = outputWeights(vocab, embeddings, o.width, round);
  const margin = predictionMargin(vocab, embeddings, output, o.width);
  if (margin < MIN_RELATIVE_MARGIN) {
    throw new RangeError(
      `a ${o.width}-wide model's greedy output is not predictable (margin ${margin.toFixed(3)} < ${MIN_RELATIVE_MARGIN}): use a larger width or another seed`,
    );
  }

  const tensors = [
    { name: 'token_embd.weight', dims: [o.width, vocab.tokens.length], type: storage, data: () => embeddings },
    { name: 'output_norm.weight', dims: [o.width], type: 'F32', data: () => ones(o.width) },
    { name: 'output.weight', dims: [o.width, vocab.tokens.length], type: storage, data: () => output },
  ];
  const matrix = (name, inputs, outputs) => ({
    name,
    dims: [inputs, outputs], // ggml order: a row (one output's weights over the inputs) is contiguous
    type: storage,
    data: () => tinyWeights(tensorSeed(o.seed, name), inputs, outputs, round),
  });
  for (let layer = 0; layer < o.layers; layer++) {
    const blk = `blk.${layer}`;
    tensors.push(
      { name: `${blk}.attn_norm.weight`, dims: [o.width], type: 'F32', data: () => ones(o.width) },
      matrix(`${blk}.attn_q.weight`, o.width, o.width),
      matrix(`${blk}.attn_k.weight`, o.width, o.width),
      matrix(`${blk}.attn_v.weight`, o.width, o.width),
      matrix(`${blk}.attn_output.weight`, o.width, o.width),
      { name: `${blk}.ffn_norm.weight`, dims: [o.width], type: 'F32', data: () => ones(o.width) },
      matrix(`${blk}.ffn_gate.weight`, o.width, o.feedForward),
      matrix(`${blk}.ffn_up.weight`, o.width, o.feedForward),
      matrix(`${blk}.ffn_down.weight`, o.feedForward, o.width),
    );
  }

  const written = writeGgufFile(path, { metadata: metadataOf(o, vocab), tensors });
  let { bytes, sha256 } = written;
  if (o.truncate !== false) {
    // Keeps the header and tensor infos whole, so llama.cpp gets as far as checking the data's bounds.
    const keep = o.truncate === true ? written.dataOffset + Math.floor((bytes - written.dataOffset) / 2) : o.truncate;
    if (!Number.isInteger(keep) || keep < 0 || keep >= bytes) throw new RangeError(`truncate: ${keep} of ${bytes} bytes`);
    truncateSync(path, keep);
    bytes = keep;
    sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  const parameters = tensors.reduce((sum, tensor) => sum + tensor.dims.reduce((product, dim) => product * dim, 1), 0);
  return {
    path,
    bytes,
    sha256,
    dataOffset: written.dataOffset,
    parameters,
    vocabularySize: vocab.tokens.length,
    tokens: { bos: vocab.bos, eos: vocab.eos, unk: vocab.unk, newline: vocab.newline, ...vocab.chatml },
    margin,
    options: o,
  };
}

/** The ~100M-parameter benchmark model (never committed, never in tests): makeTestModel with BENCH_MODEL_DEFAULTS. */
export function makeBenchModel(path, options = {}) {
  return makeTestModel(path, { ...BENCH_MODEL_DEFAULTS, ...withoutUndefined(options) });
}

function withoutUndefined(options) {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function resolveOptions(options) {
  const o = { ...options };
  o.feedForward ??= 2 * o.width;
  o.heads ??= o.width / (o.width <= 128 ? 16 : 64);
  for (const key of ['layers', 'width', 'feedForward', 'heads', 'context']) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`${key} must be a positive integer, not ${o[key]}`);
  }
  if (o.width % o.heads !== 0 || (o.width / o.heads) % 2 !== 0) {
    throw new RangeError(`width ${o.width} must split into ${o.heads} heads of an even size (rotary embeddings)`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new RangeError(`seed must be a non-negative integer, not ${o.seed}`);
  if (typeof o.architecture !== 'string' || !/^[a-z0-9_-]+$/i.test(o.architecture)) {
    throw new RangeError(`architecture must be a plain name, not ${JSON.stringify(o.architecture)}`);
  }
  return Object.freeze(o);
}

function metadataOf(o, vocab) {
  const arch = o.architecture;
  const metadata = {
    'general.architecture': string(arch),
    'general.name': string(o.name),
    'general.alignment': u32(32),
    'general.file_type': u32(o.f16 ? 1 : 0), // llama_ftype: ALL_F32 = 0, MOSTLY_F16 = 1
    [`${arch}.vocab_size`]: u32(vocab.tokens.length),
    [`${arch}.context_length`]: u32(o.context),
    [`${arch}.embedding_length`]: u32(o.width),
    [`${arch}.block_count`]: u32(o.layers),
    [`${arch}.feed_forward_length`]: u32(o.feedForward),
    [`${arch}.attention.head_count`]: u32(o.heads),
    [`${arch}.attention.head_count_kv`]: u32(o.heads),
    [`${arch}.rope.dimension_count`]: u32(o.width / o.heads),
    [`${arch}.rope.freq_base`]: f32(10000),
    [`${arch}.attention.layer_norm_rms_epsilon`]: f32(1e-5),
    'tokenizer.ggml.model': string('llama'),
    'tokenizer.ggml.tokens': array('string', vocab.tokens),
    'tokenizer.ggml.scores': array('f32', vocab.scores),
    'tokenizer.ggml.token_type': array('i32', vocab.types),
    'tokenizer.ggml.bos_token_id': u32(vocab.bos),
    'tokenizer.ggml.eos_token_id': u32(vocab.eos),
    'tokenizer.ggml.unknown_token_id': u32(vocab.unk),
    'tokenizer.ggml.add_bos_token': bool(true),
    'tokenizer.ggml.add_eos_token': bool(false),
  };
  if (o.chatTemplate !== false) {
    metadata['tokenizer.chat_template'] = string(o.chatTemplate === true ? CHATML_TEMPLATE : o.chatTemplate);
  }
  return metadata;
}

const ones = (length) => new Float32Array(length).fill(1);

/**
 * Embeddings: each row a seeded random direction scaled to length √width (so a row's RMS norm is 1 and the final
 * RMS norm leaves it as it is), rounded to the stored precision. The newline's row is made orthogonal to the last
 * chain character's, because one output row answers both (see outputWeights).
 */
function tokenEmbeddings(vocab, o, round) {
  const normal = normalGenerator(tensorSeed(o.seed, 'token_embd.weight'));
  const rows = vocab.tokens.map(() => Float64Array.from({ length: o.width }, normal));
  const last = rows[vocab.textIds.at(-1)];
  const newline = rows[vocab.newline];
  const projection = dot(newline, last) / dot(last, last);
  for (let i = 0; i < o.width; i++) newline[i] -= projection * last[i];

  const embeddings = new Float32Array(vocab.tokens.length * o.width);
  rows.forEach((row, token) => {
    const scale = Math.sqrt(o.width / dot(row, row));
    for (let i = 0; i < o.width; i++) embeddings[token * o.width + i] = round(row[i] * scale);
  });
  return embeddings;
}

/** output.weight: the chain successor's row is 0.5 × its predecessor's embedding; every other row is zero. */
function outputWeights(vocab, embeddings, width, round) {
  const output = new Float32Array(embeddings.length);
  const ids = vocab.textIds;
  ids.forEach((id, k) => {
    const predecessor = k === 0 ? ids.at(-1) : ids[k - 1];
    for (let i = 0; i < width; i++) {
      // The first character also follows a newline (a chat template's generation prompt ends with one).
      const fromNewline = k === 0 ? embeddings[vocab.newline * width + i] : 0;
      output[id * width + i] = round(0.5 * (embeddings[predecessor * width + i] + fromNewline));
    }
  });
  return output;
}

/**
 * The smallest relative lead of the chain successor's logit over any other token's, over every context token the
 * chain defines (each vocabulary character and the newline), computed on the stored weights.
 */
function predictionMargin(vocab, embeddings, output, width) {
  const ids = vocab.textIds;
  const contexts = [...ids.map((id, k) => [id, ids[(k + 1) % ids.length]]), [vocab.newline, ids[0]]];
  const row = (matrix, token) => matrix.subarray(token * width, (token + 1) * width);
  let smallest = Number.POSITIVE_INFINITY;
  for (const [context, successor] of contexts) {
    const hidden = row(embeddings, context);
    const expected = dot(row(output, successor), hidden);
    let rival = 0; // the zero rows (control and byte tokens) score 0
    for (const other of ids) if (other !== successor) rival = Math.max(rival, dot(row(output, other), hidden));
    smallest = Math.min(smallest, (expected - rival) / expected);
  }
  return smallest;
}

/** Uniform weights with standard deviation LAYER_WEIGHT_SCALE / √inputs, rounded to the stored precision. */
function tinyWeights(seed, inputs, outputs, round) {
  const uniform = uniformGenerator(seed);
  const bound = LAYER_WEIGHT_SCALE * Math.sqrt(3 / inputs);
  const values = new Float32Array(inputs * outputs);
  for (let i = 0; i < values.length; i++) values[i] = round((2 * uniform() - 1) * bound);
  return values;
}

function dot(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

// ---- command line ----

const USAGE =
  'usage: node tools/models/make-test-model.mjs <out.gguf> [--layers N] [--width N] [--context N] [--feed-forward N]\n' +
  '       [--heads N] [--seed N] [--architecture NAME] [--no-chat-template] [--f16] [--truncate] [--bench]';

/** Parses the command line into makeTestModel options; throws a RangeError with the usage on anything else. */
export function parseArguments(argv) {
  const numeric = { '--layers': 'layers', '--width': 'width', '--context': 'context', '--feed-forward': 'feedForward', '--heads': 'heads', '--seed': 'seed' };
  const options = {};
  let out;
  let bench = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg in numeric) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value)) throw new RangeError(`${arg} needs an integer\n${USAGE}`);
      options[numeric[arg]] = value;
    } else if (arg === '--architecture') {
      options.architecture = argv[++i];
    } else if (arg === '--no-chat-template') options.chatTemplate = false;
    else if (arg === '--f16') options.f16 = true;
    else if (arg === '--truncate') options.truncate = true;
    else if (arg === '--bench') bench = true;
    else if (!arg.startsWith('--') && out === undefined) out = arg;
    else throw new RangeError(`unexpected argument ${arg}\n${USAGE}`);
  }
  if (out === undefined) throw new RangeError(USAGE);
  return { out, bench, options };
}

function main(argv) {
  let parsed;
  let model;
  const started = process.hrtime.bigint();
  try {
    parsed = parseArguments(argv);
    model = (parsed.bench ? makeBenchModel : makeTestModel)(parsed.out, parsed.options);
  } catch (error) {
    // Bad arguments or options: the message says what to change; anything else is a bug, with its stack.
    if (!(error instanceof RangeError)) throw error;
    console.error(error.message);
    process.exit(64);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { path, bytes, sha256, parameters, vocabularySize, margin, options } = model;
  console.log(
    JSON.stringify({ path, bytes, sha256, parameters, vocabularySize, margin: Number(margin.toFixed(3)), seconds: Number(seconds.toFixed(2)), options }),
  );
}

// Run as a script (not when imported by a test or the benchmark).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
