// Prefill/decode speed of mainline llama.cpp (prebuilt CPU binary shipped by node-llama-cpp)
// on a GGUF file, measured like llama-bench's pp/tg: one batch of p prompt tokens, then n
// single-token decodes feeding back the greedy token.
//   node llama_cpp_bench.mjs MODEL.gguf [--threads 2] [-p 512] [-n 64] [--reps 2] [--fa auto|on|off] [--no-warmup] [--verbose]
// n_batch = n_ubatch = p (node-llama-cpp sets n_ubatch to the batch size). Prints one JSON line.
import fs from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = "true";

const args = process.argv.slice(2);
const opt = {threads: 2, p: 512, n: 64, reps: 2, fa: "auto", verbose: false, warmup: true};
let model = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--threads" || a === "-t") opt.threads = Number(args[++i]);
  else if (a === "-p") opt.p = Number(args[++i]);
  else if (a === "-n") opt.n = Number(args[++i]);
  else if (a === "--reps" || a === "-r") opt.reps = Number(args[++i]);
  else if (a === "--fa") opt.fa = args[++i];
  else if (a === "--verbose" || a === "-v") opt.verbose = true;
  else if (a === "--no-warmup") opt.warmup = false;
  else if (a === "-h" || a === "--help") {
    console.log("usage: node llama_cpp_bench.mjs MODEL.gguf [--threads 2] [-p 512] [-n 64] [--reps 2] [--fa auto|on|off] [--no-warmup] [--verbose]");
    process.exit(0);
  } else if (!model) model = a;
  else throw new Error(`unknown argument ${a}`);
}
if (!model) throw new Error("usage: node llama_cpp_bench.mjs MODEL.gguf [--threads 2] [-p 512] [-n 64] [--reps 2]");

const nlcVersion = JSON.parse(fs.readFileSync(new URL("./node_modules/node-llama-cpp/package.json", import.meta.url))).version;

const llama = await getLlama({
  gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false,
  maxThreads: opt.threads,
  logLevel: opt.verbose ? LlamaLogLevel.info : LlamaLogLevel.warn,
  logger: (level, message) => process.stderr.write(message.endsWith("\n") ? message : message + "\n"),
});
if (llama.gpu !== false || llama.buildType !== "prebuilt") throw new Error(`unexpected build: gpu=${llama.gpu} buildType=${llama.buildType}`);
const cpuBackend = [...new Set(fs.readFileSync("/proc/self/maps", "utf8").split("\n")
  .map((l) => l.split(/\s+/)[5]).filter((p) => p && /libggml-cpu-/.test(p)))].map((p) => p.replace(/.*libggml-cpu-|\.so$/g, ""));

const m = await llama.loadModel({modelPath: model, gpuLayers: 0, useMmap: true, useMlock: false});
const embd = m.fileInfo.fullTensorInfo?.find((t) => t.name === "token_embd.weight");
const vocab = Number(embd?.dimensions?.[1] ?? m.fileInfo.metadata.tokenizer.ggml.tokens.length);
const ctx = await m.createContext({
  contextSize: opt.p + opt.n + 8, batchSize: Math.max(opt.p, 1), sequences: 1,
  threads: {ideal: opt.threads, min: opt.threads},
  flashAttention: opt.fa === "auto" ? "auto" : opt.fa === "on",
  ignoreMemorySafetyChecks: true,
});
const seq = ctx.getSequence();
const prompt = Array.from({length: opt.p}, (_, i) => (i * 7919) % vocab);

// One untimed prefill of the prompt and one decode first, as llama-bench's warmup (also pulls
// the mmapped weights into memory).
if (opt.warmup) {
  await seq.clearHistory();
  const out = await seq.controlledEvaluate(prompt.map((t, i) => (i === opt.p - 1 ? [t, {generateNext: {token: true}}] : t)));
  if (opt.n > 0) await seq.controlledEvaluate([[out[opt.p - 1]?.next?.token ?? 0, {generateNext: {token: true}}]]);
}

const prefill = [], decode = [];
for (let r = 0; r < opt.reps; r++) {
  await seq.clearHistory();
  // (a) prefill: the whole prompt in one llama_decode, logits for the last token only
  // (as llama-bench), which also samples the first token fed to decode.
  const input = prompt.map((t, i) => (i === opt.p - 1 ? [t, {generateNext: {token: true}}] : t));
  let t0 = process.hrtime.bigint();
  const out = await seq.controlledEvaluate(input);
  let t1 = process.hrtime.bigint();
  prefill.push(opt.p / (Number(t1 - t0) / 1e9));
  // (b) decode: n single-token llama_decode calls, each fed the previous greedy token.
  let next = out[opt.p - 1]?.next?.token ?? 0;
  let got = 0;
  t0 = process.hrtime.bigint();
  if (opt.n > 0) {
    for await (const tok of seq.evaluate([next], {temperature: 0, yieldEogToken: true})) {
      if (++got >= opt.n) break;
    }
  }
  t1 = process.hrtime.bigint();
  decode.push(got / (Number(t1 - t0) / 1e9));
}

const round = (x) => Math.round(x * 100) / 100;
console.log(JSON.stringify({
  engine: `llama.cpp (node-llama-cpp ${nlcVersion}, llama.cpp ${llama.llamaCppRelease.release})`,
  model, cpu_backend: cpuBackend.join(","), flash_attn: opt.fa, n_batch: opt.p, n_ubatch: opt.p, warmup: opt.warmup,
  prefill_tok_s: prefill.map(round), decode_tok_s: decode.map(round),
  threads: opt.threads, prompt_tokens: opt.p, gen_tokens: opt.n,
}));
await ctx.dispose();
await m.dispose();
await llama.dispose();
