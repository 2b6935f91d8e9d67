// Chat templates: byte-for-byte agreement with Jinja2 (as transformers configures it) on the
// real DeepSeek-V3, Qwen3 and Llama 3 templates and on feature snippets, plus the bounds that
// keep a hostile template from running long, growing without limit or overflowing the stack.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "dsinfer/chat_template.hpp"
#include "dsinfer/error.hpp"

using dsinfer::ChatMessage;
using dsinfer::ChatTemplate;
using dsinfer::ChatTemplateLimits;
using dsinfer::Error;
using dsinfer::ErrorCode;

namespace {

std::string render(const std::string& source, const std::string& context = "{}", const ChatTemplateLimits& limits = {}) {
  return ChatTemplate::parse(source, limits).render_json(context, limits);
}

// The error a parse-and-render raises; fails the test if none is raised.
Error failure(const std::string& source, const std::string& context = "{}", const ChatTemplateLimits& limits = {}) {
  try {
    render(source, context, limits);
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an error from: " << source.substr(0, 200));
  return Error(ErrorCode::internal, "unreachable");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("chat template renders basic constructs", "[chat_template]") {
  CHECK(render("Hello {{ name }}!", R"({"name": "Ada"})") == "Hello Ada!");
  CHECK(render("{% for m in messages %}{{ m.role }}:{{ m['content'] }};{% endfor %}",
               R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})") ==
        "user:hi;assistant:yo;");
  // trim_blocks and lstrip_blocks, as transformers sets them.
  CHECK(render("a\n  {% if true %}\n  b\n  {% endif %}\nc") == "a\n  b\nc");
  CHECK(render("{{ x }}|{{ x is defined }}|{{ x | default('d') }}") == "|False|d");
}

TEST_CASE("chat template render() passes messages, tokens and extra variables", "[chat_template]") {
  const ChatTemplate t = ChatTemplate::parse(
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}{{ eos_token }}|{{ tools is none }}|{{ flag }}");
  const std::vector<ChatMessage> messages = {{"system", "S"}, {"user", "ü\nx"}};
  CHECK(t.render(messages, true, "<s>", "</s>", R"({"flag": 3})") == "<s><system>S<user>ü\nx<assistant></s>|True|3");
  CHECK(t.render(messages, false, "", "") == "<system>S<user>ü\nx|True|");
}

TEST_CASE("chat template syntax errors carry line and column", "[chat_template]") {
  try {
    ChatTemplate::parse("Hello\n{% if x %}\n  {{ x + }}\n{% endif %}");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid_format);
    CHECK(contains(e.what(), "line 3:10"));
  }
  const auto code_and_message = [](const std::string& source) {
    try {
      ChatTemplate::parse(source);
    } catch (const Error& e) {
      return std::make_pair(e.code(), std::string(e.what()));
    }
    return std::make_pair(ErrorCode::internal, std::string("no error"));
  };
  auto [code, message] = code_and_message("{% for x in y %}never closed");
  CHECK(code == ErrorCode::invalid_format);
  CHECK(contains(message, "line 1:4"));
  CHECK(contains(message, "endfor"));
  std::tie(code, message) = code_and_message("ok\n{{ 'unterminated }}");
  CHECK(code == ErrorCode::invalid_format);
  CHECK(contains(message, "line 2:4"));
  std::tie(code, message) = code_and_message("{% include 'x.j2' %}");
  CHECK(code == ErrorCode::invalid_format);
  CHECK(contains(message, "not supported"));
  std::tie(code, message) = code_and_message("{% endif %}");
  CHECK(code == ErrorCode::invalid_format);
  std::tie(code, message) = code_and_message("{# never closed");
  CHECK(code == ErrorCode::invalid_format);
  std::tie(code, message) = code_and_message("{{ a }} {% break %}");
  CHECK(code == ErrorCode::invalid_format);
}

TEST_CASE("chat template unknown filters and tests are clear errors", "[chat_template]") {
  try {
    ChatTemplate::parse("line one\n{{ messages | frobnicate }}");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid_format);
    CHECK(contains(e.what(), "no filter named 'frobnicate'"));
    CHECK(contains(e.what(), "line 2:15"));
  }
  CHECK_THROWS_WITH(ChatTemplate::parse("{{ x | wordwrap }}"), Catch::Contains("'wordwrap' is not supported"));
  CHECK_THROWS_WITH(ChatTemplate::parse("{{ x is frob }}"), Catch::Contains("no test named 'frob'"));
  // map() and select() name filters and tests at render time.
  const Error e = failure("{{ [1] | map('nope') | list }}");
  CHECK(e.code() == ErrorCode::invalid_argument);
  CHECK(contains(e.what(), "no filter named 'nope'"));
}

