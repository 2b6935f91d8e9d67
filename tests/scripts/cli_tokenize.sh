#!/bin/bash
# `dsinfer tokenize` / `detokenize` end to end against the reference ids.
set -euo pipefail
cli="$1" ref="$2" out="$3"
rm -rf "$out" && mkdir -p "$out"
for name in deepseek_v3 qwen3 llama3; do
  python3 -c "
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], 'w') as t, open(sys.argv[3], 'w') as w:
    for line in f:
        j = json.loads(line)
        t.write(json.dumps({'text': j['text']}, ensure_ascii=False) + '\n')
        w.write(json.dumps(j['ids'], separators=(',', ':')) + '\n')
" "$ref/$name.jsonl" "$out/$name.in.jsonl" "$out/$name.want"
  "$cli" tokenize --tokenizer "$ref/$name/tokenizer.json" --jsonl "$out/$name.in.jsonl" > "$out/$name.got"
  cmp "$out/$name.got" "$out/$name.want" || { echo "FAIL: $name ids differ"; diff "$out/$name.got" "$out/$name.want" | head; exit 1; }
done
tok="$ref/deepseek_v3/tokenizer.json"
[ "$("$cli" tokenize --tokenizer "$tok" "Hello<｜User｜>")" = "[19923,128803]" ] || { echo "FAIL: special token"; exit 1; }
[ "$("$cli" tokenize --tokenizer "$tok" --add-special "Hi")" = "[0,23166]" ] || { echo "FAIL: --add-special"; exit 1; }
[ "$("$cli" tokenize --tokenizer "$tok" --no-parse-special "<｜begin▁of▁sentence｜>" | tr -d '[]' | tr ',' '\n' | wc -l)" -gt 1 ] || { echo "FAIL: --no-parse-special"; exit 1; }
[ "$("$cli" detokenize --tokenizer "$tok" "[19923,128803]")" = "Hello<｜User｜>" ] || { echo "FAIL: detokenize"; exit 1; }
set +e
printf 'bad \xff' > "$out/bad.txt"
"$cli" tokenize --tokenizer "$tok" "$(cat "$out/bad.txt")" 2>"$out/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "not valid UTF-8" "$out/err" || { echo "FAIL: invalid UTF-8: exit $rc"; exit 1; }
echo "cli tokenize checks passed"
# dsinfer template against real Jinja2 on a multi-turn conversation.
cat > "$out/messages.json" <<'JSON'
[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi 你好"},
 {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Again\nplease"}]
JSON
for name in deepseek_v3 qwen3; do
  "$cli" template --tokenizer-dir "$ref/$name" --messages "$out/messages.json" --add-generation-prompt > "$out/$name.tmpl"
  python3 - "$ref/$name/tokenizer_config.json" "$out/messages.json" "$out/$name.tmpl" <<'PY'
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
cfg = json.load(open(sys.argv[1]))
tok = lambda x: x if isinstance(x, str) or x is None else x["content"]
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
want = env.from_string(cfg["chat_template"]).render(messages=json.load(open(sys.argv[2])), add_generation_prompt=True,
                                                   bos_token=tok(cfg.get("bos_token")), eos_token=tok(cfg.get("eos_token")))
got = open(sys.argv[3], encoding="utf-8").read()
assert got == want, (got, want)
PY
done
printf 'hello\nsecond turn\n' | "$cli" chat -n 4 --seed 1 > "$out/chat.out" 2> "$out/chat.err" || { echo "FAIL: chat"; cat "$out/chat.err"; exit 1; }
echo "cli template and chat checks passed"