TEST_CASE("chat template runtime errors", "[chat_template]") {
  Error e = failure("{% if true %}\n{{ raise_exception('Roles must alternate') }}{% endif %}");
  CHECK(e.code() == ErrorCode::invalid_argument);
  CHECK(std::string(e.what()) == "Roles must alternate");

  e = failure("ab\n {{ missing.attr }}");
  CHECK(e.code() == ErrorCode::invalid_argument);
  CHECK(contains(e.what(), "'missing' is undefined"));
  CHECK(contains(e.what(), "line 2:"));

  CHECK(failure("{{ 'a' + 1 }}").code() == ErrorCode::invalid_argument);
  CHECK(failure("{{ 1 // 0 }}").code() == ErrorCode::invalid_argument);
  CHECK(contains(failure("{% set d = {} %}{{ d.pop('a') }}").what(), "unsafe"));
  CHECK(contains(failure("{% set x = {} %}{% set x.a = 1 %}").what(), "non-namespace"));
  CHECK(failure("{{ 9223372036854775807 + 1 }}").code() == ErrorCode::unsupported);
  CHECK(failure("{{ x }}", "[1]").code() == ErrorCode::invalid_argument);  // context must be an object
  CHECK(failure("{{ x }}", "{oops").code() == ErrorCode::invalid_argument);
}

TEST_CASE("chat template step bound stops long loops quickly", "[chat_template]") {
  const auto start = std::chrono::steady_clock::now();
  Error e = failure("{% for i in range(100000000) %}x{% endfor %}");
  CHECK(e.code() == ErrorCode::too_large);
  CHECK(contains(e.what(), "max_steps"));
  e = failure("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}"
              "{% endfor %}{% endfor %}");
  CHECK(e.code() == ErrorCode::too_large);
  CHECK(contains(e.what(), "max_steps"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));

  ChatTemplateLimits small;
  small.max_steps = 50;
  CHECK(failure("{% for i in range(40) %}{{ i }}{% endfor %}", "{}", small).code() == ErrorCode::too_large);
  CHECK(render("{% for i in range(3) %}{{ i }}{% endfor %}", "{}", small) == "012");
}

TEST_CASE("chat template output bound stops output bombs", "[chat_template]") {
  Error e = failure("{% for i in range(100000) %}{{ 'xxxxxxxxxx' * 100 }}{% endfor %}");
  CHECK(e.code() == ErrorCode::too_large);
  CHECK(contains(e.what(), "max_output_bytes"));
  CHECK(failure("{{ 'x' * 10000000000 }}").code() == ErrorCode::too_large);
  CHECK(failure("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
            .code() == ErrorCode::too_large);
  CHECK(failure("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}")
            .code() == ErrorCode::too_large);
  ChatTemplateLimits small;
  small.max_output_bytes = 10;
  CHECK(failure("{{ 'hello world' }}", "{}", small).code() == ErrorCode::too_large);
}

TEST_CASE("chat template depth bound stops deep nesting without a stack overflow", "[chat_template]") {
  const auto parse_error = [](const std::string& source) {
    try {
      ChatTemplate::parse(source);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::internal;
  };
  const int n = 10000;
  CHECK(parse_error("{{ " + std::string(n, '(') + "1" + std::string(n, ')') + " }}") == ErrorCode::too_large);
  CHECK(parse_error("{{ " + std::string(n, '[') + std::string(n, ']') + " }}") == ErrorCode::too_large);
  std::string nots, attrs = "{{ x", filters = "{{ x", ifs;
  for (int i = 0; i < n; ++i) {
    nots += "not ";
    attrs += ".a";
    filters += "|trim";
    ifs += "{% if true %}";
  }
  CHECK(parse_error("{{ " + nots + "x }}") == ErrorCode::too_large);
  CHECK(parse_error("{{ " + std::string(n, '-') + "1 }}") == ErrorCode::too_large);
  CHECK(parse_error(attrs + " }}") == ErrorCode::too_large);
  CHECK(parse_error(filters + " }}") == ErrorCode::too_large);
  CHECK(parse_error(ifs) == ErrorCode::too_large);
  // A long flat chain is not deep: it is evaluated in a loop.
  std::string sum = "{{ 0";
  for (int i = 0; i < 1000; ++i) sum += " + 1";
  CHECK(render(sum + " }}") == "1000");
  CHECK(render("{{ " + std::string(20, '(') + "1" + std::string(20, ')') + " }}") == "1");
}

TEST_CASE("chat template macro recursion is bounded", "[chat_template]") {
  Error e = failure("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  CHECK(e.code() == ErrorCode::too_large);
  CHECK(contains(e.what(), "max_depth"));
  e = failure("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}");
  CHECK(e.code() == ErrorCode::too_large);
  CHECK(render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}") == "54321");
}

TEST_CASE("chat template values cannot nest without bound or leak through namespaces", "[chat_template]") {
  CHECK(failure("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}").code() ==
        ErrorCode::too_large);
  // A namespace holding itself: printing it hits the depth bound, and it is freed (ASan checks).
  CHECK(failure("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}").code() == ErrorCode::too_large);
  CHECK(render("{% set ns = namespace() %}{% set ns.me = ns %}{% set ns.l = [ns] %}ok") == "ok");
  std::string deep = "{\"a\": ";
  for (int i = 0; i < 100; ++i) deep += "[";
  deep += std::string(100, ']') + "}";
  CHECK(failure("{{ a }}", deep).code() == ErrorCode::too_large);
}

TEST_CASE("chat template strftime_now uses the pinned instant", "[chat_template]") {
  ChatTemplateLimits limits;
  limits.now_unix_seconds = 1721995200;  // 2024-07-26 12:00:00 UTC
  CHECK(render("{{ strftime_now('%d %b %Y %H:%M') }}", "{}", limits) == "26 Jul 2024 12:00");
  CHECK(render("{{ strftime_now('%Y') | length }}") == "4");
}

#if defined(DSINFER_TEMPLATE_EXPECTED) && defined(DSINFER_NPM_MODELS)

namespace {

nlohmann::ordered_json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::ordered_json::parse(ss.str());
}

std::string template_source(const std::string& package, const std::string& name) {
  const auto config = read_json(std::string(DSINFER_NPM_MODELS) + "/" + package + "/models/tokenizer_config.json");
  const auto& t = config.at("chat_template");
  if (t.is_string()) return t.get<std::string>();
  for (const auto& entry : t)
    if (entry.at("name") == name) return entry.at("template").get<std::string>();
  FAIL("no chat template named " << name << " in " << package);
  return "";
}

// Renders one expected case both ways the API offers and checks both against Jinja2.
void check_case(const ChatTemplate& t, const nlohmann::ordered_json& c, const ChatTemplateLimits& limits) {
  INFO("case " << c.at("name").get<std::string>());
  nlohmann::ordered_json context;
  std::string got;
  try {
    if (c.at("mode") == "render") {
      std::vector<ChatMessage> messages;
      for (const auto& m : c.at("messages")) messages.push_back({m.at("role"), m.at("content")});
      got = t.render(messages, c.at("add_generation_prompt"), c.at("bos_token"), c.at("eos_token"),
                     c.at("extra").dump(), limits);
      context = {{"messages", c.at("messages")},       {"tools", nullptr},
                 {"documents", nullptr},               {"add_generation_prompt", c.at("add_generation_prompt")},
                 {"bos_token", c.at("bos_token")},     {"eos_token", c.at("eos_token")}};
      for (const auto& [k, v] : c.at("extra").items()) context[k] = v;
      CHECK(t.render_json(context.dump(), limits) == got);
    } else {
      got = t.render_json(c.at("context").dump(), limits);
    }
  } catch (const Error& e) {
    REQUIRE(c.contains("error"));
    CHECK(e.code() == ErrorCode::invalid_argument);
    CHECK(std::string(e.what()) == c.at("error").get<std::string>());
    return;
  }
  REQUIRE(c.contains("expected"));
  CHECK(got == c.at("expected").get<std::string>());
}

}  // namespace

TEST_CASE("chat templates match Jinja2 on the DeepSeek-V3, Qwen3 and Llama 3 templates", "[chat_template][reference]") {
  const auto expected = read_json(DSINFER_TEMPLATE_EXPECTED);
  ChatTemplateLimits limits;
  limits.now_unix_seconds = expected.at("now_unix_seconds").get<int64_t>();
  std::map<std::string, int> per_package;
  for (const auto& c : expected.at("cases")) {
    const std::string package = c.at("package");
    const ChatTemplate t = ChatTemplate::parse(template_source(package, c.at("template_name")));
    check_case(t, c, limits);
    ++per_package[package];
  }
  CHECK(per_package["tokenizer-deepseek_v3"] > 0);
  CHECK(per_package["tokenizer-qwen3"] > 0);
  CHECK(per_package["tokenizer-llama3"] > 0);
}

TEST_CASE("chat template feature snippets match Jinja2", "[chat_template][reference]") {
  const auto expected = read_json(DSINFER_TEMPLATE_EXPECTED);
  ChatTemplateLimits limits;
  limits.now_unix_seconds = expected.at("now_unix_seconds").get<int64_t>();
  for (const auto& s : expected.at("snippets")) {
    INFO("snippet " << s.at("name").get<std::string>() << ": " << s.at("source").get<std::string>());
    const ChatTemplate t = ChatTemplate::parse(s.at("source").get<std::string>());
    try {
      const std::string got = t.render_json(s.at("context").dump(), limits);
      REQUIRE(s.contains("expected"));
      CHECK(got == s.at("expected").get<std::string>());
    } catch (const Error& e) {
      INFO("error: " << e.what());
      REQUIRE(s.contains("error"));
      CHECK(std::string(e.what()) == s.at("error").get<std::string>());
    }
  }
}

#endif
